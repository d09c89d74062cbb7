"""Alert delivery: the outbox's alerts posted as cards to every subscribed conversation.

One round (:meth:`AlertDispatcher.run_once`) claims a batch of alerts, groups them by tenant and
then by subscribed conversation, turns the alerts one conversation is owed into one card (a burst
is coalesced into a single card saying the latest state), posts it with ``continue_conversation``
and acks each alert once every subscribed conversation of its tenant has it.

Teams' limits are kept in-process: per conversation at most 7 messages a second, 8 in 2 s, 60 in
30 s and 1800 an hour; per tenant about 50 a second (sliding windows, exact). A send answered
``429``, ``412``, ``502`` or ``504`` (or a connection error or timeout) is retried here with
jittered exponential backoff that honours ``Retry-After``, up to ``max_send_attempts``; then the
alert goes back to the outbox with a later ``not_before`` and, after ``max_alert_attempts``
claims, is marked failed. botbuilder's async ConnectorClient sends with msrest's aiohttp
sender, which does not retry at all (the urllib3 retry policy belongs to the requests sender; the
tests count the connector's requests), so the attempts here are the only attempts. ``403`` (the
bot was removed) ends that subscription; the other conversations of the tenant still get it.

What is and is not guaranteed:

- At least once: an alert leaves the outbox as delivered only when every subscribed conversation
  got it (or dropped out with 403); otherwise it is retried later, and a crash mid-round leaves it
  claimed until its lease runs out, when another worker takes it.
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
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import random
import time
from collections import defaultdict, deque
from collections.abc import Awaitable, Callable, Hashable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import Any, Literal

import structlog
from botbuilder.core import BotAdapter, CardFactory, MessageFactory, TurnContext
from botbuilder.schema import ConversationReference
from msrest.exceptions import ClientRequestError, HttpOperationError

from cards.alerts import coalesced_card
from credits.models import Alert, Subscription
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

CONVERSATION_WINDOWS: tuple[tuple[float, int], ...] = (
    (1.0, 7),
    (2.0, 8),
    (30.0, 60),
    (3600.0, 1800),
)
"""(seconds, messages) a bot may post to one conversation (Teams' documented per-thread limits)."""
TENANT_WINDOWS: tuple[tuple[float, int], ...] = ((1.0, 50),)
"""About 50 messages a second per bot per tenant."""
RETRYABLE_STATUSES = frozenset({412, 429, 502, 504})
GONE_STATUSES = frozenset({403})

Sleep = Callable[[float], Awaitable[Any]]
MonotonicClock = Callable[[], float]


def delivery_key(alert_ids: Sequence[int], conversation_id: str) -> str:
    """A stable key for one post of these alerts to this conversation: every retry of the same
    post carries the same key, so a duplicate is recognisable."""
    digest = hashlib.sha256(conversation_id.encode()).hexdigest()[:16]
    return "credits-alert-" + "-".join(str(i) for i in sorted(alert_ids)) + f"-{digest}"


# --------------------------------------------------------------------------- rate limits


class RateLimiter:
    """Sliding-window limits per key, exact: within any window of ``seconds`` at most
    ``limit`` acquisitions for one key. Waits with the injected sleep."""

    def __init__(
        self,
        windows: Sequence[tuple[float, int]],
        clock: MonotonicClock,
        *,
        max_keys: int = 10_000,
    ) -> None:
        if not windows:
            raise ValueError("at least one window is needed")
        self.windows = tuple(sorted(windows))
        self.clock = clock
        self.max_keys = max_keys
        self._span = max(seconds for seconds, _ in self.windows)
        self._events: dict[Hashable, deque[float]] = {}

    def wait_for(self, key: Hashable, now: float) -> float:
        """Seconds until one more acquisition for ``key`` fits every window (0: now)."""
        events = self._events.get(key)
        if not events:
            return 0.0
        while events and events[0] <= now - self._span:
            events.popleft()
        wait = 0.0
        for seconds, limit in self.windows:
            inside = [t for t in events if t > now - seconds]
            if len(inside) >= limit:
                # the oldest event that must leave the window before another fits
                wait = max(wait, inside[len(inside) - limit] + seconds - now)
        return wait

    def record(self, key: Hashable, now: float) -> None:
        if key not in self._events and len(self._events) >= self.max_keys:
            self._forget(now)
        self._events.setdefault(key, deque()).append(now)

    def _forget(self, now: float) -> None:
        for key in [k for k, ev in self._events.items() if not ev or ev[-1] <= now - self._span]:
            del self._events[key]


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
    unsubscribed: list[tuple[str, str]] = field(default_factory=list)
    delays: list[float] = field(default_factory=list)  # backoff waits, in order


@dataclass
class _SendResult:
    status: Literal["posted", "gone", "failed"]
    activity_id: str | None = None
    error: str | None = None
    retry_after: float | None = None  # a server's hint for the later round


def _status_of(error: BaseException) -> int | None:
    if isinstance(error, HttpOperationError):
        status = getattr(error.response, "status_code", None) or getattr(
            error.response, "status", None
        )
        return int(status) if isinstance(status, int) else None
    return None


def _retry_after(error: BaseException, now: datetime) -> float | None:
    """``Retry-After`` in seconds (delta-seconds or an HTTP date), if the response had one."""
    headers = getattr(getattr(error, "response", None), "headers", None)
    if headers is None:
        return None
    try:
        value = headers.get("Retry-After") or headers.get("retry-after")
    except Exception:
        return None
    if not value:
        return None
    value = str(value).strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, (when - now).total_seconds())


