"""The Vietnamese intent rules (vi-spec §4), with and without diacritics, English words mixed in.

They run on text that looks Vietnamese (``intents_core.looks_vietnamese``), before the English
rules, most specific first: thresholds, alerts, history, refusals, usage, auto-recharge (settings,
off, set), add funds, balance, help; cancel and help as a whole message also at any step.
``None`` means no Vietnamese rule applies and the English rules decide."""

from __future__ import annotations

import re
import unicodedata

from credits.i18n import Lang
from credits.money import AmountError, AmountLimits, Currency, parse_chat
from dialogs.intents_core import (
    Intent,
    Kind,
    in_order,
    lowered,
    recharge,
    refused,
    thresholds,
    two_requests,
    vi_re,
)

_SHORT = 200  # whole-message rules (cancel, help) look only at short messages

# --------------------------------------------------------------------------- words

_HUY = r"(?:hủy|huỷ)"
_STOP = (
    rf"(?:tắt|ngừng|(?<!sử\s)dừng|(?<!sử\s)đừng|{_HUY}(?: bỏ)?|bỏ|tạm dừng|vô hiệu hóa|thôi|"
    r"turn off|switch off|disable|stop|pause|deactivate|off)"
)
AUTO = vi_re(
    r"\b(?:tự động nạp(?: lại)?(?: tiền)?|nạp(?: tiền| lại)? tự động|sạc lại(?: tự động)?|"
    r"auto(?:-| )?recharge|auto(?:-| )?top(?:-| )?up|recharge)\b"
)
BELOW = vi_re(
    r"\b(?:(?:dưới )?(?:mức|ngưỡng|số tiền) kích hoạt|(?:giảm|rơi|tụt) xuống(?: dưới| còn)?|"
    r"xuống (?:dưới|còn)|còn dưới|chỉ còn|dưới(?: mức)?|thấp hơn|ít hơn|nhỏ hơn|"
    r"(?:khi|nếu|lúc) (?:số dư )?(?:chỉ )?còn(?: lại)?(?! dưới| bao| mấy)|"
    r"below|under|less than)\b(?:(?: mức| là| bằng| khoảng| ở mức)\b)*"
)
_END = vi_re(
    r"\s(?:thì|rồi|hãy|và|nạp|thêm|mua|tự động|auto|then|add|top up|recharge|set|đặt|với)\b|"
    r"[;!?]|,(?!\d)|\.(?!\d)"
)
COND = vi_re(r"\b(?:khi|nếu|lúc|mỗi khi|mỗi lần|when|if|once|whenever)\b")
KICK = vi_re(r"\b(?:mức|ngưỡng|số tiền) kích hoạt\b|\b(?:mức nạp|số tiền mỗi lần nạp)\b")
_BUY = r"(?:nạp|mua|add|buy|purchase|top(?:-| )?up|deposit)"
TOPUP = vi_re(rf"\b(?:{_BUY}|(?<!xem\s)thêm)\b")
# a top-up asked for with an amount ("nạp thêm 50 đô"), or as a clause of its own ("... và nạp
# tiền"); not "để tôi nạp thêm" (so that I can top up)
TOPUP_AMOUNT = vi_re(rf"\b{_BUY}\b(?: (?:thêm|tiền|lại|more))*\s*[$€£¥]?\s*\d|^\s*thêm\s*\d")
TOPUP_CLAUSE = vi_re(
    r"(?:^|[,;]|\b(?:và|rồi|thì|sau đó|đồng thời|and|then)\b)\s*"
    rf"(?:(?:hãy|cũng|xin|vui lòng|please|also) )*{_BUY}\b|^\s*thêm\b"
)
ALERT_WORD = vi_re(r"\b(?:cảnh báo|thông báo|alerts?|notifications?)\b")
ALERT_VERB = vi_re(r"\b(?:cảnh báo|thông báo|báo|nhắc(?: nhở)?|alert|warn|notify)\b")
ALERT_LEVEL = vi_re(
    r"\b(?:ngưỡng cảnh báo|cảnh báo (?:ở |tại )?mức)\b(?: là| thành| ở| bằng| mới)*"
)
STOP_ALERTS = vi_re(
    rf"\b(?:{_STOP}|{_HUY} đăng ký|bỏ đăng ký|không (?:gửi|nhận)|mute|unsubscribe)\b"
)
SEND = vi_re(r"\b(?:gửi|nhận|đăng|đưa|post|send)\b")
HERE = vi_re(
    r"\b(?:đây|kênh này|nhóm này|(?:cuộc|đoạn) (?:trò chuyện|hội thoại|chat) này|chat này|here)\b"
)
HISTORY = vi_re(
    r"\b(?:lịch sử|giao dịch|sao kê|biến động số dư|(?:xem )?hoạt động gần đây|xem hoạt động|"
    r"history)\b|^hoạt động$"
)
REFUSE = vi_re(r"\b(?:rút|trừ(?! khi)|hoàn tiền|hoàn lại|lấy lại tiền|refund|withdraw|take back)\b")
USAGE_REPORT = vi_re(
    r"^(?:xem |cho (?:tôi |mình )?xem )?(?:báo cáo |thống kê |tình hình |mức )?"
    r"(?:sử dụng|chi tiêu|cuộc gọi)(?: tháng này| theo (?:người gọi|người dùng|điểm đến|quốc gia))?"
    r"[?.!]*$|\b(?:người|ai) (?:gọi|chi tiêu|tiêu|dùng) (?:nhiều|tốn) nhất\b|"
    r"\btop (?:người gọi|người dùng)\b|\bngười gọi hàng đầu\b"
)
USAGE_STATUS = vi_re(
    r"\b(?:trạng thái|tình trạng) (?:kết nối|đồng bộ|dữ liệu|sử dụng|lấy dữ liệu)\b|"
    r"\b(?:đã )?kết nối (?:dữ liệu )?(?:sử dụng )?(?:chưa|không)\b|"
    r"\blần (?:lấy|đồng bộ|kéo) (?:dữ liệu )?gần nhất\b"
)
USAGE_CONNECT = vi_re(
    r"\b(?:kết nối|liên kết|bật lấy|lấy) (?:dữ liệu )?(?:sử dụng|cuộc gọi|microsoft 365|graph|"
    r"teams)\b"
)
SETTINGS = vi_re(
    r"\b(?:cài đặt|thiết lập|xem|kiểm tra|trạng thái|tình trạng|settings?|status)\b|"
    r"\b(?:đang|thế nào|ra sao|như nào)\b|\w hay \w|\?|\b(?:chưa|không)[\s.]*$"
)
ON = vi_re(r"\b(?:bật|mở|kích hoạt|turn on|switch on|enable|on)\b")
NOT_ANY_MORE = vi_re(r"\bkhông\b")
ANY_MORE = vi_re(r"\bnữa\b")
DONT = vi_re(r"\bkhông (?:dùng|cần|muốn|sử dụng)\b")
STOP = vi_re(rf"\b{_STOP}\b")
# with amounts, "thôi," is an interjection ("thôi, tự động nạp 100 đô ...": well then), not "stop"
OFF_WORD = vi_re(rf"\b(?!thôi\s*[,.!]){_STOP}\b")
ON_OR_OFF = vi_re(r"\b(?:bật|on) hay (?:tắt|off)\b|\b(?:tắt|off) hay (?:bật|on)\b")
BALANCE = vi_re(
    r"\b(?:số dư|còn (?:lại )?(?:bao nhiêu|mấy)|bao nhiêu tiền|kiểm tra tài khoản|"
    r"xem tài khoản|xem (?:tín dụng|credits?)|balance)\b"
)
HELP = vi_re(r"\b(?:trợ giúp|giúp|hướng dẫn|làm được gì)\b")
HELP_LEAD = vi_re(r"^(?:trợ giúp|hướng dẫn)\b")
# "hủy nạp 50 đô", "đừng nạp": a top-up led by a refusal is not a purchase
CANCEL_LEAD = vi_re(
    rf"^(?:(?:thôi|ừ|ờ|ok|vâng|dạ)[\s,.!]+)*(?:{_HUY}(?: bỏ)?|đừng|khỏi|bỏ qua|không cần)\b"
)
# a negation before the top-up (or auto-recharge, or turn-on) verb: "không nạp 50 đô", "tôi không
# muốn nạp", "chưa nạp", "khoan, đừng nạp", "không tự động nạp 80 đô", "đừng bật tự động nạp".
# "không, nạp 50 đô" (no, add $50) is a "no" then a request: a comma is not a negation.
_NEG = rf"(?:khoan(?: đã)?(?:\s*[,.!]+)?|chưa|đừng|chẳng|không|khỏi|{_HUY}(?: bỏ)?|bỏ qua)"
_MODAL = r"(?: (?:muốn|cần|định|phải|được|nên|có|vội|hãy))*"
_ON = r"(?:bật(?: lại)?|mở|kích hoạt|turn on|switch on|enable)"
NEGATED = vi_re(
    r"^(?:(?:thôi|ừ|ờ|à|ok|okay|vâng|dạ|không|khoan(?: đã)?)[\s,.!]+)*"
    r"(?:(?:tôi|mình|em|anh|chị|chúng tôi|chúng ta|chúng mình|bọn tôi|bọn mình|bên tôi|"
    r"bên mình|ta) )?(?:(?:vẫn|còn|tạm thời|tạm|giờ|bây giờ|hôm nay|thì) )*"
    rf"{_NEG}{_MODAL}(?: (?:việc|lệnh|yêu cầu|cái|vụ))? "
    rf"(?:thêm|tự động|sạc|auto|recharge|{_BUY}|{_ON})\b"
)
NEG_ON = vi_re(rf"\b(?:khoan|chưa|đừng|chẳng|không|khỏi){_MODAL} {_ON}\b")
GREETING = vi_re(r"^(?:xin chào|chào|alo|a lô)\b")
_POLITE = (
    r"(?:[\s,]+(?:đi|nhé|nhe|nha|ạ|luôn|giùm|giúp|hộ|với|cảm ơn|cám ơn|thanks?)"
    r"(?: tôi| mình| em| bạn)?)*"
)
WHOLE_CANCEL = vi_re(
    r"(?:(?:thôi|không|ừ|ờ|à|ok|okay|vâng|dạ)[\s,.!]+)*"
    rf"(?:{_HUY}(?: bỏ)?|thôi khỏi|thôi|khỏi|bỏ qua|(?<!sử\s)dừng(?: lại)?|ngừng(?: lại)?|"
    r"không cần(?: nữa)?|không(?: \S+){0,5} nữa|không)"
    rf"{_POLITE}[\s.!]*"
)
WHOLE_HELP = vi_re(
    r"(?:(?:xin |làm ơn |vui lòng )?(?:trợ giúp|giúp đỡ|giúp|hướng dẫn(?: sử dụng)?)"
    r"(?: tôi| mình| em| với| nhé| đi| ạ)*|"
    r"(?:bạn |bot |tôi |mình )?(?:có thể )?(?:làm|nói|hỏi) (?:được )?(?:những )?(?:gì|điều gì)"
    r"(?: được)?(?: với bạn| với bot)?(?: vậy| thế| nhỉ| ạ)?|(?:danh sách |các )?lệnh)"
    r"[\s?.!]*"
)


