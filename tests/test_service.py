"""The facade end to end on real databases (SQLite file and PostgreSQL)."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from functools import partial
from typing import Any

import pytest
from records import call as record_call
from sqlalchemy import event, text
from sqlalchemy.exc import DBAPIError, IntegrityError

from credits.clock import ManualClock
from credits.errors import (
    IdempotencyConflict,
    PaymentDeclined,
    PaymentUnavailable,
    StaleError,
    ValidationError,
)
from credits.models import Actor, AlertKind, EntryKind, UsageStatus
from credits.money import AmountError, Money, currency
from credits.payments import SandboxGateway
from credits.service import CreditsService

ADA = Actor("aad-ada", "Ada Admin")
T = "tenant-a"
USD = currency("USD")


def usd(text_: str) -> Money:
    return Money(Decimal(text_), USD)


call = partial(record_call, tenantId=T)  # text charges: the service reads them as JSON has them


async def assert_consistent(service: CreditsService, tenant: str = T) -> int:
    totals = await service.verify(tenant)
    assert totals["stored"] == totals["entries"] == totals["lots_minus_debt"], totals
    return totals["stored"]


async def test_new_tenant_gets_an_empty_account_in_the_default_currency(
    service: CreditsService,
) -> None:
    view = await service.account(T)
    assert view.balance == usd("0")
    assert view.currency.code == "USD"
    assert view.depleted
    assert not view.recharge.enabled
    assert view.last_recharge is None
    assert view.runway_days is None
    assert await assert_consistent(service) == 0


async def test_add_funds_charges_once_and_credits_once(
    service: CreditsService, gateway: SandboxGateway
) -> None:
    result = await service.add_funds(T, "50", ADA, "card-1")
    assert result.balance == usd("50")
    assert result.entry.kind is EntryKind.FUNDING
    assert result.entry.actor == ADA
    assert not result.replayed
    again = await service.add_funds(T, Decimal("50"), ADA, "card-1")
    assert again.replayed and again.entry == result.entry and again.balance == usd("50")
    assert len({c.idempotency_key for c in gateway.calls}) == 1
    with pytest.raises(IdempotencyConflict):
        await service.add_funds(T, "60", ADA, "card-1")
    assert (await service.account(T)).balance == usd("50")
    assert await assert_consistent(service) == 5000


@pytest.mark.parametrize("amount", ["0", "-5", "1e9", "9.99", "10000.01", "0.001", "NaN", "abc"])
async def test_rejected_purchase_changes_nothing(service: CreditsService, amount: str) -> None:
    with pytest.raises(AmountError):
        await service.add_funds(T, amount, ADA, f"k-{amount}")
    assert (await service.history(T)).entries == ()
    assert await service.payments(T) == []


async def test_declined_purchase_credits_nothing(make_service: Any) -> None:
    service = await make_service(SandboxGateway(decline_tenants=frozenset({T})))
    with pytest.raises(PaymentDeclined):
        await service.add_funds(T, "50", ADA, "k")
    with pytest.raises(PaymentDeclined):  # a replay answers the same
        await service.add_funds(T, "50", ADA, "k")
    assert (await service.account(T)).balance == usd("0")
    assert [p.status for p in await service.payments(T)] == ["declined"]


async def test_gateway_timeout_is_finished_later_with_the_same_key(
    make_service: Any, clock: ManualClock
) -> None:
    hanging = SandboxGateway(hang_tenants=frozenset({T}))
    service = await make_service(hanging, gateway_timeout_seconds=0.05)
    with pytest.raises(PaymentUnavailable):
        await service.add_funds(T, "50", ADA, "k")
    assert (await service.account(T)).balance == usd("0")
    hanging.hang_tenants = frozenset()
    assert await service.process_payments("w1") == []  # lease still held
    clock.advance(timedelta(minutes=5))
    outcomes = await service.process_payments("w1")
    assert [o.status for o in outcomes] == ["succeeded"]
    [payment] = await service.payments(T)
    assert {c.idempotency_key for c in hanging.calls} == {payment.idempotency_key}
    assert (await service.account(T)).balance == usd("50")
    replay = await service.add_funds(T, "50", ADA, "k")
    assert replay.replayed and replay.balance == usd("50")


async def test_usage_is_idempotent_and_conflicts_are_reported(service: CreditsService) -> None:
    await service.add_funds(T, "100", ADA, "k")
    outcomes = await service.ingest_usage(
        [call("c1", "1.25"), call("c1", "1.25"), call("c1", "2.00"), call("c2", "0.75")]
    )
    assert [o.status for o in outcomes] == [
        UsageStatus.APPLIED,
        UsageStatus.DUPLICATE,
        UsageStatus.CONFLICT,
        UsageStatus.APPLIED,
    ]
    again = await service.ingest_usage([call("c1", "1.25"), call("c2", "9.00")])
    assert [o.status for o in again] == [UsageStatus.DUPLICATE, UsageStatus.CONFLICT]
    assert (await service.account(T)).balance == usd("98.00")
    assert await assert_consistent(service) == 9800


async def test_bad_usage_records_never_stop_good_ones(service: CreditsService) -> None:
    batch = [
        call("ok", "1.00"),
        call("eur", "1.00", currency="EUR"),
        dict(call("float", "1.00"), charge=1.0),
        call("neg", "-1.00"),
        call("cents", "0.001"),
        {"id": "no-start", "tenantId": T, "charge": "1", "currency": "USD"},
        "not an object",
        call("", "1.00"),
        call("ok2", "2.00"),
    ]
    outcomes = await service.ingest_usage(batch)
    assert [o.status for o in outcomes] == [UsageStatus.APPLIED] + [UsageStatus.REJECTED] * 7 + [
        UsageStatus.APPLIED
    ]
    assert all(o.reason for o in outcomes if o.status is UsageStatus.REJECTED)
    assert "USD" in (outcomes[1].reason or "")
    assert (await service.account(T)).balance == usd("-3.00")
    assert await assert_consistent(service) == -300


async def test_usage_consumes_oldest_lot_first_and_debt_is_repaid(
    service: CreditsService, clock: ManualClock
) -> None:
    await service.add_funds(T, "10", ADA, "old")
    clock.advance(timedelta(days=40))
    await service.add_funds(T, "20", ADA, "new")
    await service.ingest_usage([call("c1", "15.00")])
    clock.advance(timedelta(days=330))  # the first lot (used up) and 5 of the second remain
    report = await service.run_checks()
    assert report.expired_lots == 0
    clock.advance(timedelta(days=40))  # now the second lot has expired too
    report = await service.run_checks()
    assert report.expired_lots == 1
    history = await service.history(T)
    assert history.entries[0].kind is EntryKind.EXPIRY
    assert history.entries[0].amount == usd("-15.00")
    assert history.entries[0].reason == "Funds bought 2026-02-10 expired"
    assert await assert_consistent(service) == 0
    await service.ingest_usage([call("c2", "4.00")])  # no lot left: debt
    assert await assert_consistent(service) == -400
    await service.add_funds(T, "10", ADA, "repay")
    assert await assert_consistent(service) == 600


async def test_expiry_names_the_day_the_funds_were_bought(
    make_service: Any, clock: ManualClock
) -> None:
    """The reason comes from the lot's purchase date, whatever the lots' lifetime."""
    service = await make_service(lot_lifetime_months=6)
    await service.add_funds(T, "10", ADA, "k")  # 2026-01-01, expires 2026-07-01
    clock.advance(timedelta(days=200))
    report = await service.run_checks()
    assert report.expired_lots == 1
    [expired, _bought] = (await service.history(T)).entries
    assert expired.kind is EntryKind.EXPIRY and expired.amount == usd("-10.00")
    assert expired.reason == "Funds bought 2026-01-01 expired"
    assert expired.occurred_at == clock.now() - timedelta(days=200 - 181)
    assert await assert_consistent(service) == 0


async def test_checks_reach_every_account_a_page_at_a_time(
    service: CreditsService, clock: ManualClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("credits.checks.TENANTS_PAGE", 2)
    tenants = ["t-c", "t-a", "t-e", "t-b", "t-d"]  # five accounts: pages of 2, 2 and 1
    for tenant in tenants:
        await service.add_funds(tenant, "10", ADA, f"k-{tenant}")
    clock.advance(timedelta(days=400))
    report = await service.run_checks()
    assert report.expired_lots == len(tenants)
    for tenant in tenants:
        assert (await service.account(tenant)).balance == usd("0")


async def test_one_recharge_per_crossing(service: CreditsService) -> None:
    await service.add_funds(T, "30", ADA, "k")
    await service.set_auto_recharge(T, ADA, enabled=True, amount="100", trigger="20")
    await service.ingest_usage([call("c1", "15.00")])  # 15 left: crosses
    await service.ingest_usage([call("c2", "1.00"), call("c3", "1.00")])  # still below
    pending = [p for p in await service.payments(T) if p.kind == "auto_recharge"]
    assert [p.status for p in pending] == ["pending"]
    outcomes = await service.process_payments("w")
    assert [o.status for o in outcomes] == ["succeeded"]
    view = await service.account(T)
    assert view.balance == usd("113.00")
    assert view.last_recharge is not None and view.last_recharge.status == "succeeded"
    assert await service.process_payments("w") == []
    kinds = [a.kind for a in await service.list_alerts(T)]
    assert kinds.count(AlertKind.RECHARGE_SUCCEEDED) == 1
    await service.ingest_usage([call("c4", "100.00")])  # 13 left: a second crossing
    assert len(await service.process_payments("w")) == 1
    assert await assert_consistent(service) == 11300


async def test_recharge_keeps_going_until_above_trigger_within_daily_limit(
    service: CreditsService,
) -> None:
    await service.set_auto_recharge(T, ADA, enabled=True, amount="60", trigger="50")
    await service.ingest_usage([call("big", "300.00")])  # -300
    for _ in range(10):
        await service.process_payments("w")
    view = await service.account(T)
    assert view.balance == usd("0.00")  # 5 recharges a day, then it stops
    alerts = await service.list_alerts(T)
    failed = [a for a in alerts if a.kind is AlertKind.RECHARGE_FAILED]
    assert len(failed) == 1 and "daily limit" in failed[0].payload.to_json()["reason"]


async def test_monthly_cap_stops_recharges(service: CreditsService) -> None:
    await service.set_recharge_caps(T, ADA, monthly_cap="150")
    await service.set_auto_recharge(T, ADA, enabled=True, amount="100", trigger="20")
    await service.ingest_usage([call("c1", "10.00")])
    await service.process_payments("w")
    await service.ingest_usage([call("c2", "100.00")])
    assert await service.process_payments("w") == []
    assert (await service.account(T)).balance == usd("-10.00")
    assert any(
        "monthly cap" in a.payload.to_json().get("reason", "") for a in await service.list_alerts(T)
    )


async def test_three_declines_pause_auto_recharge(make_service: Any) -> None:
    gateway = SandboxGateway(decline_tenants=frozenset({T}))
    service = await make_service(gateway)
    await service.adjust(T, "30", ADA, "opening balance", "open")
    await service.set_auto_recharge(T, ADA, enabled=True, amount="50", trigger="20")
    for n in range(5):
        await service.ingest_usage([call(f"c{n}", "5.00")])
        await service.process_payments("w")
    view = await service.account(T)
    assert view.recharge.paused and view.recharge.consecutive_declines == 3
    assert len(gateway.calls) == 3
    kinds = [a.kind for a in await service.list_alerts(T)]
    assert kinds.count(AlertKind.RECHARGE_FAILED) == 3
    assert kinds.count(AlertKind.RECHARGE_PAUSED) == 1
    gateway.decline_tenants = frozenset()
    view = await service.set_auto_recharge(T, ADA, enabled=True)  # an admin turns it back on
    assert not view.recharge.paused
    assert [o.status for o in await service.process_payments("w")] == ["succeeded"]


async def test_low_balance_alerts_fire_once_per_crossing(service: CreditsService) -> None:
    await service.set_alert_thresholds(T, ADA, ["50", "20"])
    await service.add_funds(T, "100", ADA, "k")
    await service.ingest_usage([call("c1", "60.00")])  # 40: crosses 50
    await service.ingest_usage([call("c2", "5.00")])  # 35: nothing new
    await service.ingest_usage([call("c3", "20.00")])  # 15: crosses 20
    await service.add_funds(T, "50", ADA, "k2")  # 65: re-arms both
    await service.ingest_usage([call("c4", "60.00")])  # 5: crosses both again
    await service.ingest_usage([call("c5", "10.00")])  # -5: depleted
    kinds = [
        (a.kind, a.payload.to_json().get("threshold_minor")) for a in await service.list_alerts(T)
    ]
    assert kinds == [
        (AlertKind.LOW_BALANCE, 5000),
        (AlertKind.LOW_BALANCE, 2000),
        (AlertKind.LOW_BALANCE, 5000),
        (AlertKind.LOW_BALANCE, 2000),
        (AlertKind.DEPLETED, None),
    ]


async def test_default_low_balance_threshold_is_the_trigger_when_recharge_is_off(
    service: CreditsService,
) -> None:
    await service.set_auto_recharge(T, ADA, enabled=False, amount="100", trigger="20")
    view = await service.account(T)
    assert view.effective_thresholds == (usd("20"),)
    await service.add_funds(T, "30", ADA, "k")
    await service.ingest_usage([call("c1", "15.00")])
    assert [a.kind for a in await service.list_alerts(T)] == [AlertKind.LOW_BALANCE]


async def test_settings_validation_and_stale_cards(service: CreditsService) -> None:
    with pytest.raises(ValidationError):
        await service.set_auto_recharge(T, ADA, enabled=True)  # nothing to recharge with
    with pytest.raises(AmountError):
        await service.set_auto_recharge(T, ADA, amount="5", trigger="20")  # below the minimum
    with pytest.raises(AmountError):
        await service.set_auto_recharge(T, ADA, amount="50", trigger="-1")
    with pytest.raises(ValidationError):
        await service.set_alert_thresholds(T, ADA, ["1", "2", "3", "4"])
    view = await service.account(T)
    assert not view.recharge.enabled and view.recharge.amount is None
    shown = view.version
    await service.set_auto_recharge(
        T,
        ADA,
        enabled=True,
        amount="100",
        trigger="20",
        expected_version=shown,
        idempotency_key="c",
    )
    # the same confirm again is a replay, not a second change
    same = await service.set_auto_recharge(
        T,
        ADA,
        enabled=True,
        amount="100",
        trigger="20",
        expected_version=shown,
        idempotency_key="c",
    )
    assert same.version == shown + 1
    with pytest.raises(StaleError):
        await service.set_auto_recharge(T, ADA, enabled=False, expected_version=shown)
    assert (await service.account(T)).recharge.enabled


async def test_enabling_below_trigger_recharges_at_once(service: CreditsService) -> None:
    await service.add_funds(T, "10", ADA, "k")
    await service.set_auto_recharge(T, ADA, enabled=True, amount="100", trigger="20")
    assert [o.status for o in await service.process_payments("w")] == ["succeeded"]
    assert (await service.account(T)).balance == usd("110")


async def test_history_pages_newest_first(service: CreditsService) -> None:
    for n in range(5):
        await service.add_funds(T, str(10 + n), ADA, f"k{n}")
    first = await service.history(T, limit=2)
    assert [e.amount for e in first.entries] == [usd("14"), usd("13")]
    second = await service.history(T, limit=2, before_seq=first.next_before)
    assert [e.amount for e in second.entries] == [usd("12"), usd("11")]
    third = await service.history(T, limit=2, before_seq=second.next_before)
    assert [e.amount for e in third.entries] == [usd("10")] and third.next_before is None
    assert third.entries[0].balance_after == usd("10")


async def test_tenants_are_isolated(service: CreditsService) -> None:
    await service.add_funds("tenant-a", "50", ADA, "k")
    await service.add_funds("tenant-b", "20", ADA, "k")  # same key, other tenant: independent
    assert (await service.account("tenant-a")).balance == usd("50")
    assert (await service.account("tenant-b")).balance == usd("20")
    assert all(e.amount == usd("20") for e in (await service.history("tenant-b")).entries)
    await service.subscribe("tenant-a", "19:chan", {"conversation": {"id": "19:chan"}}, ADA)
    assert await service.list_subscriptions("tenant-b") == []


async def test_currencies_are_remembered_for_the_most_recent_tenants_only(
    service: CreditsService, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("credits.service.CURRENCIES_REMEMBERED", 2)
    reads: list[str] = []
    account = service.deps.store.account

    async def counted(tenant_id: str) -> Any:
        reads.append(tenant_id)
        return await account(tenant_id)

    monkeypatch.setattr(service.deps.store, "account", counted)
    for tenant in ("a", "b", "a", "c", "a", "b"):
        assert await service.currency_of(tenant) == USD
    assert reads == ["a", "b", "c", "b"]  # "b" was the least recent when "c" came


async def test_the_store_refuses_to_rewrite_the_ledger(service: CreditsService) -> None:
    await service.add_funds(T, "50", ADA, "k")
    for sql in (
        "UPDATE ledger_entries SET amount_minor = 1",
        "DELETE FROM ledger_entries",
        "UPDATE accounts SET balance_minor = balance_minor + 1",
    ):
        with pytest.raises((IntegrityError, DBAPIError)):
            async with service.db.write() as conn:
                await conn.execute(text(sql))
    assert await assert_consistent(service) == 5000


async def test_admins_granted_and_revoked(make_service: Any) -> None:
    service = await make_service(admins=("cfg-admin",))
    cfg = Actor("cfg-admin", "Carol Config")  # only an admin grants and revokes
    assert await service.is_admin(T, "cfg-admin")
    assert not await service.is_admin(T, "bob")
    assert await service.grant_admin(T, "bob", "Bob", cfg)
    assert not await service.grant_admin(T, "bob", "Bob", cfg)
    assert await service.is_admin(T, "bob")
    assert not await service.is_admin("tenant-b", "bob")
    assert {a.aad_object_id for a in await service.list_admins(T)} == {"cfg-admin", "bob"}
    await service.revoke_admin(T, "bob", cfg)
    assert not await service.is_admin(T, "bob")
    with pytest.raises(ValidationError):
        await service.revoke_admin(T, "cfg-admin", cfg)


async def test_subscriptions(service: CreditsService) -> None:
    ref = {"conversation": {"id": "19:x"}, "serviceUrl": "https://smba.example/"}
    assert await service.subscribe(T, "19:x", ref, ADA)
    assert not await service.subscribe(T, "19:x", dict(ref, serviceUrl="https://b/"), ADA)
    [sub] = await service.list_subscriptions(T)
    assert sub.reference["serviceUrl"] == "https://b/"
    assert await service.unsubscribe(T, "19:x", ADA)
    assert not await service.unsubscribe(T, "19:x", ADA)


async def test_alert_outbox_claim_ack_retry(service: CreditsService, clock: ManualClock) -> None:
    await service.set_alert_thresholds(T, ADA, ["20"])
    await service.add_funds(T, "30", ADA, "k")
    await service.ingest_usage([call("c1", "15.00")])
    [claimed] = await service.claim_alerts("w1")
    assert await service.claim_alerts("w2") == []  # held by w1
    assert await service.retry_alert(claimed.id, "w1", "429", clock.now() + timedelta(seconds=5))
    assert await service.claim_alerts("w2") == []  # not before 5 s
    clock.advance(timedelta(seconds=6))
    [again] = await service.claim_alerts("w2")
    assert again.id == claimed.id and again.attempts == 2
    assert not await service.ack_alert(again.id, "w1")  # w1 lost the claim
    assert await service.ack_alert(again.id, "w2")
    assert [a.status for a in await service.list_alerts(T)] == ["delivered"]


async def test_expiring_funds_runway_and_unusual_spend(
    service: CreditsService, clock: ManualClock
) -> None:
    await service.add_funds(T, "1000", ADA, "k")
    # a quiet week: 10 a day
    for day in range(7):
        start = (clock.now() - timedelta(days=day, hours=2)).isoformat()
        await service.ingest_usage([call(f"d{day}", "10.00", startDateTime=start)])
    view = await service.account(T)
    assert view.daily_burn == usd("10.00")
    assert view.runway_days == Decimal("93.0")
    assert not [a for a in await service.list_alerts(T) if a.kind is AlertKind.UNUSUAL_SPEND]
    # then 200 in the last hour: toll fraud
    burst = [
        call(f"f{n}", "20.00", startDateTime=(clock.now() - timedelta(minutes=n)).isoformat())
        for n in range(10)
    ]
    await service.ingest_usage(burst)
    unusual = [a for a in await service.list_alerts(T) if a.kind is AlertKind.UNUSUAL_SPEND]
    assert len(unusual) == 1 and unusual[0].payload.to_json()["last_hour_minor"] == 20000
    await service.run_checks()  # still unusual, already alerted
    assert len([a for a in await service.list_alerts(T) if a.kind is AlertKind.UNUSUAL_SPEND]) == 1
    # eleven months on, the lot is about to expire and the runway is short
    clock.advance(timedelta(days=340))
    await service.ingest_usage(
        [call("late", "500.00", startDateTime=(clock.now() - timedelta(days=1)).isoformat())]
    )
    report = await service.run_checks()
    assert AlertKind.FUNDS_EXPIRING.value in report.alerts
    assert AlertKind.RUNWAY_LOW.value in report.alerts
    assert (await service.account(T)).expiring is not None
    await service.run_checks()
    kinds = [a.kind for a in await service.list_alerts(T)]
    assert kinds.count(AlertKind.FUNDS_EXPIRING) == 1
    assert kinds.count(AlertKind.RUNWAY_LOW) == 1


async def test_a_settings_edit_does_not_retry_a_declined_recharge(make_service: Any) -> None:
    gateway = SandboxGateway(decline_tenants=frozenset({T}))
    service = await make_service(gateway)
    await service.adjust(T, "30", ADA, "opening balance", "open")
    await service.set_auto_recharge(T, ADA, enabled=True, amount="50", trigger="20")
    await service.ingest_usage([call("c1", "15.00")])
    assert [o.status for o in await service.process_payments("w")] == ["declined"]
    await service.set_alert_thresholds(T, ADA, ["5"])
    await service.set_recharge_caps(T, ADA, daily_limit=4)
    assert await service.process_payments("w") == []
    assert len(gateway.calls) == 1


async def test_turning_auto_recharge_off_withdraws_a_queued_recharge(
    service: CreditsService, gateway: SandboxGateway
) -> None:
    await service.add_funds(T, "30", ADA, "k")
    await service.set_auto_recharge(T, ADA, enabled=True, amount="100", trigger="20")
    await service.ingest_usage([call("c1", "15.00")])
    view = await service.set_auto_recharge(T, ADA, enabled=False)
    assert not view.recharge_in_progress
    assert await service.process_payments("w") == []
    assert (await service.account(T)).balance == usd("15.00")
    assert [p.status for p in await service.payments(T)] == ["cancelled", "succeeded"]


async def test_changing_the_recharge_amount_replaces_a_queued_recharge(
    service: CreditsService,
) -> None:
    await service.add_funds(T, "30", ADA, "k")
    await service.set_auto_recharge(T, ADA, enabled=True, amount="100", trigger="20")
    await service.ingest_usage([call("c1", "15.00")])
    await service.set_auto_recharge(T, ADA, amount="250")
    assert [o.amount for o in await service.process_payments("w")] == [usd("250")]
    assert (await service.account(T)).balance == usd("265.00")


async def test_a_threshold_removed_and_set_again_fires_on_the_next_crossing(
    service: CreditsService,
) -> None:
    await service.set_alert_thresholds(T, ADA, ["20"])
    await service.add_funds(T, "30", ADA, "k1")
    await service.ingest_usage([call("c1", "15.00")])
    await service.set_alert_thresholds(T, ADA, [])
    await service.add_funds(T, "100", ADA, "k2")
    await service.set_alert_thresholds(T, ADA, ["20"])
    await service.ingest_usage([call("c2", "100.00")])
    kinds = [a.kind for a in await service.list_alerts(T)]
    assert kinds.count(AlertKind.LOW_BALANCE) == 2


# ---------------------------------------------------------------------- the transaction helper


async def test_a_locked_account_writes_its_changes_back_in_one_update(
    service: CreditsService,
) -> None:
    await service.add_funds(T, "30", ADA, "k")
    statements: list[str] = []

    def seen(*args: Any) -> None:
        statements.append(str(args[2]).strip().split()[0].upper())

    event.listen(service.db.engine.sync_engine, "before_cursor_execute", seen)
    try:
        async with service.deps.store.locked(T) as account:
            assert account.balance_minor == 3000 and account.currency == currency("USD")
            account.alert_thresholds = [500]
            account.alert_armed = {"low:500": True}
            account.recharge_armed = False
        assert statements.count("UPDATE") == 1
        statements.clear()
        async with service.deps.store.locked(T) as account:
            pass  # nothing changed: nothing written
        assert "UPDATE" not in statements
    finally:
        event.remove(service.db.engine.sync_engine, "before_cursor_execute", seen)
    assert (await service.account(T)).thresholds == (usd("5"),)
    with pytest.raises(RuntimeError):
        async with service.deps.store.locked(T) as account:
            account.alert_thresholds = [900]
            raise RuntimeError("rolled back")
    assert (await service.account(T)).thresholds == (usd("5"),)
    assert await assert_consistent(service) == 3000


async def test_one_account_cannot_be_held_twice_in_one_transaction(
    service: CreditsService,
) -> None:
    """The outer block's write-back would put its older snapshot over the inner one's changes."""
    await service.add_funds(T, "30", ADA, "k")
    store = service.deps.store
    with pytest.raises(RuntimeError, match="already held"):
        async with store.locked(T) as outer:
            outer.alert_thresholds = [700]
            async with store.holding_id(outer.conn, outer.id) as inner:
                inner.alert_thresholds = [900]
    assert (await service.account(T)).thresholds == ()  # all of it rolled back
    async with store.locked(T) as again:  # the connection goes back to the pool clean
        again.alert_thresholds = [500]
    assert (await service.account(T)).thresholds == (usd("5"),)