def _is_transient(error: BaseException) -> bool:
    return isinstance(error, ClientRequestError | TimeoutError | ConnectionError | OSError)


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
        self.max_send_attempts = max_send_attempts
        self.max_alert_attempts = max_alert_attempts
        self.base_delay = base_delay
        self.max_delay = max_delay
        self.max_inline_wait = max_inline_wait
        self.later_delay = later_delay
        self.max_later_delay = max_later_delay
        self.send_timeout = send_timeout
        self._slots = asyncio.Semaphore(concurrency)
        self.conversations = RateLimiter(conversation_windows, self.clock)
        self.tenants = RateLimiter(tenant_windows, self.clock)
        self._stop: asyncio.Event | None = None

    # ------------------------------------------------------------------ rounds

    async def run(self, worker_id: str, stop: asyncio.Event, interval: float) -> None:
        """Deliver until ``stop`` is set; a stop lets the current round finish (what it has not
        sent by then goes back to the outbox at once)."""
        self._stop = stop
        try:
            while not stop.is_set():
                claimed = 0
                try:
                    claimed = (await self.run_once(worker_id)).claimed
                except Exception:
                    log.exception("alert delivery round failed; trying again next round")
                if claimed >= self.batch_size:
                    continue  # more may be waiting
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), interval)
        finally:
            self._stop = None

    async def run_once(self, worker_id: str) -> DeliveryReport:
        report = DeliveryReport()
        alerts = await self.service.claim_alerts(worker_id, self.batch_size)
        report.claimed = len(alerts)
        by_tenant: dict[str, list[Alert]] = defaultdict(list)
        for alert in alerts:
            by_tenant[alert.tenant_id].append(alert)
        await asyncio.gather(
            *(self._tenant(worker_id, tenant, batch, report) for tenant, batch in by_tenant.items())
        )
        return report

    def _stopping(self) -> bool:
        return self._stop is not None and self._stop.is_set()

    async def _tenant(
        self, worker_id: str, tenant_id: str, alerts: list[Alert], report: DeliveryReport
    ) -> None:
        try:
            subscriptions = await self.service.list_subscriptions(tenant_id)
            delivered = {a.id: await self.service.delivered_to(a.id) for a in alerts}
        except Exception as error:
            log.exception("could not read subscriptions", tenant_id=tenant_id)
            for alert in alerts:
                await self._later(
                    worker_id, alert, f"{type(error).__name__}: {error}", None, report
                )
            return
        if not subscriptions:
            log.info(
                "no conversation subscribed to alerts; acked undelivered",
                tenant_id=tenant_id,
                alerts=[a.id for a in alerts],
            )
        errors: dict[int, list[str]] = defaultdict(list)
        hints: dict[int, float] = {}
        gone: set[str] = set()

        async def conversation(sub: Subscription) -> None:
            async with self._slots:
                await self._conversation(
                    tenant_id, sub, alerts, delivered, errors, hints, gone, report
                )

        await asyncio.gather(*(conversation(sub) for sub in subscriptions))
        wanted = {s.conversation_id for s in subscriptions} - gone
        for alert in alerts:
            missing = wanted - delivered[alert.id]
            if not missing:
                if await self.service.ack_alert(alert.id, worker_id):
                    report.acked += 1
                else:
                    log.warning("alert claim lost before ack", alert_id=alert.id)
                continue
            reasons = errors.get(alert.id) or ["not delivered"]
            if set(reasons) == {"released"}:
                reason = "released"
            else:
                reason = "; ".join(r for r in reasons if r != "released")
            await self._later(worker_id, alert, reason, hints.get(alert.id), report)

    async def _later(
        self,
        worker_id: str,
        alert: Alert,
        error: str,
        hint: float | None,
        report: DeliveryReport,
    ) -> None:
        """Back to the outbox for a later round, or failed after too many rounds."""
        if alert.attempts >= self.max_alert_attempts:
            log.error("alert delivery failed for good", alert_id=alert.id, error=error[:300])
            if await self.service.fail_alert(alert.id, worker_id, error):
                report.failed += 1
            return
        if error == "released":
            wait = timedelta(0)
        else:
            base = min(self.max_later_delay, self.later_delay * 2 ** max(0, alert.attempts - 1))
            wait = base / 2 + base * (self.rng.random() / 2)
            if hint is not None:
                wait = max(wait, timedelta(seconds=hint))
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

    async def _conversation(
        self,
        tenant_id: str,
        sub: Subscription,
        alerts: list[Alert],
        delivered: dict[int, set[str]],
        errors: dict[int, list[str]],
        hints: dict[int, float],
        gone: set[str],
        report: DeliveryReport,
    ) -> None:
        conv = sub.conversation_id
        owed = [a for a in alerts if conv not in delivered[a.id]]
        report.skipped += len(alerts) - len(owed)
        if not owed:
            return
        try:
            reference = ConversationReference.deserialize(sub.reference)
        except Exception as error:
            log.error("stored conversation reference is unreadable", conversation_id=conv)
            for alert in owed:
                errors[alert.id].append(f"{conv}: bad reference ({type(error).__name__})")
            return
        posts = [owed] if self.coalesce else [[a] for a in owed]
        for index, unit in enumerate(posts):
            if self._stopping():
                for alert in [a for rest in posts[index:] for a in rest]:
                    errors[alert.id].append("released")
                return
            key = delivery_key([a.id for a in unit], conv)
            card = coalesced_card(unit)
            card["body"][0] = {**card["body"][0], "id": key}
            result = await self._send(tenant_id, conv, reference, card, report)
            if result.status == "posted":
                for alert in unit:
                    try:
                        await self.service.record_delivery(alert.id, conv, result.activity_id)
                    except Exception:  # posted all the same: this round still counts it
                        log.exception("could not record a delivery", alert_id=alert.id)
                    delivered[alert.id].add(conv)
                continue
            if result.status == "gone":
                log.warning(
                    "bot removed from the conversation; alerts there stop",
                    tenant_id=tenant_id,
                    conversation_id=conv,
                )
                try:
                    await self.service.unsubscribe(tenant_id, conv)
                except Exception:
                    log.exception("could not end the subscription", conversation_id=conv)
                report.unsubscribed.append((tenant_id, conv))
                gone.add(conv)
                return
            # failed: the rest of this conversation waits for a later round too
            for alert in [a for rest in posts[index:] for a in rest]:
                released = result.error == "released"
                errors[alert.id].append("released" if released else f"{conv}: {result.error}")
                if result.retry_after is not None:
                    hints[alert.id] = max(hints.get(alert.id, 0.0), result.retry_after)
            return

    async def _send(
        self,
        tenant_id: str,
        conv: str,
        reference: ConversationReference,
        card: dict[str, Any],
        report: DeliveryReport,
    ) -> _SendResult:
        """Post one card, with retries; never raises."""
        last = "not sent"
        for attempt in range(1, self.max_send_attempts + 1):
            await self._admit(tenant_id, conv)
            report.attempts += 1
            try:
                activity_id = await self._post(reference, card)
            except Exception as error:
                status = _status_of(error)
                last = f"HTTP {status}" if status else f"{type(error).__name__}: {error}"[:300]
                if status in GONE_STATUSES:
                    return _SendResult("gone", error=last)
                if not (status in RETRYABLE_STATUSES or (status is None and _is_transient(error))):
                    log.warning("alert post refused", conversation_id=conv, error=last)
                    return _SendResult("failed", error=last)
                hint = _retry_after(error, self.service.clock.now())
                if attempt >= self.max_send_attempts:
                    return _SendResult("failed", error=last, retry_after=hint)
                if hint is not None and hint > self.max_inline_wait:
                    return _SendResult("failed", error=last, retry_after=hint)
                delay = self._backoff(attempt, hint)
                if self._stopping():
                    return _SendResult("failed", error="released")
                log.info(
                    "alert post failed; retrying",
                    conversation_id=conv,
                    error=last,
                    attempt=attempt,
                    delay=round(delay, 3),
                )
                report.delays.append(delay)
                await self.sleep(delay)
                continue
            report.posted += 1
            return _SendResult("posted", activity_id=activity_id)
        return _SendResult("failed", error=last)

    def _backoff(self, attempt: int, retry_after: float | None) -> float:
        """Exponential with jitter (half fixed, half random), never sooner than Retry-After."""
        base = min(self.max_delay, self.base_delay * 2.0 ** (attempt - 1))
        delay: float = base / 2 + self.rng.uniform(0, base / 2)
        if retry_after is not None:
            # honour the server's wait, spread a little so throttled senders do not return together
            delay = max(delay, retry_after + self.rng.uniform(0, min(1.0, base / 4)))
        return min(delay, max(self.max_inline_wait, retry_after or 0.0))

    async def _admit(self, tenant_id: str, conv: str) -> None:
        """Wait until one more message fits the conversation's and the tenant's windows."""
        while True:
            now = self.clock()
            wait = max(
                self.conversations.wait_for((tenant_id, conv), now),
                self.tenants.wait_for(tenant_id, now),
            )
            if wait <= 0:
                self.conversations.record((tenant_id, conv), now)
                self.tenants.record(tenant_id, now)
                return
            await self.sleep(max(wait, 0.001))

    async def _post(self, reference: ConversationReference, card: dict[str, Any]) -> str | None:
        """One HTTP post through the adapter; raises what the connector raised."""
        sent: list[str | None] = []
        failure: list[BaseException] = []

        async def callback(turn_context: TurnContext) -> None:
            # caught here: the adapter's turn-error handler would otherwise swallow it
            try:
                activity = MessageFactory.attachment(CardFactory.adaptive_card(card))
                response = await turn_context.send_activity(activity)
                sent.append(response.id if response is not None else None)
            except Exception as error:
                failure.append(error)

        await asyncio.wait_for(
            self.adapter.continue_conversation(reference, callback, self.app_id),
            self.send_timeout,
        )
        if failure:
            raise failure[0]
        if not sent:
            raise ClientRequestError("the adapter did not run the send")
        return sent[0]
