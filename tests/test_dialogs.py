"""Dialog transcripts (DialogTestClient) on a real ledger: every flow, help and cancel mid-flow,
each bad amount, and who may do what."""

from __future__ import annotations

import pytest
from card_helpers import button, texts
from dialog_helpers import ADMIN, TENANT, VIEWER, card_of, client, press

from cards import actions as verbs
from credits.service import CreditsService
from dialogs.actions import CardSigner
from dialogs.caller import Caller


async def test_balance(service: CreditsService) -> None:
    await service.adjust(TENANT, "42.50", ADMIN.actor, "opening", "open")
    for said in ("balance", "show balance", "how much credit do we have"):
        reply = await client(service).send_activity(said)
        assert "$42.50" in texts(card_of(reply))


async def test_add_funds_with_an_amount_confirms_then_adds(service: CreditsService) -> None:
    talk = client(service)
    confirm = card_of(await talk.send_activity("add $50 credits"))
    assert "$50.00" in texts(confirm)
    assert (await service.account(TENANT)).balance.minor == 0  # nothing until confirmed
    receipt = card_of(await talk.send_activity(press(button(confirm, verbs.ADD_FUNDS_CONFIRM))))
    assert "$50.00" in texts(receipt)
    assert (await service.account(TENANT)).balance.minor == 5000
    # the same confirm again (a double click, a replay) adds nothing
    again = card_of(await talk.send_activity(press(button(confirm, verbs.ADD_FUNDS_CONFIRM))))
    assert "already" in texts(again).lower()
    assert (await service.account(TENANT)).balance.minor == 5000


@pytest.mark.parametrize("said", ["add 50 dollars", "top up 75 USD"])
async def test_other_ways_to_add(service: CreditsService, said: str) -> None:
    confirm = card_of(await client(service).send_activity(said))
    assert button(confirm, verbs.ADD_FUNDS_CONFIRM)["amount"] in ("50.00", "75.00")


async def test_add_credits_without_an_amount_asks_and_accepts_a_typed_amount(
    service: CreditsService,
) -> None:
    talk = client(service)
    form = card_of(await talk.send_activity("add credits"))
    assert button(form, verbs.ADD_FUNDS_REVIEW)  # quick amounts and the form
    assert "How much" in (talk.get_next_reply().text or "")
    confirm = card_of(await talk.send_activity("75"))
    assert button(confirm, verbs.ADD_FUNDS_CONFIRM)["amount"] == "75.00"


@pytest.mark.parametrize(
    ("amount", "hint"),
    [
        ("-5 dollars", "more than zero"),
        ("1e9 dollars", "Exponents"),
        ("$0.001", "2 decimal"),
        ("$20000", "maximum"),
        ("$5", "minimum"),
    ],
)
async def test_a_bad_amount_says_what_is_allowed_and_asks_again(
    service: CreditsService, amount: str, hint: str
) -> None:
    talk = client(service)
    await talk.send_activity("add credits")
    talk.get_next_reply()  # the prompt
    reply = await talk.send_activity(amount)
    assert hint in (reply.text or "")
    assert "$10.00 to $10,000.00" in (reply.text or "")
    assert "How much" in (reply.text or "")  # asks again in the same message
    confirm = card_of(await talk.send_activity("$50"))
    assert button(confirm, verbs.ADD_FUNDS_CONFIRM)["amount"] == "50.00"
    assert (await service.account(TENANT)).balance.minor == 0


@pytest.mark.parametrize("said", ["add -5 dollars", "add 1e9 dollars", "add $0.001"])
async def test_a_bad_amount_in_the_first_message_is_refused(
    service: CreditsService, said: str
) -> None:
    talk = client(service)
    form = card_of(await talk.send_activity(said))
    assert "$10.00 to $10,000.00" in texts(form)
    assert (await service.history(TENANT)).entries == ()


async def test_help_and_cancel_mid_flow(service: CreditsService) -> None:
    talk = client(service)
    await talk.send_activity("add credits")
    talk.get_next_reply()
    help_reply = await talk.send_activity("help")
    assert "add $50 credits" in texts(card_of(help_reply))
    assert "How much" in (talk.get_next_reply().text or "")  # the flow goes on
    cancelled = await talk.send_activity("cancel")
    assert "Nothing was changed" in (cancelled.text or "")
    after = await talk.send_activity("75")  # no longer in the flow
    assert "didn't catch" in (after.text or "")
    assert (await service.history(TENANT)).entries == ()


async def test_set_auto_recharge_in_one_sentence(service: CreditsService) -> None:
    talk = client(service)
    confirm = card_of(await talk.send_activity("set auto-recharge to $100 when below $20"))
    data = button(confirm, verbs.RECHARGE_CONFIRM)
    assert (data["enabled"], data["amount"], data["trigger"]) == ("true", "100.00", "20.00")
    balance = card_of(await talk.send_activity(press(data)))
    assert "$100.00" in texts(balance)
    again = card_of(await talk.send_activity(press(data)))  # a second click says so
    assert "saved already" in texts(again)
    view = await service.account(TENANT)
    assert view.recharge.enabled and view.recharge.amount is not None
    assert view.recharge.amount.minor == 10000 and view.recharge.trigger is not None
    assert view.recharge.trigger.minor == 2000


async def test_turn_on_auto_recharge_collects_what_is_missing(service: CreditsService) -> None:
    talk = client(service)
    asked = await talk.send_activity("turn on auto-recharge")
    assert "How much" in (asked.text or "")
    bad = await talk.send_activity("5")
    assert "minimum" in (bad.text or "") and "How much" in (bad.text or "")
    asked_trigger = await talk.send_activity("100")
    assert "below" in (asked_trigger.text or "")
    confirm = card_of(await talk.send_activity("20"))
    data = button(confirm, verbs.RECHARGE_CONFIRM)
    assert (data["amount"], data["trigger"]) == ("100.00", "20.00")


