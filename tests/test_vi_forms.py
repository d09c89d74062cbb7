"""A form is read with the number convention of the language it was written in, whoever presses
it. A Vietnamese form's Review button carries ``lang: "vi"``; an English form's carries no
``lang`` (as every form did before), and a press without ``lang`` is read as English whoever
presses it (every card sent before ``lang`` was English). A Vietnamese auto-recharge form
prefilled "80,00" and reviewed from an English Teams is $80.00, not $8,000.00; an English BHD form
prefilled "12.345" reviewed from a Vietnamese Teams is BHD 12.345, not 12345. Quick amounts and
confirm data stay machine values in every language."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from botbuilder.schema import Activity, ActivityTypes
from botbuilder.testing import DialogTestClient
from card_helpers import button, texts
from conftest import ServiceFactory
from dialog_helpers import ADMIN, TENANT, client

from cards import actions as verbs
from cards import add_funds_form, recharge_form
from cards._elements import input_value, nodes
from credits.i18n import Lang, speaking
from credits.models import AccountView, RechargeSettings
from credits.money import AmountLimits, Currency, Money, currency, parse_card_input
from credits.service import CreditsService
from dialogs.actions import CardActions, CardSigner
from dialogs.card_data import BadButton, RechargeReview, parse_card_data

EN, VI = "en-US", "vi-VN"
NBSP = "\u00a0"
CARD = "application/vnd.microsoft.card.adaptive"
USD, BHD, JPY, VND = currency("USD"), currency("BHD"), currency("JPY"), currency("VND")


def said(text: str, locale: str) -> Activity:
    return Activity(type=ActivityTypes.message, text=text, locale=locale)


def pressed(data: dict[str, Any], locale: str) -> Activity:
    return Activity(type=ActivityTypes.message, value=data, locale=locale)


async def one_card(talk: DialogTestClient, activity: Activity) -> dict[str, Any]:
    """The card among the replies of one turn."""
    replies = [await talk.send_activity(activity)]
    while (more := talk.get_next_reply()) is not None:
        replies.append(more)
    found = [
        a.content
        for r in replies
        if r is not None
        for a in r.attachments or []
        if a.content_type == CARD
    ]
    assert len(found) == 1, [r.text for r in replies if r is not None]
    content: dict[str, Any] = found[0]
    return content


def inputs(card: dict[str, Any]) -> dict[str, Any]:
    """What a client sends for the card's inputs as they are (prefilled, untouched)."""
    return {
        n["id"]: n.get("value", "") for n in nodes(card) if str(n.get("type")).startswith("Input.")
    }


def review(form: dict[str, Any], verb: str) -> dict[str, Any]:
    """The data of the form's own Review button (among the card's actions, not a quick amount)."""
    [found] = [dict(a["data"]) for a in form["actions"] if a.get("verb") == verb]
    return found


def submit(form: dict[str, Any], verb: str, **typed: str) -> dict[str, Any]:
    """The Review button's data with the form's inputs, some of them typed over."""
    return {**inputs(form), **typed, **review(form, verb)}


async def recharge_form_in(talk: DialogTestClient, locale: str) -> dict[str, Any]:
    text = "cài đặt tự động nạp" if locale == VI else "auto-recharge settings"
    return await one_card(talk, said(text, locale))


async def add_funds_form_in(talk: DialogTestClient, locale: str) -> dict[str, Any]:
    text = "tôi muốn nạp tiền" if locale == VI else "add funds"
    return await one_card(talk, said(text, locale))


async def untouched(service: CreditsService, amount: int, trigger: int) -> None:
    view = await service.account(TENANT)
    assert view.balance.minor == 0
    assert view.recharge.amount is not None and view.recharge.amount.minor == amount
    assert view.recharge.trigger is not None and view.recharge.trigger.minor == trigger


# --------------------------------------------------------------------------- auto-recharge


