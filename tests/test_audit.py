"""The audit trail: every kind of settings change leaves a row with who and when, read back as a
typed `SettingsChange` and said in words; the history merges money entries and settings changes
newest first and pages them without skipping or repeating a row, even when every row has the
same timestamp. On SQLite and PostgreSQL (the `service` fixture runs both)."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select, update

from cards.audit import describe
from credits.audit import DELIVERY, SettingsAction
from credits.audit_models import (
    ActivityPage,
    HistoryCursor,
    HistoryRow,
    SettingField,
    SettingsChange,
)
from credits.clock import ManualClock
from credits.errors import ValidationError
from credits.i18n import Lang, speaking
from credits.models import Actor, Entry, HistoryScope
from credits.money import Money, currency
from credits.schema import operations
from credits.service import CreditsService

T = "tenant-audit"
ADA = Actor("aad-ada", "Ada Admin")
ROOT = Actor("cli:root", "root")  # the command line
USD = currency("USD")


def usd(value: str) -> Money:
    return Money(Decimal(value), USD)


def reference(name: str | None = "Finance", kind: str = "channel") -> dict[str, object]:
    conversation: dict[str, object] = {"id": "19:finance@thread.tacv2", "conversationType": kind}
    if name is not None:
        conversation["name"] = name
    return {"conversation": conversation, "serviceUrl": "https://smba.example", "locale": "en-US"}


async def settings(service: CreditsService, limit: int = 200) -> list[SettingsChange]:
    page = await service.activity(T, scope=HistoryScope.SETTINGS, limit=limit)
    assert all(isinstance(r, SettingsChange) for r in page.rows)
    return list(page.changes)


async def said(service: CreditsService) -> list[str]:
    return [describe(c) for c in await settings(service)]


# --------------------------------------------------------------------------- each kind of change


async def test_auto_recharge_changes_say_what_they_replaced(service: CreditsService) -> None:
    # as chat and the form send them: on or off, with the amount and the trigger together
    for amount, trigger in (("100", "20"), ("200", "20"), ("200", "30"), ("200", "30")):
        await service.set_auto_recharge(T, ADA, enabled=True, amount=amount, trigger=trigger)
    await service.set_auto_recharge(T, ROOT, enabled=False)
    await service.set_auto_recharge(T, ROOT, enabled=False)
    for _ in range(2):  # a second Confirm of the same card is a replay, not a new change
        await service.set_auto_recharge(
            T, ADA, enabled=True, amount="150", trigger="30", idempotency_key="card-1"
        )
    await service.set_auto_recharge(T, ADA, amount="175")  # the command line: one value
    assert await said(service) == [
        "Ada Admin changed the recharge amount to $175.00 (was $150.00)",
        "Ada Admin set auto-recharge to $150.00 when below $30.00 "
        "(was off, at $200.00 when below $30.00)",
        "root turned auto-recharge off (no change)",
        "root turned auto-recharge off",
        "Ada Admin set auto-recharge to $200.00 when below $30.00 (no change)",
        "Ada Admin set auto-recharge to $200.00 when below $30.00 (was $200.00 when below $20.00)",
        "Ada Admin set auto-recharge to $200.00 when below $20.00 (was $100.00 when below $20.00)",
        "Ada Admin set auto-recharge to $100.00 when below $20.00 (was off)",
    ]
    first = (await settings(service))[-1]
    assert first.actor == ADA and first.action is SettingsAction.AUTO_RECHARGE
    changed = first.field(SettingField.RECHARGE_AMOUNT)
    assert changed is not None and changed.known_before
    assert (changed.before, changed.after) == (None, usd("100"))
    with speaking(Lang.VI):
        vietnamese = [describe(c) for c in await settings(service)]
    assert vietnamese[1].endswith("(trước đó: tắt, 200,00\xa0US$ khi số dư dưới 30,00\xa0US$)"), (
        vietnamese[1]
    )
    assert vietnamese[2].endswith("(không thay đổi)"), vietnamese[2]


async def test_caps_and_thresholds_are_audited(service: CreditsService) -> None:
    await service.set_recharge_caps(T, ADA, daily_limit=3, monthly_cap="500")
    await service.set_recharge_caps(T, ADA, daily_limit=4, clear_monthly_cap=True)
    await service.set_recharge_caps(T, ADA, daily_limit=4)
    await service.set_alert_thresholds(T, ADA, ["50", "20"])
    await service.set_alert_thresholds(T, ADA, ["40"])
    await service.set_alert_thresholds(T, ADA, [])
    assert await said(service) == [
        "Ada Admin went back to the default low-balance alert (was $40.00)",
        "Ada Admin set low-balance alerts below $40.00 (was $50.00, $20.00)",
        "Ada Admin set low-balance alerts below $50.00, $20.00 (was the default)",
        "Ada Admin set the auto-recharge caps: at most 4 recharges a day (no change)",
        "Ada Admin set the auto-recharge caps: at most 4 recharges a day (was 3); "
        "no monthly cap (was $500.00)",
        "Ada Admin set the auto-recharge caps: at most 3 recharges a day (was 5); "
        "a monthly cap of $500.00 (was none)",
    ]
    with speaking(Lang.VI):
        vietnamese = [describe(c) for c in await settings(service)]
    assert vietnamese[1] == (
        "Ada Admin đã đặt cảnh báo khi số dư dưới 40,00\xa0US$ "
        "(trước đó: 50,00\xa0US$ và 20,00\xa0US$)"
    )
    assert vietnamese[4].startswith("Ada Admin đã đặt giới hạn tự động nạp: tối đa 4 lần nạp")


async def test_what_a_change_replaced_is_kept_with_it_not_guessed(
    service: CreditsService, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("credits.audit_read.LOOK_BACK", 1)  # a guess would look one row back
    await service.set_recharge_caps(T, ADA, daily_limit=2, max_recharge="300")
    await service.set_alert_thresholds(T, ADA, ["50"])
    await service.set_alert_thresholds(T, ADA, ["40"])
    await service.set_recharge_caps(T, ADA, daily_limit=3, max_recharge="250")
    [newest] = await settings(service, limit=1)  # the page is the newest change alone
    assert describe(newest) == (
        "Ada Admin set the auto-recharge caps: at most 3 recharges a day (was 2); "
        "a largest single recharge of $250.00 (was $300.00)"
    )


async def test_rows_from_before_they_kept_what_they_replaced_are_still_told(
    service: CreditsService,
) -> None:
    await service.set_alert_thresholds(T, ADA, ["50"])
    await service.set_alert_thresholds(T, ADA, ["40"])
    async with service.deps.db.write() as conn:  # as rows were written before this change
        for row in (await conn.execute(select(operations))).all():
            details = {k: v for k, v in row.details.items() if k != "before"}
            await conn.execute(
                update(operations).where(operations.c.id == row.id).values(details=details)
            )
    assert await said(service) == [
        "Ada Admin set low-balance alerts below $40.00 (was $50.00)",
        "Ada Admin set low-balance alerts below $50.00",
    ]


async def test_admins_granted_revoked_and_claimed_are_audited(service: CreditsService) -> None:
    await service.grant_admin(T, ADA.id, ADA.name, ROOT)  # the operator names the first admin
    await service.grant_admin(T, "aad-bob", "Bob Builder", ADA)
    await service.grant_admin(T, "aad-cy", "Cy Clerk", ADA)
    await service.revoke_admin(T, "aad-bob", ADA)
    revoked, granted, _, _ = await settings(service)
    assert granted.person is not None and granted.person.name == "Cy Clerk"
    assert await said(service) == [
        "Ada Admin removed Bob Builder as admin",
        "Ada Admin made Cy Clerk an admin",
        "Ada Admin made Bob Builder an admin",
        "root made Ada Admin an admin",
    ]
    assert revoked.action is SettingsAction.ADMIN_REVOKED
    code = await service.new_claim_code("tenant-fresh")
    await service.claim_admin("tenant-fresh", code.code, Actor("aad-dee", "Dee First"))
    page = await service.activity("tenant-fresh", scope=HistoryScope.SETTINGS)
    assert describe(page.changes[0]) == "Dee First became the first admin with a claim code"


async def test_alert_subscriptions_are_audited_once_each(service: CreditsService) -> None:
    assert await service.subscribe(T, "conv-a", reference(), ADA, automatic=True)
    assert not await service.subscribe(T, "conv-a", reference(), ADA)  # updated: no change
    assert await service.subscribe(T, "conv-b", reference(None, "groupChat"), ADA)
    assert await service.unsubscribe(T, "conv-b", ADA)
    assert not await service.unsubscribe(T, "conv-b", ADA)  # nothing to end: no row
    assert await service.unsubscribe(T, "conv-a", DELIVERY)  # the delivery's 403/404
    assert await said(service) == [
        "Alerts stopped in the channel “Finance”: the bot was removed or the conversation is gone",
        "Ada Admin stopped alerts in a group chat",
        "Ada Admin turned on alerts in a group chat",
        "Ada Admin added the bot to the channel “Finance”, so alerts are posted there",
    ]
    actions = [c.action for c in await settings(service)]
    assert actions.count(SettingsAction.ALERTS_SUBSCRIBED) == 2
    with speaking(Lang.VI):
        first = describe((await settings(service))[0])
    assert first.startswith("Đã dừng gửi cảnh báo vào kênh “Finance”")
    assert "Hệ thống" not in first  # the delivery is said in words, not as a name


async def test_a_cancelled_confirm_is_not_a_settings_change(service: CreditsService) -> None:
    await service.void_request(T, "request-1", ADA)
    assert await settings(service) == []
    assert (await service.activity(T)).rows == ()


# --------------------------------------------------------------------------- the merged history


async def _mixed(service: CreditsService, clock: ManualClock, step: timedelta) -> None:
    """12 money entries and 9 settings changes, interleaved; ``step`` between each."""
    for n in range(12):
        await service.adjust(T, str(10 + n), ADA, f"entry {n}", f"k{n}")
        clock.advance(step)
        if n % 4 != 3:
            await service.set_alert_thresholds(T, ADA, [str(30 + n)])
            clock.advance(step)


async def _pages(
    service: CreditsService, scope: HistoryScope, limit: int
) -> list[tuple[HistoryRow, ...]]:
    pages, cursor = [], None
    while True:
        page = await service.activity(T, scope=scope, limit=limit, cursor=cursor)
        pages.append(page.rows)
        if page.next_cursor is None:
            return pages
        cursor = page.next_cursor


def key(row: HistoryRow) -> tuple[str, int]:
    return ("money", row.seq) if isinstance(row, Entry) else ("settings", row.id)


@pytest.mark.parametrize("step", [timedelta(0), timedelta(seconds=1)], ids=["same", "apart"])
@pytest.mark.parametrize("limit", [1, 4, 7, 21])
async def test_pages_of_the_merged_history_never_skip_or_repeat(
    service: CreditsService, clock: ManualClock, step: timedelta, limit: int
) -> None:
    await _mixed(service, clock, step)
    everything = (await service.activity(T, limit=200)).rows
    assert len(everything) == 21
    pages = await _pages(service, HistoryScope.ALL, limit)
    assert [key(r) for page in pages for r in page] == [key(r) for r in everything]
    assert all(len(page) == limit for page in pages[:-1])
    if step:  # newest first across both kinds
        times = [r.created_at if isinstance(r, Entry) else r.at for r in everything]
        assert times == sorted(times, reverse=True)


async def test_rows_written_between_pages_wait_for_newest(
    service: CreditsService, clock: ManualClock
) -> None:
    await _mixed(service, clock, timedelta(0))
    first = await service.activity(T, limit=5)
    await service.adjust(T, "99", ADA, "late", "late")
    await service.set_alert_thresholds(T, ADA, ["77"])
    rest = await _pages_from(service, first)
    seen = [key(r) for r in (*first.rows, *rest)]
    assert len(seen) == len(set(seen)) == 21  # the two late rows are not on an older page
    assert (await service.activity(T, limit=2)).rows[0].seq == 13  # type: ignore[union-attr]


async def _pages_from(service: CreditsService, page: ActivityPage) -> list[HistoryRow]:
    rows: list[HistoryRow] = []
    while page.next_cursor is not None:
        page = await service.activity(T, limit=3, cursor=page.next_cursor)
        rows += page.rows
    return rows


async def test_the_scopes(service: CreditsService, clock: ManualClock) -> None:
    await _mixed(service, clock, timedelta(0))
    await service.void_request(T, "request-1", ADA)
    money = await _pages(service, HistoryScope.MONEY, 5)
    ledger = await service.history(T, limit=200)
    assert [r for page in money for r in page] == list(ledger.entries)
    changes = [r for page in await _pages(service, HistoryScope.SETTINGS, 4) for r in page]
    assert len(changes) == 9 and all(isinstance(r, SettingsChange) for r in changes)
    assert [c.id for c in changes] == sorted((c.id for c in changes), reverse=True)  # type: ignore[union-attr]


async def test_a_page_drawn_shorter_pages_on_from_its_last_row(
    service: CreditsService, clock: ManualClock
) -> None:
    await _mixed(service, clock, timedelta(0))
    everything = (await service.activity(T, limit=200)).rows
    page = await service.activity(T, limit=10)
    short = page.head(3)
    assert short.rows == everything[:3]
    assert short.next_cursor is not None
    after = await service.activity(T, limit=200, cursor=short.next_cursor)
    assert [key(r) for r in after.rows] == [key(r) for r in everything[3:]]


async def test_limits_are_checked(service: CreditsService) -> None:
    for limit in (0, 201):
        with pytest.raises(ValidationError, match="1 to 200"):
            await service.activity(T, limit=limit)
    assert (await service.activity(T, cursor=HistoryCursor(1, 1))).rows == ()