def vi_interruption(said: str) -> Kind | None:
    """Cancel and help in Vietnamese as a whole (short) message. A refusal such as "thôi, không
    nạp nữa" or "hủy nạp 50 đô" is cancel unless it names auto-recharge or alerts (then it is
    that rule's: "không tự động nạp nữa" turns auto-recharge off). A negated top-up ("không
    nạp 50 đô", "chưa muốn tự động nạp 80 đô") is cancel at any length: never a purchase."""
    said = said.strip()
    if NEGATED.match(said) and not ALERT_WORD.search(said) and not _turns_off(said):
        return Kind.CANCEL
    if len(said) > _SHORT:
        return None
    if AUTO.search(said) or ALERT_WORD.search(said):
        return None
    if WHOLE_CANCEL.fullmatch(said) or (CANCEL_LEAD.search(said) and TOPUP.search(said)):
        return Kind.CANCEL
    if WHOLE_HELP.fullmatch(said):
        return Kind.HELP
    return None


def _turns_off(said: str) -> bool:
    """Whether ``said`` (lowered) asks to turn auto-recharge off, whatever amounts follow: a
    stop-word ("tắt", "dừng", "đừng", "hủy", "bỏ", ...) or "không ... nữa" with the auto-recharge
    words; "không muốn tự động nạp" only with no amount. Not "đừng bật tự động nạp" (do not turn
    it on), nor the question "bật hay tắt"."""
    if not AUTO.search(said) or NEG_ON.search(said) or ON_OR_OFF.search(said):
        return False
    if OFF_WORD.search(said) or in_order(said, NOT_ANY_MORE, ANY_MORE):
        return True
    return DONT.search(said) is not None and not re.search(r"\d", said)


