"""Alert delivery: the outbox's alerts posted as cards to every subscribed conversation.

One round (:meth:`AlertDispatcher.run_once`) claims a batch of alerts, groups them by tenant and
then by conversation, turns the alerts one conversation is owed into one card (a burst is
coalesced into a single card saying the latest state), posts it with ``continue_conversation``
and acks each alert once every conversation it was meant for has it. Each conversation's card is
written in the language kept with its reference (``locale``: that of the turn that subscribed it,
the install, or the admin's 1:1 chat; English when there is none).

Where a tenant's alerts go: every conversation subscribed to them; when none is, the 1:1 chats
the bot has with the tenant's admins (``personal_chats``, recorded by bot/teams.py when an admin
talks to the bot or installs it personally; whether each person is still an admin is checked at
every round). When neither exists the alerts are not acknowledged: they go back to the outbox
*waiting* (not counted as delivery attempts), looked at again after ``wait_delay``, and due at
once when a conversation subscribes or an admin's 1:1 chat is recorded. One that waited
``alert_expire_hours`` (CreditsConfig) is marked failed with ``expired_at`` (counted in /metrics
as ``credits_alerts_expired``, logged at warning).

Teams' limits are kept in-process: per conversation at most 7 messages a second, 8 in 2 s, 60 in
30 s and 1800 an hour; per tenant about 50 a second (sliding windows, exact). A send answered
``429``, ``412``, ``500``, ``502``, ``503`` or ``504`` (or a connection error or timeout) is
retried here with jittered exponential backoff that honours ``Retry-After``, up to
``max_send_attempts``; then the alert goes back to the outbox with a later ``not_before`` and,
after ``max_alert_attempts`` claims, is marked failed. The connector clients make one HTTP
request per call (msrest's own urllib3 retries are switched off in bot/adapter.py; the tests
count the connector's requests), so the attempts here are the only attempts; bot/sending.py
holds the retries, the backoff and the rate limits, shared with the delivery of kept replies
(bot/replies.py). ``403`` (the bot was removed) or ``404`` (the conversation is gone) ends that
subscription (or forgets that admin's 1:1 chat); the other conversations of the tenant still get
the alert.

What is and is not guaranteed:

- At least once: an alert leaves the outbox as delivered only when every conversation it was
  meant for got it (or dropped out with 403 or 404, as long as one conversation has it); an
  alert every conversation dropped out of before any got it waits for another. Otherwise it is
  retried later, and a crash mid-round leaves it claimed until its lease runs out, when another
  worker takes it.
- Not posted twice by us after a known success: each successful post is recorded in
  ``alert_deliveries`` (alert, conversation) right away, and a conversation already recorded is
  skipped on every later round, by any worker.
- An ambiguous failure (``502``/``504``, timeout, connection reset after the request was sent) may
  have been posted although we were told otherwise; the retry then posts again. The Bot Connector
  has no idempotency key and Teams offers no way to read a channel's messages back, so this cannot
  be ruled out. Every card carries a stable key derived from the alert ids and the conversation
  (the ``id`` of its first element, see :func:`delivery_key`), so such a duplicate is
  recognisable, and a connector or client that deduplicates on it shows it once.
- A round longer than the claim lease (``alert_lease_seconds``) may let another worker take the
  same alerts; the per-conversation record keeps that to the conversations in flight.
- A stop (the workers' stop event, given to :meth:`AlertDispatcher.run_once`) starts no new post:
  a post in flight is finished and recorded, one waiting for the rate limits or for its next
  attempt is given up, and every alert not yet delivered everywhere goes back to the outbox at
  once ("released"), for the next process to post where it is still owed.
"""

from __future__ import annotations

import asyncio
import hashlib
import random
import time
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, Literal

import structlog
from botbuilder.core import BotAdapter, CardFactory, MessageFactory
from botbuilder.schema import ConversationReference

