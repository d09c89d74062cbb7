"""The billing admins as people say them, in English and Vietnamese (with or without diacritics):
"admins", "who are the admins", "make @Ada an admin", "add Ada as admin", "remove Ada as
admin", "revoke @Ada", "claim ABCD-EFGH"; "quản trị viên", "ai là quản trị viên", "thêm @Ada làm
quản trị viên", "cho Ada làm quản trị viên", "xóa Ada khỏi quản trị viên", "bỏ quyền quản trị
của Ada", "nhận quyền ABCD-EFGH".

Read before every other intent rule (dialogs/control_intents.py). Who is meant is left as typed
(`person`): a Teams @mention arrives as ``<at>Ada Lovelace</at>`` in the text (a full name may
come as one tag per word), read here as the name it shows, with `mentioned` set; the turn's
mention entities and the roster say who it is (dialogs/admins_people.py). The rules match the
lowered text without its diacritics, one character for each of the text's, so a span of one is
a span of the other.

Two phrasings are read narrowly, as they could mean something else: a bare "revoke X" is an
admin's removal only when X is an @mention ("revoke my last purchase" is not; "revoke Ada as
admin" is), and a claim is only "claim" or "nhận quyền" followed by something shaped like a code
(a dash or a space in the middle, a digit, or 8 characters: "claim refund" is not one). Whether
it is a code's letters is the domain's to say (credits/admins_claim.py: a wrong shape is no
try)."""

from __future__ import annotations

import html
import re

from credits.i18n import Lang
from credits.money import AmountLimits, Currency
from dialogs.intents_core import Intent, Kind, lowered, plain

_AT = r"<at[^<>]{0,40}>[^<>]{0,200}</at>"  # a name has no "<" (Teams escapes it)
_AT_RUN = re.compile(rf"{_AT}(?:\s*{_AT})*", re.IGNORECASE)
_AT_NAME = re.compile(r"<at[^<>]{0,40}>([^<>]{0,200})</at>", re.IGNORECASE)
_PLEASE = r"(?:(?:please|pls|can you|could you|would you|hay|vui long|lam on|ban)\s+)?"
_END = r"(?:\s+(?:please|nhe|nha|giup toi|giup minh|di))?[\s.!?]*$"
_P = r"(?P<p>\S.{0,150}?)"
_EN_ROLE = r"(?:an? |the )?(?:billing )?admin(?:istrator)?s?"
_EN_RIGHTS = r"admin(?:istrator)?(?: rights| access| role| permissions?)"
_VI_ROLE = r"(?:cac |nhung |mot )?(?:quan tri vien|nguoi quan tri|admin)(?: thanh toan)?"
_DASH = r"[\-\u2010-\u2015]"
_CODE = rf"(?P<code>[a-z0-9]{{1,12}}(?:{_DASH}[a-z0-9]{{1,12}}){{0,3}}|[a-z0-9]{{4}} [a-z0-9]{{4}})"
_CODE_LIKE = re.compile(rf"\S*(?:\d|{_DASH}| )\S*|[a-z0-9]{{8}}")


def _rules(*patterns: str) -> tuple[re.Pattern[str], ...]:
    return tuple(re.compile(rf"^\s*{_PLEASE}{p}{_END}") for p in patterns)