async def test_a_vietnamese_recharge_form_reviewed_from_english(service: CreditsService) -> None:
    await service.set_auto_recharge(TENANT, ADMIN.actor, enabled=True, amount="80", trigger="15")
    talk = client(service)
    form = await recharge_form_in(talk, VI)
    assert (inputs(form)["recharge_amount"], inputs(form)["recharge_trigger"]) == ("80,00", "15,00")
    assert review(form, verbs.RECHARGE_REVIEW)["lang"] == "vi"
    confirm = await one_card(talk, pressed(submit(form, verbs.RECHARGE_REVIEW), EN))
    data = button(confirm, verbs.RECHARGE_CONFIRM)
    assert (data["amount"], data["trigger"]) == ("80.00", "15.00")
    shown = texts(confirm)  # written in the presser's language
    assert "add $80.00 whenever the balance falls below $15.00" in shown.lower()
    assert "8,000" not in shown and "1,500" not in shown
    # typed the Vietnamese way on the Vietnamese form: read that way from English too
    typed = submit(form, verbs.RECHARGE_REVIEW, recharge_amount="1.500,5", recharge_trigger="1.000")
    data = button(await one_card(talk, pressed(typed, EN)), verbs.RECHARGE_CONFIRM)
    assert (data["amount"], data["trigger"]) == ("1500.50", "1000.00")
    await untouched(service, 8000, 1500)


async def test_an_english_recharge_form_reviewed_from_vietnamese(service: CreditsService) -> None:
    await service.set_auto_recharge(TENANT, ADMIN.actor, enabled=True, amount="80", trigger="15")
    talk = client(service)
    form = await recharge_form_in(talk, EN)
    assert (inputs(form)["recharge_amount"], inputs(form)["recharge_trigger"]) == ("80.00", "15.00")
    assert review(form, verbs.RECHARGE_REVIEW) == {"verb": verbs.RECHARGE_REVIEW}  # no `lang`
    confirm = await one_card(talk, pressed(submit(form, verbs.RECHARGE_REVIEW), VI))
    data = button(confirm, verbs.RECHARGE_CONFIRM)
    assert (data["amount"], data["trigger"]) == ("80.00", "15.00")
    assert "80,00 US$" in texts(confirm).replace(NBSP, " ")
    typed = submit(form, verbs.RECHARGE_REVIEW, recharge_amount="1,000.50", recharge_trigger="20.5")
    data = button(await one_card(talk, pressed(typed, VI)), verbs.RECHARGE_CONFIRM)
    assert (data["amount"], data["trigger"]) == ("1000.50", "20.50")
    await untouched(service, 8000, 1500)


async def test_an_english_bhd_form_reviewed_from_vietnamese(make_service: ServiceFactory) -> None:
    service = await make_service(default_currency="BHD")
    await service.set_auto_recharge(
        TENANT, ADMIN.actor, enabled=True, amount="12.345", trigger="1.005"
    )
    talk = client(service)
    form = await recharge_form_in(talk, EN)
    assert (inputs(form)["recharge_amount"], inputs(form)["recharge_trigger"]) == (
        "12.345",
        "1.005",
    )
    confirm = await one_card(talk, pressed(submit(form, verbs.RECHARGE_REVIEW), VI))
    data = button(confirm, verbs.RECHARGE_CONFIRM)
    assert (data["amount"], data["trigger"]) == ("12.345", "1.005")
    typed = submit(form, verbs.RECHARGE_REVIEW, recharge_amount="20.5", recharge_trigger="2.250")
    data = button(await one_card(talk, pressed(typed, VI)), verbs.RECHARGE_CONFIRM)
    assert (data["amount"], data["trigger"]) == ("20.500", "2.250")
    # the add-funds form's typed amount likewise
    funds = await add_funds_form_in(talk, EN)
    typed = submit(funds, verbs.ADD_FUNDS_REVIEW, amount="12.345")
    data = button(await one_card(talk, pressed(typed, VI)), verbs.ADD_FUNDS_CONFIRM)
    assert data["amount"] == "12.345"
    await untouched(service, 12345, 1005)


async def test_a_vietnamese_bhd_form_reviewed_from_english(make_service: ServiceFactory) -> None:
    service = await make_service(default_currency="BHD")
    await service.set_auto_recharge(
        TENANT, ADMIN.actor, enabled=True, amount="12.345", trigger="1.005"
    )
    talk = client(service)
    form = await recharge_form_in(talk, VI)
    assert inputs(form)["recharge_trigger"] == "1,005"
    data = button(
        await one_card(talk, pressed(submit(form, verbs.RECHARGE_REVIEW), EN)),
        verbs.RECHARGE_CONFIRM,
    )
    assert (data["amount"], data["trigger"]) == ("12.345", "1.005")
    await untouched(service, 12345, 1005)


