"""The Vietnamese intent rules (vi-spec §4), with and without diacritics, English words mixed in.

They run on text that looks Vietnamese (``intents_core.looks_vietnamese``), before the English
rules, most specific first: thresholds, alerts, history, refusals, usage, auto-recharge (settings,
off, set), add funds, balance, help; cancel and help as a whole message also at any step.
``None`` means no Vietnamese rule applies and the English rules decide.

What changes at once (thresholds, where alerts go) is never read from a question or a negation:
a question shows the settings, a negated threshold is refused. A negation anywhere before the
top-up verb ("ko nạp", "sếp nói đừng nạp") or a request taken back ("nạp 50 đô, à thôi") is a
cancel; two requests of different kinds in one message are refused (``several_requests``)."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable

from credits.i18n import Lang
from credits.money import AmountError, AmountLimits, Currency, parse_chat
from dialogs.caps_intents import negated_cap
from dialogs.intents_core import (
    Intent,
    Kind,
    in_order,
    lowered,
    one_request,
    recharge,
    refused,
    thresholds,
    thresholds_replaced,
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
HISTORY_LEAD = vi_re(r"(?:xem |cho (?:tôi|mình) xem )?(?:lịch sử|sao kê|biến động số dư|history)\b")
REFUSE = vi_re(
    r"\b(?:rút|trừ(?! khi)|hoàn tiền|hoàn lại|hoàn trả|lấy lại tiền|lấy tiền lại|trả lại tiền|"
    r"trả tiền lại|đòi lại tiền|refund|withdraw|take back)\b"
)
# a purchase already made, cancelled ("hủy lần nạp gần nhất"): a refund, not the cancel of a card
# ("hủy nạp tiền tự động gần đây" turns auto-recharge off: that rule's)
PAST_PURCHASE = vi_re(
    rf"\b(?:{_HUY}(?: bỏ)?|hoàn tác) (?!nạp(?: tiền)? tự động)"
    r"(?:giao dịch |lần |khoản |đợt )?(?:nạp|mua|thanh toán)"
    r"(?: tiền| thêm)?(?: \S+){0,2} "
    r"(?:gần nhất|gần đây|trước(?: đó)?|hôm qua|lần trước|cuối(?: cùng)?)\b"
)
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
# "ko", "k", "kg", "hông", "hổng": không as typed in chat ("500 k" is an amount, not a "no")
_NO = r"(?:không|ko|(?<!\d\s)kg|(?<!\d\s)k|hông|hổng|chẳng|(?<!sử\s)đừng|chớ)"
_NEG = rf"(?:khoan(?: đã)?(?:\s*[,.!]+)?|chưa|{_NO}|khỏi|{_HUY}(?: bỏ)?|bỏ qua)"
_MODAL = r"(?: (?:muốn|cần|định|phải|được|nên|có|vội|hãy))*"
_ON = r"(?:bật(?: lại)?|mở|kích hoạt|turn on|switch on|enable)"
# anywhere in the message: "tuyệt đối không nạp", "tôi nghĩ không nên nạp", "sếp nói đừng nạp"
NEGATED = vi_re(
    rf"\b{_NEG}{_MODAL}(?: (?:việc|lệnh|yêu cầu|cái|vụ))? "
    rf"(?:thêm|tự động|sạc|auto|recharge|{_BUY}|{_ON})\b"
)
NEG_ON = vi_re(rf"\b(?:khoan|chưa|{_NO}|khỏi){_MODAL} {_ON}\b")
# a negated stop ("đừng dừng cảnh báo", "không tắt cảnh báo"): not a stop
NEG_STOP = vi_re(
    rf"\b(?:chưa|{_NO}|khỏi)(?: (?:muốn|cần|được|nên|có|phải|hãy|hề|bao giờ))* "
    rf"(?:tắt|ngừng|(?<!sử\s)dừng|{_HUY}|bỏ|tạm dừng|xóa|xoá|stop|mute|unsubscribe)\b"
)
# a question: asked ("tại sao", "ai", "có ... không") or ending as one ("?", "à", "chưa")
ASK_LEAD = vi_re(
    r"^(?:(?:nhưng|mà|vậy|thế|ủa|ơ|ê)[\s,]+)?"
    r"(?:tại sao|vì sao|sao(?! kê)|ai|có phải|phải chăng|why|who)\b"
)
ASK_END = vi_re(r"\?|\b(?:không|ko|hông|chưa|à|hả|hở|nhỉ|sao)[\s.!?]*$")
ASK_HAS = vi_re(r"^(?:(?:bạn|bot|tôi|mình|chúng ta|hiện|hiện tại|giờ) )*(?:có|đã|đang)\b")
ASK_NOT = vi_re(r"\b(?:không|ko|hông|chưa)\b")
PASSIVE = vi_re(r"\bbị\b")
# thresholds said with a stop word or a negation: nothing is set (thresholds_replaced); "thôi,"
# (well then) and a final "thôi" (only: "40 đô thôi") are not stops
TH_STOP = vi_re(
    r"\b(?!thôi(?:\s*[,.!]|\s*$| (?:nhé|nha|nhe|ạ|đó|mà)\b))"
    rf"(?:{_STOP}|{_NO}|xóa|xoá|gỡ|khỏi|remove|delete|don't|do not|no more|mute|unsubscribe)\b"
)
GREETING = vi_re(r"^(?:xin chào|chào|alo|a lô)\b")
_POLITE = (
    r"(?:[\s,]+(?:đi|nhé|nhe|nha|ạ|luôn|giùm|giúp|hộ|với|cảm ơn|cám ơn|thanks?)"
    r"(?: tôi| mình| em| bạn)?)*"
)
# what a cancel is said of: "hủy giao dịch" (the transaction on the card), "hủy yêu cầu"
_OBJECT = (
    r"(?: (?:giao dịch|yêu cầu|lệnh|thao tác|việc này|cái này|nó|lần này)"
    r"(?: này| đó| kia| vừa rồi| trên)?)?"
)
_OOPS = r"(?:thôi|không|ko|k|ừ|ờ|à|ok|okay|vâng|dạ|sai rồi|sai|nhầm rồi|nhầm)"
WHOLE_CANCEL = vi_re(
    rf"(?:{_OOPS}[\s,.!]+)*"
    rf"(?:{_HUY}(?: bỏ)?{_OBJECT}|thôi khỏi|thôi|khỏi|bỏ qua|(?<!sử\s)dừng(?: lại)?|"
    r"ngừng(?: lại)?|(?:không|ko|k|kg) cần(?: nữa)?|không(?: \S+){0,5} nữa|"
    r"(?:không|ko) đồng ý|không|ko|kg|k|hông|hổng)"
    rf"{_POLITE}[\s.!]*"
)
# a request taken back at its end: "nạp 50 đô, à thôi", "nạp 50 đô. Hủy", "... à thôi"
_BREAK = vi_re(r"[,;?!]|\.(?!\d)|\s(?=(?:à|ờ|ừ|ồ|mà) thôi\b)")
TAKEN_BACK = vi_re(
    rf"\s*(?:(?:ồ|ơ|mà|{_OOPS})[\s,.!]+)*"
    rf"(?:{_HUY}(?: bỏ)?{_OBJECT}|thôi(?: khỏi)?|khỏi|bỏ qua|dừng lại|ngừng lại){_POLITE}[\s.!]*"
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
    if PAST_PURCHASE.search(said):  # a refund asked for, not a cancel (parse_vi refuses it)
        return None
    if negated_cap(said):  # "không tự động nạp quá 200 đô mỗi tháng": a cap (caps_intents)
        return None
    if _negated(said) or _taken_back(said):
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


def _negated(said: str) -> bool:
    """A negated top-up, auto-recharge or turn-on anywhere ("tôi nghĩ không nên nạp 50 đô"),
    unless it names alerts, turns auto-recharge off, or asks why ("tại sao không tự động nạp")."""
    if NEGATED.search(said) is None or ALERT_WORD.search(said) or _turns_off(said):
        return False
    return not (AUTO.search(said) and ASK_LEAD.search(said))


def _taken_back(said: str) -> bool:
    """Whether the message ends with its request taken back: a cancel after the last break."""
    said = said.rstrip(" .!")
    end = max((mark.end() for mark in _BREAK.finditer(said)), default=-1)
    return end >= 0 and TAKEN_BACK.fullmatch(said, end) is not None


def asked(said: str) -> bool:
    """Whether ``said`` (lowered) is a question: "tại sao ...", "ai ...", "có ... không",
    or ending in "?", "à", "chưa", "không", "nhỉ", ..."""
    said = said.strip()
    if ASK_LEAD.search(said) or ASK_END.search(said):
        return True
    return in_order(said, ASK_HAS, ASK_NOT) is not None


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
    if PAST_PURCHASE.search(low) or (REFUSE.search(low) and not HISTORY_LEAD.match(low.strip())):
        return refused()  # "hoàn tiền giao dịch gần nhất" asks for money back, not the history
    if HISTORY.search(low.strip()):
        return Intent(Kind.HISTORY)
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
        if asked(low):  # "có cảnh báo khi dưới 40 đô không?": show them, change nothing
            return Intent(Kind.ALERTS)
        if TH_STOP.search(low):  # "tắt cảnh báo khi dưới 40 đô": never set 40
            return thresholds_replaced()
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
    if asked(low) or NEG_STOP.search(low):  # "sao không gửi cảnh báo vào đây", "đừng dừng ..."
        return Intent(Kind.ALERTS)
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
    if ASK_LEAD.search(low.strip()) or PASSIVE.search(low):  # "ai tắt ...", "... bị tắt à"
        return Intent(Kind.RECHARGE_SETTINGS)
    if re.search(r"\d", low) and ON_OR_OFF.search(low):
        return Intent(Kind.RECHARGE_SETTINGS)
    if re.search(r"\d", low) and _turns_off(low):  # turning off never sets anything
        return Intent(Kind.RECHARGE_OFF)
    if not re.search(r"\d", low):
        if SETTINGS.search(low) or asked(low):
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


# --------------------------------------------------------------------------- several requests

_CLAUSE = vi_re(r"[,;](?!\d)|[.!?](?!\d)|\s(?:và|rồi|sau đó|đồng thời|and|then)\s")
_CHANGES = frozenset(
    {
        Kind.ADD_FUNDS,
        Kind.RECHARGE,
        Kind.RECHARGE_OFF,
        Kind.ALERTS_HERE,
        Kind.ALERTS_STOP,
        Kind.ALERT_THRESHOLDS,
        Kind.USAGE_CONNECT,
        Kind.REFUSED,
    }
)


def several_requests(text: str, low: str, read: Callable[[str], Intent]) -> Intent | None:
    """Two clauses (split on "và", ",", "rồi", "sau đó", ";", ...) that ``read`` finds to be
    requests of different kinds ("nạp 50 đô và bật tự động nạp"): refused, nothing done; a
    withdrawal among them is refused as one. None: at most one kind of request, read as one
    message ("khi còn dưới 15 đô thì nạp 80 đô", "cảnh báo khi dưới 40 đô và 15 đô")."""
    bounds = [0]
    for mark in _CLAUSE.finditer(low):
        bounds += [mark.start(), mark.end()]
    bounds.append(len(low))
    if len(bounds) < 4:
        return None
    found: dict[Kind, Intent] = {}
    for start, end in zip(bounds[::2], bounds[1::2], strict=True):
        if len(found) > 1:  # two kinds: refused whatever follows
            break
        if text[start:end].strip():
            intent = read(text[start:end])
            if intent.kind in _CHANGES:
                found.setdefault(intent.kind, intent)
    if len(found) < 2:
        return None
    if Kind.REFUSED in found:
        return found[Kind.REFUSED]
    if found.keys() & {Kind.ADD_FUNDS, Kind.RECHARGE} and found.keys() & {
        Kind.ALERT_THRESHOLDS,
        Kind.ALERTS_HERE,
    }:
        return _two_requests(low)
    return one_request()