async def test_turn_off_and_a_stale_card(service: CreditsService) -> None:
    await service.set_auto_recharge(TENANT, ADMIN.actor, enabled=True, amount="100", trigger="20")
    talk = client(service)
    off = card_of(await talk.send_activity("turn off auto-recharge"))
    also = card_of(await talk.send_activity("recharge $250 when below $30"))
    await talk.send_activity(press(button(also, verbs.RECHARGE_CONFIRM)))
    stale = card_of(await talk.send_activity(press(button(off, verbs.RECHARGE_CONFIRM))))
    assert "out of date" in texts(stale).lower()
    view = await service.account(TENANT)
    assert view.recharge.enabled and view.recharge.amount is not None
    assert view.recharge.amount.minor == 25000


async def test_recharge_settings_shows_the_form(service: CreditsService) -> None:
    await service.set_auto_recharge(TENANT, ADMIN.actor, enabled=True, amount="100", trigger="20")
    form = card_of(await client(service).send_activity("recharge settings"))
    assert button(form, verbs.RECHARGE_REVIEW)
    assert "100.00" in str(form) and "20.00" in str(form)


async def test_history_is_paged(service: CreditsService) -> None:
    for n in range(12):
        await service.adjust(TENANT, str(10 + n), ADMIN.actor, f"entry {n}", f"k{n}")
    talk = client(service)
    first = card_of(await talk.send_activity("history"))
    assert "$21.00" in texts(first) and "$10.00" not in texts(first)
    older = card_of(await talk.send_activity(press(button(first, verbs.HISTORY))))
    assert "$10.00" in texts(older)


async def test_not_understood_gets_suggestions(service: CreditsService) -> None:
    reply = await client(service).send_activity("what's the weather like")
    assert "balance" in (reply.text or "") and "help" in (reply.text or "")


async def test_non_admins_cannot_see_or_change(service: CreditsService) -> None:
    talk = client(service, VIEWER)
    for said in ("balance", "add $50 credits", "history", "turn off auto-recharge"):
        reply = await talk.send_activity(said)
        assert "Only billing admins" in (reply.text or "")
    # a confirm card made for an admin, pressed by a non-admin, changes nothing
    confirm = card_of(await client(service).send_activity("add $50 credits"))
    denied = card_of(await talk.send_activity(press(button(confirm, verbs.ADD_FUNDS_CONFIRM))))
    assert "Only billing admins" in texts(denied)
    assert (await service.account(TENANT)).balance.minor == 0


async def test_a_forged_payload_is_not_allowed(service: CreditsService) -> None:
    confirm = card_of(await client(service).send_activity("add $50 credits"))
    data = button(confirm, verbs.ADD_FUNDS_CONFIRM)
    forged_amount = dict(data, amount="5000.00")
    reply = card_of(await client(service).send_activity(press(forged_amount)))
    assert "can't be used" in texts(reply)
    other_tenant = Caller("tenant-b", "aad-eve", "Eve", is_admin=True)
    reply = card_of(await client(service, other_tenant).send_activity(press(data)))
    assert "can't be used" in texts(reply)
    assert (await service.account(TENANT)).balance.minor == 0
    assert (await service.account("tenant-b")).balance.minor == 0


async def test_a_confirm_card_sent_before_the_rename_still_works(service: CreditsService) -> None:
    """Confirm cards used to carry the idempotency key as data `key` (which the Adaptive Cards JS
    SDK claims for itself); one still in a chat adds the funds once."""
    signer = CardSigner(b"test-secret")
    old = {"verb": verbs.ADD_FUNDS_CONFIRM, "amount": "50.00", "key": "old-card-1"}
    old["sig"] = signer.sign(TENANT, old)
    talk = client(service)
    assert "$50.00" in texts(card_of(await talk.send_activity(press(old))))
    assert "already" in texts(card_of(await talk.send_activity(press(old)))).lower()
    assert (await service.account(TENANT)).balance.minor == 5000


async def test_a_new_request_mid_flow_starts_over(service: CreditsService) -> None:
    talk = client(service)
    await talk.send_activity("add credits")
    talk.get_next_reply()  # "How much..."
    reply = await talk.send_activity("balance")  # not an amount: a new request
    assert "$0.00" in texts(card_of(reply))
    after = await talk.send_activity("75")  # the add-funds flow is over
    assert "didn't catch" in (after.text or "")


async def test_alert_subscriptions_and_thresholds_by_chat(service: CreditsService) -> None:
    talk = client(service)
    reply = await talk.send_activity("send alerts here")
    assert "Alerts will be posted here" in (reply.text or "")
    [sub] = await service.list_subscriptions(TENANT)
    assert sub.reference["conversation"]["id"] == sub.conversation_id
    again = await talk.send_activity("send alerts here")
    assert "already" in (again.text or "")
    thresholds = await talk.send_activity("alert me when below $50 and $20")
    assert "$50.00, $20.00" in (thresholds.text or "")
    summary = await talk.send_activity("alerts")
    assert "Alerts go here" in (summary.text or "") and "$50.00" in (summary.text or "")
    stop = await talk.send_activity("stop alerts here")
    assert "no longer" in (stop.text or "")
    assert await service.list_subscriptions(TENANT) == []
    denied = await client(service, VIEWER).send_activity("send alerts here")
    assert "Only billing admins" in (denied.text or "")