async def test_a_recharge_press_without_lang_is_english(service: CreditsService) -> None:
    """A Review press without ``lang`` (an English form, or any card sent before ``lang``) is
    read as English whoever presses it: from a Vietnamese Teams too."""
    await service.set_auto_recharge(TENANT, ADMIN.actor, enabled=True, amount="80", trigger="15")
    talk = client(service)
    bare = {"verb": verbs.RECHARGE_REVIEW, "recharge_enabled": "true"}
    for locale in (EN, VI):
        en = dict(bare, recharge_amount="1,000.50", recharge_trigger="15.00")
        data = button(await one_card(talk, pressed(en, locale)), verbs.RECHARGE_CONFIRM)
        assert (data["amount"], data["trigger"]) == ("1000.50", "15.00"), locale
        en = dict(bare, recharge_amount="80.00", recharge_trigger="20.5")
        data = button(await one_card(talk, pressed(en, locale)), verbs.RECHARGE_CONFIRM)
        assert (data["amount"], data["trigger"]) == ("80.00", "20.50"), locale
        vi = dict(bare, recharge_amount="1.000,50", recharge_trigger="15.00")  # not English
        again = await one_card(talk, pressed(vi, locale))  # the form again, with the refusal
        assert button(again, verbs.RECHARGE_REVIEW)
        assert all(n.get("verb") != verbs.RECHARGE_CONFIRM for n in nodes(again)), locale
    await untouched(service, 8000, 1500)


# --------------------------------------------------------------------------- add funds


@pytest.mark.parametrize(
    ("written", "pressed_in", "typed", "amount"),
    [
        (VI, EN, "100,5", "100.50"),
        (VI, VI, "100,5", "100.50"),
        (VI, EN, "1.000,50", "1000.50"),
        (VI, VI, "1.000,50", "1000.50"),
        (EN, VI, "1,000.50", "1000.50"),
        (EN, EN, "1,000.50", "1000.50"),
        (EN, VI, "100.5", "100.50"),
        (EN, EN, "100.5", "100.50"),
    ],
)
async def test_the_add_funds_form_typed_amount(
    service: CreditsService, written: str, pressed_in: str, typed: str, amount: str
) -> None:
    talk = client(service)
    form = await add_funds_form_in(talk, written)
    data = submit(form, verbs.ADD_FUNDS_REVIEW, amount=typed)
    confirm = await one_card(talk, pressed(data, pressed_in))
    assert button(confirm, verbs.ADD_FUNDS_CONFIRM)["amount"] == amount
    assert (await service.account(TENANT)).balance.minor == 0


async def test_quick_amounts_and_presses_without_lang(service: CreditsService) -> None:
    """A quick amount is machine data (no `lang`) on a form of either language; a typed amount
    without `lang` is read as English whoever presses it."""
    talk = client(service)
    for written in (EN, VI):
        form = await add_funds_form_in(talk, written)
        chip = button(form, verbs.ADD_FUNDS_REVIEW)  # the first: a quick amount, machine data
        assert chip == {"verb": verbs.ADD_FUNDS_REVIEW, "amount": "25.00"}
        for locale in (EN, VI):
            confirm = await one_card(talk, pressed(chip, locale))
            assert button(confirm, verbs.ADD_FUNDS_CONFIRM)["amount"] == "25.00"
    for locale in (EN, VI):
        bare = {"verb": verbs.ADD_FUNDS_REVIEW, "amount": "1,000.50"}
        confirm = await one_card(talk, pressed(bare, locale))
        assert button(confirm, verbs.ADD_FUNDS_CONFIRM)["amount"] == "1000.50", locale
        bare = {"verb": verbs.ADD_FUNDS_REVIEW, "amount": "1.000,50"}  # not English: refused
        again = await one_card(talk, pressed(bare, locale))
        assert all(n.get("verb") != verbs.ADD_FUNDS_CONFIRM for n in nodes(again)), locale
    assert (await service.account(TENANT)).balance.minor == 0


async def test_a_vietnamese_shape_on_an_english_form_is_refused(service: CreditsService) -> None:
    talk = client(service)
    form = await add_funds_form_in(talk, EN)
    data = submit(form, verbs.ADD_FUNDS_REVIEW, amount="1.000,50")
    again = await one_card(talk, pressed(data, VI))  # the form again, with the refusal
    assert button(again, verbs.ADD_FUNDS_REVIEW)
    assert all(n.get("verb") != verbs.ADD_FUNDS_CONFIRM for n in nodes(again))