def parse_vi(text: str, cur: Currency, limits: AmountLimits, lang: Lang) -> Intent | None:
    """The Vietnamese reading of ``text``, or None to let the English rules try."""
    said = Said(unicodedata.normalize("NFC", text))
    whole = vi_interruption(said.low)
    if whole is not None:
        return Intent(whole)
    found = _alerts(said, cur, lang)
    if found is not None:
        return found
    low = said.low
    if HISTORY.search(low.strip()):
        return Intent(Kind.HISTORY)
    if REFUSE.search(low):
        return refused()
    if HELP_LEAD.search(low.strip()) and not re.search(r"\d", low):
        return Intent(Kind.HELP)
    usage = _usage(low.strip())
    if usage is not None:
        return Intent(usage)
    if AUTO.search(low) or KICK.search(low) or (TOPUP.search(low) and in_order(low, COND, BELOW)):
        return _recharge(said, cur, limits, lang)
    if TOPUP.search(low):
        try:
            return Intent(Kind.ADD_FUNDS, amount=parse_chat(said.text, cur, limits, lang))
        except AmountError as error:
            return Intent(Kind.ADD_FUNDS, error=str(error))
    if BALANCE.search(low):
        return Intent(Kind.BALANCE)
    if HELP.search(low):
        return Intent(Kind.HELP)
    if GREETING.match(low.strip()):
        return Intent(Kind.GREETING)
    return None