_ADMINS = _rules(
    r"(?:(?:show|list|see|view|get)(?: me)? )?(?:all |our |all the |the )?(?:current )?"
    r"(?:billing )?admin(?:istrator)?s?(?: list| here| now)?",
    r"(?:show |see )?(?:the )?list of (?:the )?(?:billing )?admin(?:istrator)?s",
    r"who(?:'s| is| are|s)(?: the| our| my)?(?: current)?(?: billing)? admin(?:istrator)?s?"
    r"(?: here| now| of this (?:team|organi[sz]ation))?",
    rf"(?:xem |cho (?:toi|minh) xem |liet ke )?(?:danh sach )?{_VI_ROLE}"
    r"(?: (?:la|gom) (?:ai|nhung ai)| nao| hien tai| hien nay| o day)?",
    rf"ai (?:la|dang la|co quyen lam) {_VI_ROLE}(?: o day| hien nay| hien tai)?",
    r"ai co quyen (?:quan tri|quan ly)(?: thanh toan)?",
)
_GRANT = _rules(
    rf"(?:make|set|appoint|promote) {_P} (?:as |to )?{_EN_ROLE}(?: too| as well| also)?",
    rf"(?:add|grant|give) {_P} (?:as|to(?: the)?) {_EN_ROLE}(?: too| as well| also)?",
    rf"(?:grant|give) {_EN_RIGHTS} to {_P}",
    rf"(?:add|grant|give|make) (?:an? )?admin(?:istrator)?:? {_P}",
    rf"(?:grant|give) {_P} (?:the )?{_EN_RIGHTS}",
    rf"(?:them|cho|dat|chi dinh|bo nhiem|dua) {_P} (?:lam|la|vao|thanh)(?: danh sach| nhom)?"
    rf" {_VI_ROLE}",
    rf"(?:cap|trao) quyen quan tri(?: vien)?(?: thanh toan)? cho {_P}",
    rf"them (?:mot )?(?:quan tri vien|nguoi quan tri)(?: thanh toan)?:? {_P}",
)
_REVOKE = _rules(
    rf"(?:remove|delete|drop|take) {_P} (?:as|from(?: being)?(?: the)?)"
    rf" {_EN_ROLE}(?: list)?",
    rf"(?:revoke|remove|take away|withdraw) (?:the )?{_EN_RIGHTS} (?:from|of|for) {_P}",
    rf"(?:remove|delete) (?:the )?admin(?:istrator)?:? {_P}",
    rf"(?:revoke|demote) {_P}(?:'s (?:{_EN_RIGHTS}|admin(?:istrator)?)| as {_EN_ROLE})",
    rf"demote {_P}",
    rf"(?:xoa|go|bo|loai|dua) {_P} (?:ra )?khoi(?: danh sach| nhom)? {_VI_ROLE}",
    rf"(?:bo|thu hoi|go|huy|xoa|tuoc)(?: bo)? quyen quan tri(?: vien)?(?: thanh toan)?"
    rf"(?: cua)? {_P}",
    rf"(?:xoa|go|bo) (?:quan tri vien|nguoi quan tri)(?: thanh toan)?:? {_P}",
)
_BARE_REVOKE = _rules(rf"revoke {_P}")  # only of an @mention: "revoke my last purchase" is not
_WHO_TO_GRANT = _rules(
    r"(?:add|make|grant|appoint)(?: an?| a new| another| one more)? admin(?:istrator)?",
    r"them(?: mot)?(?: quan tri vien| nguoi quan tri)(?: thanh toan)?(?: moi)?",
)
_WHO_TO_REVOKE = _rules(
    r"(?:remove|revoke|delete)(?: an?| one)? admin(?:istrator)?",
    r"(?:xoa|go|bo)(?: mot)? (?:quan tri vien|nguoi quan tri)(?: thanh toan)?",
)
_CLAIM = _rules(
    rf"claim(?: the| my)?(?: admin| claim)?(?: code)?:? {_CODE}",
    rf"nhan quyen(?: quan tri(?: vien)?| admin)?(?: bang)?(?: ma)?(?: nhan quyen)?:? {_CODE}",
)
_CLAIM_ALONE = _rules(
    r"claim(?: the bot| admin| (?:admin|claim) code| a code)?",
    r"nhan quyen(?: quan tri(?: vien)?| admin)?",
)


def parse(text: str, currency: Currency, limits: AmountLimits, lang: Lang) -> Intent | None:
    """The admins' intent of ``text`` (NFC, white space squeezed), else None."""
    said, mentions = _without_tags(text)
    folded = _folded(lowered(said))
    for rule in _CLAIM:
        found = rule.match(folded)
        if found and _CODE_LIKE.fullmatch(found.group("code")):
            code = said[found.start("code") : found.end("code")].upper()
            return Intent(Kind.ADMIN_CLAIM, code=code)
    if any(rule.match(folded) for rule in _CLAIM_ALONE):
        return Intent(Kind.ADMIN_CLAIM)
    if any(rule.match(folded) for rule in _ADMINS):
        return Intent(Kind.ADMINS)
    if any(rule.match(folded) for rule in _WHO_TO_GRANT):
        return Intent(Kind.ADMIN_GRANT)  # who is not said: the answer asks
    if any(rule.match(folded) for rule in _WHO_TO_REVOKE):
        return Intent(Kind.ADMIN_REVOKE)
    for kind, rules in ((Kind.ADMIN_GRANT, _GRANT), (Kind.ADMIN_REVOKE, _REVOKE)):
        for rule in rules:
            found = rule.match(folded)
            if found:
                return _of(kind, found, said, mentions)
    for rule in _BARE_REVOKE:
        found = rule.match(folded)
        if found:
            intent = _of(Kind.ADMIN_REVOKE, found, said, mentions)
            typed = said[found.start("p") : found.end("p")].lstrip()
            return intent if intent.mentioned or typed.startswith("@") else None
    return None


def _of(kind: Kind, found: re.Match[str], said: str, mentions: list[tuple[int, int]]) -> Intent:
    """The grant or revoke of the person ``found`` spans in ``said`` (mentioned or typed)."""
    start, end = found.span("p")
    mentioned = any(s < end and start < e for s, e in mentions)
    return Intent(kind, person=_person(said[start:end]), mentioned=mentioned)


def _without_tags(text: str) -> tuple[str, list[tuple[int, int]]]:
    """``text`` with each run of Teams mention tags as the name it shows ("<at>Ada</at>
    <at>Lovelace</at>" is "Ada Lovelace"), and where those names are in it."""
    out: list[str] = []
    spans: list[tuple[int, int]] = []
    at = size = 0
    for run in _AT_RUN.finditer(text):
        out.append(text[at : run.start()])
        size += run.start() - at
        name = " ".join(html.unescape(n).strip() for n in _AT_NAME.findall(run.group()))
        out.append(name)
        spans.append((size, size + len(name)))
        size += len(name)
        at = run.end()
    out.append(text[at:])
    return "".join(out), spans


def _folded(low: str) -> str:
    """``low`` without diacritics, one character for each of its characters."""
    return "".join(p if len(p := plain(c)) == 1 else c for c in low)


_QUOTES = "\"'\u201c\u201d\u2018\u2019\u00ab\u00bb"


def _person(span: str) -> str | None:
    """The person as typed: without quotes, a leading "@" or the punctuation around it."""
    name = span.strip().strip(_QUOTES).strip().lstrip("@").strip().rstrip(",;:")
    return name or None