@pytest.mark.parametrize("typed", ["50,00", "1,5", "12,34", "1,0000"])
async def test_an_english_form_never_drops_a_comma_that_is_not_a_thousands_comma(
    service: CreditsService, typed: str
) -> None:
    """ "50,00" on an English form is not $5,000.00 (it once was): refused, the form again."""
    talk = client(service)
    form = await add_funds_form_in(talk, EN)
    again = await one_card(talk, pressed(submit(form, verbs.ADD_FUNDS_REVIEW, amount=typed), EN))
    assert all(n.get("verb") != verbs.ADD_FUNDS_CONFIRM for n in nodes(again))
    assert "Commas are not allowed here" in texts(again)
    grouped = await one_card(
        talk, pressed(submit(form, verbs.ADD_FUNDS_REVIEW, amount="1,000.50"), EN)
    )
    assert button(grouped, verbs.ADD_FUNDS_CONFIRM)["amount"] == "1000.50"


async def test_an_english_trigger_with_a_decimal_comma_is_refused(
    make_service: ServiceFactory,
) -> None:
    """On a VND account "2,5 triệu" typed as the trigger of an English form is not 25 million."""
    service = await make_service(default_currency="VND")
    await service.set_auto_recharge(TENANT, ADMIN.actor, enabled=True, amount="5000", trigger="0")
    talk = client(service)
    form = await recharge_form_in(talk, EN)
    data = submit(form, verbs.RECHARGE_REVIEW, recharge_trigger="2,5 triệu")
    again = await one_card(talk, pressed(data, EN))
    assert all(n.get("verb") != verbs.RECHARGE_CONFIRM for n in nodes(again))
    view = await service.account(TENANT)
    assert view.recharge.trigger is not None and view.recharge.trigger.minor == 0


def test_the_lang_field_is_checked() -> None:
    base = {"verb": verbs.RECHARGE_REVIEW, "recharge_enabled": "true"}
    press = parse_card_data(dict(base, lang="vi"))
    assert isinstance(press, RechargeReview) and press.form_lang is Lang.VI
    with speaking(Lang.VI):  # no `lang`: English, whoever presses
        assert parse_card_data(base).form_lang is Lang.EN  # type: ignore[union-attr]
        bad = parse_card_data(dict(base, lang="fr"))
        assert isinstance(bad, BadButton)
        assert "'lang'" in bad.problem and '"en" hoặc "vi"' in bad.problem
    assert parse_card_data(base).form_lang is Lang.EN  # type: ignore[union-attr]
    for wrong in ("fr", "VI", 1, None):
        bad = parse_card_data(dict(base, lang=wrong))
        if wrong is None:
            assert isinstance(bad, RechargeReview)
        else:
            assert isinstance(bad, BadButton) and "'lang'" in bad.problem, wrong


# --------------------------------------------------------------------------- across languages


CASES = [
    (USD, "80", "15"),
    (BHD, "12.345", "1.005"),
    (JPY, "8000", "0"),
    (VND, "9000", "1500"),
]


def _view(cur: Currency, amount: str, trigger: str) -> AccountView:
    def m(value: str) -> Money:
        return Money(Decimal(value), cur)

    settings = RechargeSettings(
        enabled=True,
        amount=m(amount),
        trigger=m(trigger),
        paused=False,
        consecutive_declines=0,
        daily_limit=5,
        monthly_cap=None,
    )
    return AccountView(
        tenant_id=TENANT,
        currency=cur,
        balance=m("1000"),
        version=3,
        recharge=settings,
        last_recharge=None,
        recharge_in_progress=False,
        daily_burn=m("5"),
        runway_days=None,
        expiring=None,
        thresholds=(),
        effective_thresholds=(),
        last_seq=40,
    )