class Said:
    """What was typed, in NFC (``text``, for amounts) and lowered (``low``, for the rules): the
    two have the same length, so a match in one is a slice of the other."""

    __slots__ = ("low", "text")

    def __init__(self, text: str) -> None:
        self.text = text
        self.low = lowered(text)


_LIST = vi_re(r",(?!\d)|;|\s(?:và|hoặc|and|or)\s")


def _alerts(said: Said, cur: Currency, lang: Lang) -> Intent | None:
    """Rules 1 and 2: thresholds, then stop, here, and where alerts go."""
    low = said.low
    level = ALERT_LEVEL.search(low)
    below = in_order(low, ALERT_VERB, BELOW)
    if below is None and level is not None and re.search(r"\d", low[level.end() :]):
        below = level
    if below is not None:
        if any(p.search(low) for p in (AUTO, KICK, TOPUP_AMOUNT, TOPUP_CLAUSE)):
            return _two_requests(low)
        at, parts = below.end(), []
        for comma in _LIST.finditer(low, below.end()):
            parts.append(said.text[at : comma.start()])
            at = comma.end()
        parts.append(said.text[at:])
        return thresholds(parts, cur, lang, zero_refused=True)
    if not ALERT_WORD.search(low):
        return None
    if TOPUP_AMOUNT.search(low) or (AUTO.search(low) and re.search(r"\d", low)):
        return _two_requests(low)
    if STOP_ALERTS.search(low):
        return Intent(Kind.ALERTS_STOP)
    if SEND.search(low) and HERE.search(low):
        return Intent(Kind.ALERTS_HERE)
    return Intent(Kind.ALERTS)


def _two_requests(low: str) -> Intent:
    """A top-up or auto-recharge and an alerts request in one message: refused, nothing done."""
    auto = AUTO.search(low) or KICK.search(low) or len(BELOW.findall(low)) > 1
    return two_requests(auto=bool(auto))


def _usage(said: str) -> Kind | None:
    if USAGE_REPORT.search(said):
        return Kind.USAGE_REPORT
    if USAGE_STATUS.search(said):
        return Kind.USAGE_STATUS
    if USAGE_CONNECT.search(said):
        return Kind.USAGE_CONNECT
    return None


def _recharge(said: Said, cur: Currency, limits: AmountLimits, lang: Lang) -> Intent:
    """Rules 4 to 6: settings, off, and set (amount and trigger in either order)."""
    low = said.low
    if re.search(r"\d", low) and ON_OR_OFF.search(low):
        return Intent(Kind.RECHARGE_SETTINGS)
    if re.search(r"\d", low) and _turns_off(low):  # turning off never sets anything
        return Intent(Kind.RECHARGE_OFF)
    if not re.search(r"\d", low):
        if SETTINGS.search(low):
            return Intent(Kind.RECHARGE_SETTINGS)
        if STOP.search(low) or DONT.search(low) or in_order(low, NOT_ANY_MORE, ANY_MORE):
            return Intent(Kind.RECHARGE_OFF)
        if not ON.search(low) and AUTO.fullmatch(low.strip().rstrip(".!")):
            return Intent(Kind.RECHARGE_SETTINGS)
        return Intent(Kind.RECHARGE)
    mark = BELOW.search(low)
    amount_text, trigger_text = said.text, None
    if mark is not None:
        end = _END.search(low, mark.end())
        stop = end.start() if end is not None else len(low)
        trigger_text = said.text[mark.end() : stop]
        amount_text = f"{said.text[: mark.start()]} {said.text[stop:]}"
    return recharge(amount_text, trigger_text, cur, limits, lang)