from bot.sending import (
    CONVERSATION_WINDOWS,
    RETRYABLE_STATUSES,
    TENANT_WINDOWS,
    Limits,
    MonotonicClock,
    Outcome,
    RateLimiter,
    Retrier,
    RetryPolicy,
    Sleep,
    post_proactively,
    sleep_unless_stopped,
)
from cards.alerts import coalesced_card
from credits import audit
from credits.i18n import Lang, lang_of, speaking
from credits.models import Alert
from credits.outbox import WAITING
from credits.service import CreditsService

__all__ = [
    "CONVERSATION_WINDOWS",
    "RETRYABLE_STATUSES",
    "TENANT_WINDOWS",
    "AlertDispatcher",
    "DeliveryReport",
    "RateLimiter",
    "delivery_key",
]

log = structlog.get_logger(__name__)


def delivery_key(alert_ids: Sequence[int], conversation_id: str) -> str:
    """A stable key for one post of these alerts to this conversation: every retry of the same
    post carries the same key, so a duplicate is recognisable."""
    digest = hashlib.sha256(conversation_id.encode()).hexdigest()[:16]
    return "credits-alert-" + "-".join(str(i) for i in sorted(alert_ids)) + f"-{digest}"


# --------------------------------------------------------------------------- outcomes


@dataclass
class DeliveryReport:
    """What one round did."""

    claimed: int = 0
    posted: int = 0  # messages the connector accepted
    attempts: int = 0  # HTTP sends, including retried ones
    acked: int = 0
    retried: int = 0  # alerts sent back to the outbox for a later round
    failed: int = 0  # alerts given up on
    skipped: int = 0  # (alert, conversation) pairs already delivered earlier
    waiting: int = 0  # alerts sent back to wait: no conversation could receive them
    expired: int = 0  # alerts given up on after waiting `alert_expire_hours`
    unsubscribed: list[tuple[str, str]] = field(default_factory=list)
    forgotten: list[tuple[str, str]] = field(default_factory=list)  # admins' 1:1 chats gone
    delays: list[float] = field(default_factory=list)  # backoff waits, in order


@dataclass(frozen=True)
class _Target:
    """A conversation a tenant's alerts go to: a subscribed one, or an admin's 1:1 chat."""

    conversation_id: str
    reference: dict[str, Any]
    admin: str | None = None  # whose 1:1 chat it is (AAD object id); None for a subscription

    @property
    def lang(self) -> Lang:
        """The language alerts are written in there: the `locale` kept with the reference (the
        turn that subscribed, the install, the admin's chat); English for older references."""
        return lang_of(self.reference.get("locale")) or Lang.EN


@dataclass
class _SendResult:
    status: Literal["posted", "gone", "failed"]
    activity_id: str | None = None
    error: str | None = None
    retry_after: float | None = None  # a server's hint for the later round


@dataclass
class _Round:
    """One round: the worker holding its claims, what it did, and the workers' stop event."""

    worker_id: str
    report: DeliveryReport
    stop: asyncio.Event | None = None

    def stopping(self) -> bool:
        return self.stop is not None and self.stop.is_set()


@dataclass
class _Owed:
    """One tenant's alerts in a round: the conversations each has reached, why the others were
    not reached, the servers' hints for the later round, and the subscriptions that ended."""

    tenant_id: str
    alerts: list[Alert]
    delivered: dict[int, set[str]]
    errors: dict[int, list[str]] = field(default_factory=lambda: defaultdict(list))
    hints: dict[int, float] = field(default_factory=dict)
    gone: set[str] = field(default_factory=set)

    def fail(self, alerts: Sequence[Alert], error: str, hint: float | None = None) -> None:
        for alert in alerts:
            self.errors[alert.id].append(error)
            if hint is not None:
                self.hints[alert.id] = max(self.hints.get(alert.id, 0.0), hint)


# --------------------------------------------------------------------------- the dispatcher


