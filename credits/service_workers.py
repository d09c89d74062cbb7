"""The facade's methods for the background workers and the host's delivery: usage pulls from
Graph, the payments runner, the periodic checks, the alert outbox and kept replies. A base class
of `CreditsService` (credits/service.py), so the facade stays one object; each method delegates
in a line to the module that holds the rule."""

from __future__ import annotations

from datetime import datetime, timedelta

from credits import checks, outbox, recharge, replies, sources
from credits.clock import Clock
from credits.config import CreditsConfig
from credits.db import Database
from credits.models import Actor, Alert, CheckReport, PaymentView, RechargeOutcome
from credits.store import Deps


class WorkerMethods:
    """What the workers call; `CreditsService` sets the attributes."""

    db: Database
    config: CreditsConfig
    clock: Clock
    deps: Deps

    # ------------------------------------------------------------------ usage from Graph

    async def connect_usage(self, tenant_id: str, actor: Actor) -> bool:
        """Pull this tenant's calls from Graph from now on (due at once); True if new."""
        return await sources.connect(self.deps, tenant_id, actor)

    async def usage_source(self, tenant_id: str) -> sources.UsageSource | None:
        return await sources.get(self.deps, tenant_id)

    async def claim_usage_sources(
        self, worker_id: str, lease: timedelta, limit: int = 10
    ) -> list[sources.UsageSource]:
        return await sources.claim_due(self.deps, worker_id, lease, limit)

    async def claim_usage_source(
        self, tenant_id: str, worker_id: str, lease: timedelta
    ) -> sources.UsageSource | None:
        return await sources.claim(self.deps, tenant_id, worker_id, lease)

    async def renew_usage_source(self, tenant_id: str, worker_id: str, lease: timedelta) -> bool:
        return await sources.renew(self.deps, tenant_id, worker_id, lease)

    async def advance_usage_cursor(
        self, tenant_id: str, worker_id: str, cursor_at: datetime, lease: timedelta
    ) -> bool:
        return await sources.advance(self.deps, tenant_id, worker_id, cursor_at, lease)

    async def hand_back_usage_source(self, tenant_id: str, worker_id: str) -> bool:
        return await sources.hand_back(self.deps, tenant_id, worker_id)

    async def finish_usage_pull(
        self, tenant_id: str, worker_id: str, result: sources.PullResult, next_run_at: datetime
    ) -> bool:
        return await sources.finish(self.deps, tenant_id, worker_id, result, next_run_at)

    # ------------------------------------------------------------------ payments runner

    async def claim_payments(self, worker_id: str, limit: int = 10) -> list[PaymentView]:
        """Claim pending auto-recharges and payments whose worker vanished (lease expired)."""
        return await recharge.claim(self.deps, worker_id, limit)

    async def process_payment(self, payment: PaymentView) -> RechargeOutcome:
        """Charge a claimed payment with its own key and settle it. A gateway that does not
        answer in time leaves the payment to be retried later with the same key."""
        return await recharge.process(self.deps, payment)

    async def process_payments(self, worker_id: str, limit: int = 10) -> list[RechargeOutcome]:
        """Claim and process what is due; what the host's recharge runner calls in a loop."""
        claimed = await self.claim_payments(worker_id, limit)
        return [await self.process_payment(p) for p in claimed]

    async def report_stuck_payments(self) -> list[PaymentView]:
        """Payments unsettled for longer than `stuck_payment_seconds`: no longer retried by the
        runner; each is reported once as a failed-recharge alert."""
        return await recharge.report_stuck(self.deps)

    # ------------------------------------------------------------------ periodic checks

    async def run_checks(self) -> CheckReport:
        """Expire lots, warn of funds about to expire, watch runway and unusual spend."""
        return await checks.run_checks(self.deps)

    # ------------------------------------------------------------------ alert outbox

    async def list_alerts(
        self, tenant_id: str | None = None, status: str | None = None, limit: int = 100
    ) -> list[Alert]:
        return await outbox.listing(self.deps, tenant_id, status, limit)

    async def alert_backlog(self) -> int:
        """How many alerts wait in the outbox (status pending)."""
        return await outbox.backlog(self.deps)

    async def claim_alerts(self, worker_id: str, limit: int = 50) -> list[Alert]:
        """Claim alerts due for delivery (pending, or claimed by a worker whose lease ran out)."""
        return await outbox.claim(self.deps, worker_id, limit)

    async def ack_alert(self, alert_id: int, worker_id: str) -> bool:
        """Mark delivered. False if this worker no longer holds the claim."""
        return await outbox.ack(self.deps, alert_id, worker_id)

    async def retry_alert(
        self, alert_id: int, worker_id: str, error: str, not_before: datetime
    ) -> bool:
        return await outbox.retry(self.deps, alert_id, worker_id, error, not_before)

    async def fail_alert(self, alert_id: int, worker_id: str, error: str) -> bool:
        return await outbox.fail(self.deps, alert_id, worker_id, error)

    async def delivered_to(self, alert_id: int) -> set[str]:
        """The conversations an alert was already posted to (dedupe per alert and conversation)."""
        return await outbox.delivered_to(self.deps, alert_id)

    async def record_delivery(
        self, alert_id: int, conversation_id: str, activity_id: str | None
    ) -> bool:
        """Note that an alert reached a conversation; False if it was noted already."""
        return await outbox.record_delivery(self.deps, alert_id, conversation_id, activity_id)

    async def wait_alert(self, alert_id: int, worker_id: str, not_before: datetime) -> bool:
        """Back to the outbox to wait for a conversation; the claim is not counted as an attempt."""
        return await outbox.wait(self.deps, alert_id, worker_id, not_before)

    async def expire_alert(self, alert_id: int, worker_id: str, error: str) -> bool:
        """Given up: no conversation could receive it within `alert_expire_hours`."""
        return await outbox.expire(self.deps, alert_id, worker_id, error)

    # ------------------------------------------------------------------ kept replies

    async def keep_reply(self, reply: replies.NewReply) -> replies.KeptReply:
        return await replies.keep(self.db, self.clock.now(), reply)

    async def claim_replies(self, worker_id: str, limit: int = 20) -> list[replies.KeptReply]:
        return await replies.claim(
            self.db, self.clock.now(), worker_id, limit, self.config.alert_lease
        )

    async def ack_reply(self, reply_id: int, worker_id: str) -> bool:
        return await replies.ack(self.db, self.clock.now(), reply_id, worker_id)

    async def retry_reply(
        self, reply_id: int, worker_id: str, error: str, not_before: datetime
    ) -> bool:
        return await replies.retry(self.db, reply_id, worker_id, error, not_before)

    async def fail_reply(self, reply_id: int, worker_id: str, error: str) -> bool:
        return await replies.fail(self.db, reply_id, worker_id, error)

    async def list_replies(
        self, tenant_id: str | None = None, status: replies.ReplyStatus | None = None
    ) -> list[replies.KeptReply]:
        return await replies.listing(self.db, tenant_id, status, 100)
