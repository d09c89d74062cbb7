"""The languages: which one a turn speaks, the catalogues (every message translated, the same
placeholders, in step with the code), Babel's formatting, and no user-facing English left
outside the catalogue in the code that writes replies and cards."""

from __future__ import annotations

import ast
import sys
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import ROUND_DOWN, Context, Decimal, localcontext
from pathlib import Path

import pytest
from botbuilder.schema import Activity, Entity

from credits.i18n import (
    Lang,
    current,
    fmt_date,
    fmt_datetime,
    fmt_money,
    fmt_number,
    lang_of,
    placeholders,
    speaking,
    t,
    tn,
)
from credits.money import Currency, Money
from credits.money.currencies import KNOWN_CURRENCIES
from dialogs.language import turn_lang

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))
import i18n as catalogues  # noqa: E402  (scripts/i18n.py)

NBSP = "\u00a0"


# --------------------------------------------------------------------------- the catalogues


def test_every_message_has_a_vietnamese_translation_with_the_same_placeholders() -> None:
    found = catalogues.problems()
    assert not found, "\n".join(found[:40]) + f"\n... {len(found)} in all"


def test_the_catalogues_hold_exactly_the_messages_the_code_says() -> None:
    """`python scripts/i18n.py update` has been run: no message missing, none left over."""
    said: dict[str, set[str]] = {}
    for found in catalogues.extracted():
        key = found.msgid[0] if isinstance(found.msgid, tuple) else found.msgid
        said.setdefault(found.po, set()).add(key)
    for _prefix, po in catalogues.FILES:
        path = ROOT / "credits" / "locale" / "vi" / po
        held = {
            m.id[0] if isinstance(m.id, tuple | list) else m.id
            for m in catalogues.read(path, "vi")
            if m.id
        }
        assert held == said.get(po, set()), (
            po,
            sorted(said.get(po, set()) - held)[:5],
            sorted(held - said.get(po, set()))[:5],
        )


def test_a_translation_is_used_and_english_is_the_message_itself() -> None:
    message = "Cancelled. Nothing was changed."
    assert t(message) == message
    with speaking(Lang.VI):
        assert t(message) != message
        assert t(message).strip()


def test_a_message_no_catalogue_knows_is_shown_as_written() -> None:
    with speaking(Lang.VI):
        assert t("A message nobody translated, {n}.", n=3) == "A message nobody translated, 3."


def test_plurals_follow_the_language() -> None:
    assert tn("{n} day", "{n} days", 1) == "1 day"
    assert tn("{n} day", "{n} days", 1234) == "1,234 days"
    with speaking(Lang.VI):  # no catalogue entry needed for the number: Babel writes it
        assert tn("{n} day", "{n} days", 1234).startswith("1.234")


def test_placeholders_are_read_from_braces() -> None:
    assert placeholders("Added {amount} on {date}.") == {"amount", "date"}
    assert placeholders("No placeholder.") == set()


# --------------------------------------------------------------------------- which language


@pytest.mark.parametrize(
    ("tag", "lang"),
    [
        ("vi", Lang.VI),
        ("vi-VN", Lang.VI),
        ("vi-vn", Lang.VI),
        ("VI_VN", Lang.VI),
        (" vi-VN ", Lang.VI),
        ("en-US", Lang.EN),
        ("en", Lang.EN),
        ("fr-FR", None),
        ("", None),
        (None, None),
        (42, None),
        ("vietnamese", None),
    ],
)
def test_a_locale_tag_names_a_language(tag: object, lang: Lang | None) -> None:
    assert lang_of(tag) is lang


def client_info(locale: str) -> Entity:
    return Entity().deserialize({"type": "clientInfo", "locale": locale, "country": "VN"})


@pytest.mark.parametrize(
    ("activity", "lang"),
    [
        (Activity(locale="vi-VN"), Lang.VI),
        (Activity(locale="vi-vn"), Lang.VI),
        (Activity(locale="vi"), Lang.VI),
        (Activity(locale="en-US"), Lang.EN),
        (Activity(), Lang.EN),
        (Activity(entities=[client_info("vi-VN")]), Lang.VI),
        (Activity(entities=[client_info("vi")]), Lang.VI),
        (Activity(locale="en-US", entities=[client_info("vi-VN")]), Lang.EN),  # root first
        (Activity(locale="vi-VN", entities=[client_info("en-US")]), Lang.VI),
        (Activity(locale="fr-FR"), Lang.EN),
        (Activity(locale="fr-FR", entities=[client_info("vi-VN")]), Lang.EN),
    ],
)
def test_the_language_of_a_turn(activity: Activity, lang: Lang) -> None:
    assert turn_lang(activity) is lang


def test_the_language_is_the_turns_and_comes_back_after_it() -> None:
    assert current() is Lang.EN
    with speaking(Lang.VI):
        assert current() is Lang.VI
        with speaking(Lang.EN):
            assert current() is Lang.EN
        assert current() is Lang.VI
    assert current() is Lang.EN


# --------------------------------------------------------------------------- Babel's formats