@pytest.mark.parametrize(("cur", "amount", "trigger"), CASES)
def test_inputs_and_data_across_languages(cur: Currency, amount: str, trigger: str) -> None:
    """In every language: the form's prefilled inputs read back (in the form's language,
    whatever the reader speaks) to the setting; buttons' data stay machine values, and only the
    Review buttons' `lang` says the form was written in Vietnamese (an English form has none)."""
    limits = AmountLimits(minimum=Decimal(1), maximum=Decimal(10**9))
    account = _view(cur, amount, trigger)
    quick = [Money(Decimal(q), cur) for q in ("25", "50")]
    for lang in Lang:
        with speaking(lang):
            recharge = recharge_form(account, limits=limits)
            funds = add_funds_form(cur, limits, quick)
        tag = {} if lang is Lang.EN else {"lang": lang.value}
        assert review(recharge, verbs.RECHARGE_REVIEW) == {"verb": verbs.RECHARGE_REVIEW, **tag}
        presses = [
            n["data"]
            for n in nodes(funds)
            if n.get("type") == "Action.Execute" and n["verb"] == verbs.ADD_FUNDS_REVIEW
        ]
        assert presses[:-1] == [
            {"verb": verbs.ADD_FUNDS_REVIEW, "amount": m.plain()} for m in quick
        ]
        assert presses[-1] == {"verb": verbs.ADD_FUNDS_REVIEW, **tag}
        toggle = next(n for n in nodes(recharge) if n.get("type") == "Input.Toggle")
        assert (toggle["valueOn"], toggle["valueOff"], toggle["value"]) == ("true", "false", "true")
        values = inputs(recharge)
        for field, want in (("recharge_amount", amount), ("recharge_trigger", trigger)):
            money = Money(Decimal(want), cur)
            assert values[field] == input_value(money, lang)
            for reader in Lang:  # whoever reads it, in the form's convention
                with speaking(reader):
                    assert input_value(money, lang) == values[field]
                    if money.minor > 0:  # a zero trigger is read as zero before any parser
                        assert parse_card_input(values[field], cur, None, lang) == money


@pytest.mark.parametrize(("cur", "amount", "trigger"), CASES)
async def test_each_form_reviewed_from_each_language(
    make_service: ServiceFactory, cur: Currency, amount: str, trigger: str
) -> None:
    service = await make_service(default_currency=cur.code)
    await service.set_auto_recharge(
        TENANT, ADMIN.actor, enabled=True, amount=amount, trigger=trigger
    )
    actions = CardActions(service, CardSigner(b"test-secret"))
    want = (Money(Decimal(amount), cur).plain(), Money(Decimal(trigger), cur).plain())
    for written in Lang:
        with speaking(written):
            form = await actions.recharge_form(ADMIN)
        for presser in Lang:
            with speaking(presser):
                press = parse_card_data(submit(form, verbs.RECHARGE_REVIEW))
                result = await actions.handle(ADMIN, press)  # type: ignore[arg-type]
            data = button(result.card, verbs.RECHARGE_CONFIRM)
            assert (data["amount"], data["trigger"]) == want, (written, presser)


# --------------------------------------------------------------------------- text checks


CONFIRM = {"verb": verbs.ADD_FUNDS_CONFIRM, "amount": "50.00"}


@pytest.mark.parametrize(
    ("request_", "english", "vietnamese"),
    [
        (
            "a\x01b",
            "'request' must not contain control characters",
            "'request' không được chứa ký tự điều khiển",
        ),
        (
            "a\x00b",
            "'request' must not contain a NUL character",
            "'request' không được chứa ký tự NUL",
        ),
        ("   ", "'request' must not be empty", "'request' không được để trống"),
        (
            "k" * 1500,
            "'request' must be at most 150 characters (it has 1500)",
            "'request' chỉ được dài tối đa 150 ký tự (hiện có 1.500)",
        ),
        (
            "a\ud800",
            "'request' must be valid Unicode (it has an unpaired surrogate)",
            "'request' phải là Unicode hợp lệ",
        ),
    ],
)
def test_text_problems_are_said_in_the_turn_language(
    request_: str, english: str, vietnamese: str
) -> None:
    """credits.text's refusals (a card's request id, here) are whole sentences of the turn's
    language; in English exactly as before."""
    allowed = "; allowed: text of 1 to 150 characters, without control characters"
    bad = parse_card_data(dict(CONFIRM, request=request_))
    assert isinstance(bad, BadButton) and bad.problem == english + allowed
    with speaking(Lang.VI):
        bad = parse_card_data(dict(CONFIRM, request=request_))
    assert isinstance(bad, BadButton) and bad.problem.startswith(vietnamese), bad.problem
    assert "; giá trị hợp lệ: " in bad.problem
    assert not {"must", "allowed", "characters", "text"} & set(bad.problem.split()), bad.problem