class AlertDispatcher:
    def __init__(
        self,
        service: CreditsService,
        adapter: BotAdapter,
        app_id: str,
        *,
        clock: MonotonicClock | None = None,
        sleep: Sleep = asyncio.sleep,
        rng: random.Random | None = None,
        batch_size: int = 50,
        coalesce: bool = True,
        max_send_attempts: int = 5,
        max_alert_attempts: int = 8,
        base_delay: float = 1.0,
        max_delay: float = 30.0,
        max_inline_wait: float = 30.0,
        later_delay: timedelta = timedelta(minutes=1),
        max_later_delay: timedelta = timedelta(hours=1),
        wait_delay: timedelta = timedelta(minutes=1),
        send_timeout: float = 30.0,
        concurrency: int = 16,
        conversation_windows: Sequence[tuple[float, int]] = CONVERSATION_WINDOWS,
        tenant_windows: Sequence[tuple[float, int]] = TENANT_WINDOWS,
    ) -> None:
        self.service = service
        self.adapter = adapter
        self.app_id = app_id
        self.clock: MonotonicClock = clock or time.monotonic
        self.sleep = sleep
        self.rng = rng or random.Random()
        self.batch_size = batch_size
        self.coalesce = coalesce
        self.max_alert_attempts = max_alert_attempts
        self.policy = RetryPolicy(
            max_attempts=max_send_attempts,
            base_delay=base_delay,
            max_delay=max_delay,
            max_inline_wait=max_inline_wait,
        )
        self.retrier = Retrier(clock=self.clock, sleep=sleep, rng=self.rng, now=service.clock.now)
        self.later_delay = later_delay
        self.max_later_delay = max_later_delay
        self.wait_delay = wait_delay
        self.send_timeout = send_timeout
        self._slots = asyncio.Semaphore(concurrency)
        self.limits = Limits(self.clock, conversation_windows, tenant_windows)

    # ------------------------------------------------------------------ rounds

    async def run_once(self, worker_id: str, stop: asyncio.Event | None = None) -> DeliveryReport:
        """One round: claim a batch, post it, ack or give back each alert. Once ``stop`` (the
        workers' stop event) is set, no new post starts: a post in flight is finished and
        recorded, and what was not sent goes back to the outbox at once (not lost, not sent
        twice)."""
        round_ = _Round(worker_id, DeliveryReport(), stop)
        alerts = await self.service.claim_alerts(worker_id, self.batch_size)
        round_.report.claimed = len(alerts)
        by_tenant: dict[str, list[Alert]] = defaultdict(list)
        for alert in alerts:
            by_tenant[alert.tenant_id].append(alert)
        await asyncio.gather(
            *(self._tenant(round_, tenant, batch) for tenant, batch in by_tenant.items())
        )
        return round_.report

    async def _tenant(self, round_: _Round, tenant_id: str, alerts: list[Alert]) -> None:
        try:
            targets = await self._targets(tenant_id)
            delivered = {a.id: await self.service.delivered_to(a.id) for a in alerts}
        except Exception as error:
            log.exception("could not read where alerts go", tenant_id=tenant_id)
            for alert in alerts:
                await self._later(round_, alert, f"{type(error).__name__}: {error}", None)
            return
        if not targets:
            await self._wait(round_, tenant_id, alerts)
            return
        owed = _Owed(tenant_id, alerts, delivered)

        async def conversation(target: _Target) -> None:
            async with self._slots:
                await self._conversation(round_, owed, target)

        await asyncio.gather(*(conversation(target) for target in targets))
        wanted = {t.conversation_id for t in targets} - owed.gone
        for alert in alerts:
            missing = wanted - delivered[alert.id]
            if not missing and not delivered[alert.id]:
                # every conversation dropped out (403/404) before one had it: wait for another
                await self._wait(round_, tenant_id, [alert], at_once=True)
            elif not missing:
                if await self.service.ack_alert(alert.id, round_.worker_id):
                    round_.report.acked += 1
                else:
                    log.warning("alert claim lost before ack", alert_id=alert.id)
            else:
                reasons = owed.errors.get(alert.id) or ["not delivered"]
                if set(reasons) == {"released"}:
                    reason = "released"
                else:
                    reason = "; ".join(r for r in reasons if r != "released")
                await self._later(round_, alert, reason, owed.hints.get(alert.id))

    async def _targets(self, tenant_id: str) -> list[_Target]:
        """The subscribed conversations; when there is none, the 1:1 chats of the people who
        are the tenant's admins now."""
        subscriptions = await self.service.list_subscriptions(tenant_id)
        if subscriptions:
            return [_Target(s.conversation_id, s.reference) for s in subscriptions]
        chats = await self.service.admin_chats(tenant_id)
        return [_Target(c.conversation_id, c.reference, c.aad_object_id) for c in chats]

    async def _wait(
        self, round_: _Round, tenant_id: str, alerts: list[Alert], *, at_once: bool = False
    ) -> None:
        """No conversation can receive these alerts: back to the outbox, waiting (the claim is
        not counted as an attempt), or given up once they waited `alert_expire_hours`."""
        now = self.service.clock.now()
        expiry = self.service.config.alert_expiry
        fresh = [a.id for a in alerts if a.last_error != WAITING]
        if fresh:
            log.info(
                "no conversation receives this tenant's alerts; they wait for one",
                tenant_id=tenant_id,
                alerts=fresh,
                expire_hours=self.service.config.alert_expire_hours,
            )
        for alert in alerts:
            deadline = alert.created_at + expiry
            if deadline <= now:
                await self._expire(round_, alert)
                continue
            not_before = now if at_once else min(now + self.wait_delay, deadline)
            log.debug("alert waits for a conversation", alert_id=alert.id)
            if await self.service.wait_alert(alert.id, round_.worker_id, not_before):
                round_.report.waiting += 1

    async def _expire(self, round_: _Round, alert: Alert) -> None:
        hours = self.service.config.alert_expire_hours
        log.warning(
            "alert expired: no conversation could receive it",
            alert_id=alert.id,
            tenant_id=alert.tenant_id,
            kind=alert.kind.value,
            created_at=alert.created_at.isoformat(),
            expire_hours=hours,
        )
        reason = f"expired: no conversation received it within {hours:g} hours"
        if await self.service.expire_alert(alert.id, round_.worker_id, reason):
            round_.report.expired += 1

    async def _later(self, round_: _Round, alert: Alert, error: str, hint: float | None) -> None:
        """Back to the outbox for a later round, or failed after too many rounds."""
        worker_id, report = round_.worker_id, round_.report
        if alert.attempts >= self.max_alert_attempts:
            log.error("alert delivery failed for good", alert_id=alert.id, error=error[:300])
            if await self.service.fail_alert(alert.id, worker_id, error):
                report.failed += 1
            return
        if error == "released":
            wait = timedelta(0)
        else:
            wait = self.retrier.later(alert.attempts, hint, self.later_delay, self.max_later_delay)
        not_before = self.service.clock.now() + wait
        log.warning(
            "alert not delivered; retrying later",
            alert_id=alert.id,
            attempts=alert.attempts,
            not_before=not_before.isoformat(),
            error=error[:300],
        )
        if await self.service.retry_alert(alert.id, worker_id, error, not_before):
            report.retried += 1

    # ------------------------------------------------------------------ one conversation

    async def _conversation(self, round_: _Round, owed: _Owed, target: _Target) -> None:
        conv, report = target.conversation_id, round_.report
        todo = [a for a in owed.alerts if conv not in owed.delivered[a.id]]
        report.skipped += len(owed.alerts) - len(todo)
        if not todo:
            return
        try:
            reference = ConversationReference.deserialize(target.reference)
        except Exception as error:
            log.error("stored conversation reference is unreadable", conversation_id=conv)
            owed.fail(todo, f"{conv}: bad reference ({type(error).__name__})")
            return
        posts = [todo] if self.coalesce else [[a] for a in todo]
        for index, unit in enumerate(posts):
            rest = [a for later in posts[index:] for a in later]
            if round_.stopping():
                owed.fail(rest, "released")
                return
            key = delivery_key([a.id for a in unit], conv)
            with speaking(target.lang):
                card = coalesced_card(unit)
            card["body"][0] = {**card["body"][0], "id": key}
            result = await self._send(round_, owed.tenant_id, conv, reference, card)
            if result.status == "posted":
                for alert in unit:
                    try:
                        await self.service.record_delivery(alert.id, conv, result.activity_id)
                    except Exception:  # posted all the same: this round still counts it
                        log.exception("could not record a delivery", alert_id=alert.id)
                    owed.delivered[alert.id].add(conv)
                continue
            if result.status == "gone":
                await self._unsubscribe(owed.tenant_id, target, result.error, report)
                owed.gone.add(conv)
                return
            # failed: the rest of this conversation waits for a later round too
            released = result.error == "released"
            owed.fail(
                rest, "released" if released else f"{conv}: {result.error}", result.retry_after
            )
            return

    async def _unsubscribe(
        self, tenant_id: str, target: _Target, error: str | None, report: DeliveryReport
    ) -> None:
        """403 (the bot was removed) or 404 (the conversation is gone): alerts there stop (a
        subscription ends; an admin's 1:1 chat is forgotten)."""
        conv = target.conversation_id
        log.warning(
            "bot removed from the conversation or it is gone; alerts there stop",
            tenant_id=tenant_id,
            conversation_id=conv,
            personal=target.admin is not None,
            error=error,
        )
        try:
            if target.admin is None:
                await self.service.unsubscribe(tenant_id, conv, audit.DELIVERY)
            else:
                await self.service.forget_personal_chat(tenant_id, target.admin, conv)
        except Exception:
            log.exception("could not end the subscription", conversation_id=conv)
        if target.admin is None:
            report.unsubscribed.append((tenant_id, conv))
        else:
            report.forgotten.append((tenant_id, conv))

    async def _send(
        self,
        round_: _Round,
        tenant_id: str,
        conv: str,
        reference: ConversationReference,
        card: dict[str, Any],
    ) -> _SendResult:
        """Post one card, with retries (bot/sending.py); never raises. A stop while it waits for
        the rate limits or between attempts gives it back ("released"); an attempt under way is
        never cut short (it may post)."""
        activity = MessageFactory.attachment(CardFactory.adaptive_card(card))
        posted = await self.retrier.post(
            lambda: post_proactively(
                self.adapter, self.app_id, reference, activity, self.send_timeout
            ),
            self.policy,
            admit=lambda: self._admit(tenant_id, conv, round_.stop),
            stop=round_.stop,
            what="alert post",
            conversation_id=conv,
        )
        report = round_.report
        report.attempts += posted.attempts
        report.delays.extend(posted.delays)
        if posted.outcome is Outcome.POSTED:
            report.posted += 1
            return _SendResult("posted", activity_id=posted.value)
        if posted.outcome is Outcome.GONE:
            return _SendResult("gone", error=posted.error)
        if posted.outcome is Outcome.RELEASED:
            return _SendResult("failed", error="released")
        return _SendResult("failed", error=posted.error, retry_after=posted.retry_after)

    async def _admit(self, tenant_id: str, conv: str, stop: asyncio.Event | None = None) -> None:
        """Wait until one more message fits the conversation's and the tenant's windows; a stop
        during the wait raises Stopped (nothing was sent, nothing counted)."""

        async def wait(seconds: float) -> None:
            await sleep_unless_stopped(self.sleep, seconds, stop)

        await self.limits.admit(tenant_id, conv, wait)