@pytest.mark.parametrize(
    ("amount", "code", "exponent", "english", "vietnamese"),
    [
        ("50", "USD", 2, "$50.00", f"50,00{NBSP}US$"),
        ("1000.50", "USD", 2, "$1,000.50", f"1.000,50{NBSP}US$"),
        ("-5", "USD", 2, "-$5.00", f"-5,00{NBSP}US$"),
        ("1000000", "VND", 0, "₫1,000,000", f"1.000.000{NBSP}₫"),
        ("1.005", "BHD", 3, "BHD 1.005", f"1,005{NBSP}BHD"),
        ("1000", "JPY", 0, "¥1,000", f"1.000{NBSP}JP¥"),
        ("20", "EUR", 2, "€20.00", f"20,00{NBSP}€"),
        ("5", "IQD", 3, "IQD 5.000", f"5,000{NBSP}IQD"),  # ISO 4217's 3 places, not CLDR's 0
    ],
)
def test_money_is_formatted_by_babel_for_the_language(
    amount: str, code: str, exponent: int, english: str, vietnamese: str
) -> None:
    assert fmt_money(Decimal(amount), code, exponent) == english
    with speaking(Lang.VI):
        assert fmt_money(Decimal(amount), code, exponent) == vietnamese


def test_numbers_and_dates_are_formatted_by_babel_for_the_language() -> None:
    moment = datetime(2026, 11, 24, 14, 5, tzinfo=UTC)
    assert (fmt_number(1234), fmt_date(moment), fmt_datetime(moment)) == (
        "1,234",
        "24 Nov 2026",
        "24 Nov 2026 14:05 UTC",
    )
    with speaking(Lang.VI):
        assert (fmt_number(1234), fmt_date(moment), fmt_datetime(moment)) == (
            "1.234",
            "24 thg 11, 2026",
            "14:05 UTC, 24 thg 11, 2026",
        )
        assert fmt_date(date(2026, 1, 2)) == "2 thg 1, 2026"


def test_times_are_shown_in_utc_whatever_zone_they_come_in() -> None:
    hanoi = timezone(timedelta(hours=7))
    moment = datetime(2026, 11, 24, 21, 5, tzinfo=hanoi)
    assert fmt_datetime(moment) == "24 Nov 2026 14:05 UTC"
    assert fmt_datetime(datetime(2026, 11, 24, 14, 5)) == "24 Nov 2026 14:05 UTC"  # naive: UTC


# --------------------------------------------------------------------------- no English left

# Strings in dialogs/ and cards/ that no person reads: card schema words, verbs, data keys, log
# events. A string is prose when it has a space between letters or ends a sentence.
_LOG_CALLS = {"debug", "info", "warning", "error", "exception", "critical", "bind"}


def _prose(value: str) -> bool:
    words = [w for w in value.split() if any(c.isalpha() for c in w)]
    return len(words) >= 2


def _unmarked(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    allowed: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            name = getattr(node.func, "id", None) or getattr(node.func, "attr", None)
            marked = name in {"t", "tn", "N_"}
            logged = name in _LOG_CALLS and isinstance(node.func, ast.Attribute)
            raised = name in {
                "AssertionError",
                "TypeError",
                "ValueError",
                "RuntimeError",
                "NotImplementedError",
            }
            pattern = name in {"compile", "match", "fullmatch", "search", "sub", "split", "findall"}
            if marked or logged or raised or pattern:
                allowed.update(id(n) for n in ast.walk(node))
        if isinstance(node, ast.Expr):  # docstrings, of modules, functions and attributes
            allowed.add(id(node.value))
        if isinstance(node, ast.Compare):  # vocabulary: `said in ("auto recharge", ...)`
            allowed.update(id(n) for n in ast.walk(node))
    return [
        f"{path.name}:{node.lineno}: {node.value!r}"
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant)
        and isinstance(node.value, str)
        and id(node) not in allowed
        and _prose(node.value)
        and not ("|" in node.value and any(c in node.value for c in "()\\"))  # a regex part
    ]


def test_no_user_facing_english_is_left_outside_the_catalogue() -> None:
    """Every sentence in the code that writes replies and cards is a catalogue message."""
    left = [
        line
        for package in ("dialogs", "cards")
        for path in sorted((ROOT / package).glob("*.py"))
        if path.name != "validate.py"  # the Adaptive Card checker's words are for developers
        for line in _unmarked(path)
    ]
    assert not left, "\n".join(left)


def test_the_check_for_english_finds_english(tmp_path: Path) -> None:
    sample = tmp_path / "sample.py"
    sample.write_text(
        '"""A docstring."""\nSAID = "Nothing was changed."\nOK = t("Nothing was changed.")\n'
        'log.info("request refused")\nVERB = "add_funds"\nTYPE = "TextBlock"\n'
    )
    assert [line.split(": ", 1)[1] for line in _unmarked(sample)] == ["'Nothing was changed.'"]


def _as_before(amount: Decimal, cur: Currency) -> str:
    """How English amounts were written before Babel wrote them (the old `Money.format`)."""
    body = f"{amount.copy_abs():,.{cur.exponent}f}"
    sign = "-" if amount < 0 else ""
    return f"{sign}{cur.code} {body}" if cur.symbol == cur.code else f"{sign}{cur.symbol}{body}"


@pytest.mark.parametrize("code", sorted(KNOWN_CURRENCIES))
def test_english_amounts_read_exactly_as_they_always_have(code: str) -> None:
    cur = KNOWN_CURRENCIES[code]
    for value in ("0", "1", "7.5", "1000.5", "-5", "1234567.891", "999999999999.9999", "0.001"):
        with localcontext(Context(prec=64)):
            money = Money(Decimal(value).quantize(cur.quantum, rounding=ROUND_DOWN), cur)
        assert money.format() == _as_before(money.amount, cur), (code, value)
