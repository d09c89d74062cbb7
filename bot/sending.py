"""Posting to the Bot Connector with retries: what alert delivery (bot/delivery.py) and reply
delivery (bot/replies.py) share.

Messages and card updates are posted by bot/poster.py (one attempt each, on one pooled aiohttp
session); what still goes through botbuilder's ConnectorClient (msrest's requests sender, in a
worker thread) has its urllib3 retries switched off (``single_attempt``, bot/adapter.py). So the
attempts made here are the only attempts. A post answered ``429``, ``412``, ``500``, ``502``,
``503`` or ``504``, or one that fails with a connection error or a timeout, is retried with jittered
exponential backoff that never comes sooner than the server's ``Retry-After``; ``403`` and
``404`` mean the bot was removed or the conversation is gone, and any other answer is a refusal
that a retry would not change. Teams' rate limits are kept in-process with exact sliding
windows (:class:`Limits`).

An answer whose body is not JSON (a text/plain or HTML error page from a proxy, a gateway or a
load balancer in front of the connector) is classified by its status like any other: msrest
reads every body by its content type before the operation looks at the status, so such an answer
raises a DeserializationError without the response; each attempt turns it back into the
connector's ``HttpOperationError`` with its status and headers (:func:`connector_error`).
"""

from __future__ import annotations

import asyncio
import random
import time
import traceback
from collections import deque
from collections.abc import Awaitable, Callable, Hashable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.utils import parsedate_to_datetime
from enum import StrEnum
from typing import Any, Generic, TypeVar

import structlog
from azure.core.exceptions import DeserializationError  # what msrest raises (it depends on it)
from botbuilder.core import BotAdapter, TurnContext
from botbuilder.schema import Activity, ConversationReference
from msrest.exceptions import ClientRequestError, HttpOperationError

from credits.clock import SystemClock

__all__ = [
    "CONVERSATION_WINDOWS",
    "GONE_STATUSES",
    "RETRYABLE_STATUSES",
    "TENANT_WINDOWS",
    "Budget",
    "Limits",
    "Outcome",
    "Posted",
    "RateLimiter",
    "Retrier",
    "RetryPolicy",
    "connector_error",
    "post_proactively",
    "retry_after",
    "status_of",
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
CONNECTOR_TIMEOUT_SECONDS = 5.0
"""How long one request to the channel may take (bot/poster.py: the whole request; the connector
clients of bot/adapter.py: connect, and each read): the turn's reply budget and the workers'
leases are planned around it, and attempt guards are longer, so no attempt is abandoned while it
may still be posting."""
RETRYABLE_STATUSES = frozenset({412, 429, 500, 502, 503, 504})
GONE_STATUSES = frozenset({403, 404})
"""The bot was removed from the conversation (403) or the conversation is gone (404)."""

Sleep = Callable[[float], Awaitable[Any]]
MonotonicClock = Callable[[], float]
T = TypeVar("T")


# --------------------------------------------------------------------------- errors


def status_of(error: BaseException) -> int | None:
    """The HTTP status the connector answered, if it answered (an answer msrest could not
    read comes here as an ``HttpOperationError`` too: see :func:`connector_error`)."""
    if isinstance(error, HttpOperationError):
        status = getattr(error.response, "status_code", None) or getattr(
            error.response, "status", None
        )
        return int(status) if isinstance(status, int) else None
    return None


def connector_error(error: DeserializationError) -> HttpOperationError | None:
    """The connector's answer behind ``error`` as an ``HttpOperationError`` (its status and
    headers on ``.response``, as for an answer msrest could read), or None if it had none.

    msrest 0.7.1's ``RawDeserializer`` reads every answer's body by its content type before the
    operation compares the status, so an answer that is not JSON raises a DeserializationError
    carrying neither the response nor a cause; the response is still a local of msrest's
    pipeline frame that raised it (``response.http_response``), on the error's traceback."""
    for frame, _ in traceback.walk_tb(error.__traceback__):
        if not str(frame.f_globals.get("__name__", "")).startswith("msrest."):
            continue
        answer = getattr(frame.f_locals.get("response"), "http_response", None)
        if isinstance(getattr(answer, "status_code", None), int):
            # no deserializer: none is used without a resp_type; the message names the status
            converted = HttpOperationError(None, answer)  # type: ignore[arg-type]
            converted.__cause__ = error
            return converted
    return None


def retry_after(error: BaseException, now: datetime) -> float | None:
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


def _describe(error: BaseException, status: int | None) -> str:
    return f"HTTP {status}" if status else f"{type(error).__name__}: {error}"[:300]


# --------------------------------------------------------------------------- rate limits


class RateLimiter:
    """Sliding-window limits per key, exact: within any window of ``seconds`` at most
    ``limit`` acquisitions for one key."""

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


class Stopped(Exception):
    """The workers are stopping: a wait was cut short and nothing was sent after it."""


async def sleep_unless_stopped(sleep: Sleep, seconds: float, stop: asyncio.Event | None) -> None:
    """``sleep(seconds)``, cut short by ``stop`` (the workers' stop event): Stopped then."""
    if stop is None:
        await sleep(seconds)
        return
    if stop.is_set():
        raise Stopped
    sleeping = asyncio.ensure_future(sleep(seconds))
    stopping = asyncio.ensure_future(stop.wait())
    try:
        await asyncio.wait((sleeping, stopping), return_when=asyncio.FIRST_COMPLETED)
    finally:
        sleeping.cancel()
        stopping.cancel()
    if stop.is_set():
        raise Stopped


class Limits:
    """Teams' limits for one bot process: per conversation and per tenant. One instance is
    shared by everything that posts outside a turn (alerts, kept replies)."""

    def __init__(
        self,
        clock: MonotonicClock,
        conversation_windows: Sequence[tuple[float, int]] = CONVERSATION_WINDOWS,
        tenant_windows: Sequence[tuple[float, int]] = TENANT_WINDOWS,
    ) -> None:
        self.clock = clock
        self.conversations = RateLimiter(conversation_windows, clock)
        self.tenants = RateLimiter(tenant_windows, clock)

    async def admit(self, tenant_id: str, conversation_id: str, sleep: Sleep) -> None:
        """Wait until one more message fits the conversation's and the tenant's windows."""
        while True:
            now = self.clock()
            wait = max(
                self.conversations.wait_for((tenant_id, conversation_id), now),
                self.tenants.wait_for(tenant_id, now),
            )
            if wait <= 0:
                self.conversations.record((tenant_id, conversation_id), now)
                self.tenants.record(tenant_id, now)
                return
            await sleep(max(wait, 0.001))


# --------------------------------------------------------------------------- retrying


@dataclass(frozen=True)
class RetryPolicy:
    """How one post is retried. ``max_inline_wait`` is the longest single wait: a longer
    ``Retry-After`` ends the retries (the caller tries again later)."""

    max_attempts: int = 5
    base_delay: float = 1.0
    max_delay: float = 30.0
    max_inline_wait: float = 30.0
    attempt_timeout: float | None = None  # seconds each attempt may take (None: the sender's)


class Budget:
    """Seconds of retrying shared by several posts (a turn's replies). The clock starts at the
    first retry: a turn whose first attempts succeed has spent nothing."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.deadline: float | None = None

    def until(self, now: float) -> float:
        if self.deadline is None:
            self.deadline = now + self.seconds
        return self.deadline


class Outcome(StrEnum):
    POSTED = "posted"
    GONE = "gone"  # 403/404: the bot was removed or the conversation is gone
    REFUSED = "refused"  # another answer that a retry would not change
    FAILED = "failed"  # still failing when the attempts, the wait or the budget ran out
    RELEASED = "released"  # given back unfinished because the worker is stopping


@dataclass
class Posted(Generic[T]):
    """What the attempts at one post came to."""

    outcome: Outcome
    value: T | None = None
    error: str | None = None
    exception: BaseException | None = None
    status: int | None = None
    retry_after: float | None = None  # the server's hint for a later try
    attempts: int = 0
    delays: list[float] = field(default_factory=list)  # backoff waits, in order


class Retrier:
    """Posts with retries. Time is injectable: ``clock`` (monotonic seconds) and ``sleep``
    drive backoff, budgets and rate limits; ``now`` reads ``Retry-After`` dates."""

    def __init__(
        self,
        *,
        clock: MonotonicClock | None = None,
        sleep: Sleep = asyncio.sleep,
        rng: random.Random | None = None,
        now: Callable[[], datetime] | None = None,
    ) -> None:
        self.clock: MonotonicClock = clock or time.monotonic
        self.sleep = sleep
        self.rng = rng or random.Random()
        self.now = now or SystemClock().now

    def backoff(self, policy: RetryPolicy, attempt: int, hint: float | None) -> float:
        """Exponential with jitter (half fixed, half random), never sooner than Retry-After."""
        base = min(policy.max_delay, policy.base_delay * 2.0 ** (attempt - 1))
        delay: float = base / 2 + self.rng.uniform(0, base / 2)
        if hint is not None:
            # honour the server's wait, spread a little so throttled senders do not return together
            delay = max(delay, hint + self.rng.uniform(0, min(1.0, base / 4)))
        return min(delay, max(policy.max_inline_wait, hint or 0.0))

    def later(
        self, attempts: int, hint: float | None, first: timedelta, most: timedelta
    ) -> timedelta:
        """How long a post that failed ``attempts`` rounds waits for its next round: doubling
        from ``first`` up to ``most``, jittered, never sooner than Retry-After."""
        base = min(most, first * 2 ** max(0, attempts - 1))
        wait: timedelta = base / 2 + base * (self.rng.random() / 2)
        if hint is not None:
            wait = max(wait, timedelta(seconds=hint))
        return wait

    async def post(
        self,
        send: Callable[[], Awaitable[T]],
        policy: RetryPolicy,
        *,
        admit: Callable[[], Awaitable[None]] | None = None,
        budget: Budget | None = None,
        stop: asyncio.Event | None = None,
        what: str = "post",
        **context: Any,
    ) -> Posted[T]:
        """Send until the connector accepts, refuses for good, or the policy, the budget or a
        stop ends the retries. Never raises what the connector raised: the result says.

        ``stop`` (the workers' stop event) cuts short a wait between attempts, and ``admit``
        may raise Stopped to cut short its own: the post is then RELEASED, never sent after
        the stop. An attempt under way is never cut short (it may post)."""
        result: Posted[T] = Posted(Outcome.FAILED, error="not sent")
        for attempt in range(1, policy.max_attempts + 1):
            try:
                if admit is not None:
                    await admit()
            except Stopped:
                result.outcome = Outcome.RELEASED
                return result
            result.attempts += 1
            try:
                result.value = await self._attempt(send, policy, budget)
            except Exception as error:
                delay = self._failed(result, error, policy, attempt, budget)
                if delay is None:
                    if result.outcome is Outcome.REFUSED:
                        log.warning(f"{what} refused", error=result.error, **context)
                    return result
                if stop is not None and stop.is_set():
                    result.outcome = Outcome.RELEASED
                    return result
                log.info(
                    f"{what} failed; retrying",
                    error=result.error,
                    attempt=attempt,
                    delay=round(delay, 3),
                    **context,
                )
                result.delays.append(delay)
                try:
                    await sleep_unless_stopped(self.sleep, delay, stop)
                except Stopped:
                    result.outcome = Outcome.RELEASED
                    return result
                continue
            result.outcome = Outcome.POSTED
            result.error = result.exception = None
            return result
        return result

    def _failed(
        self,
        result: Posted[T],
        error: Exception,
        policy: RetryPolicy,
        attempt: int,
        budget: Budget | None,
    ) -> float | None:
        """Note a failed attempt in ``result``; the wait before the next one, or None."""
        status = status_of(error)
        result.error, result.exception, result.status = _describe(error, status), error, status
        if isinstance(error, TimeoutError):
            # our own guard gave up waiting: the request may still be under way, so no retry
            # beside it now (the caller keeps the post for a later round)
            result.outcome = Outcome.FAILED
            return None
        if status in GONE_STATUSES:
            result.outcome = Outcome.GONE
            return None
        if not (status in RETRYABLE_STATUSES or (status is None and _is_transient(error))):
            result.outcome = Outcome.REFUSED
            return None
        result.retry_after = retry_after(error, self.now())
        return self._next_wait(policy, attempt, result.retry_after, budget)

    def _next_wait(
        self, policy: RetryPolicy, attempt: int, hint: float | None, budget: Budget | None
    ) -> float | None:
        """Seconds to wait before the next attempt, or None when there is none to make."""
        if attempt >= policy.max_attempts:
            return None
        if hint is not None and hint > policy.max_inline_wait:
            return None
        delay = self.backoff(policy, attempt, hint)
        if budget is not None:
            now = self.clock()
            if budget.seconds <= 0 or now + delay > budget.until(now):
                return None
        return delay

    async def _attempt(
        self, send: Callable[[], Awaitable[T]], policy: RetryPolicy, budget: Budget | None
    ) -> T:
        # never cut short by the budget: an attempt given up on may still be posting, and a
        # retry beside it would post twice; the connector clients time out by themselves
        timeout = policy.attempt_timeout
        try:
            if timeout is None:
                return await send()
            return await asyncio.wait_for(send(), timeout)
        except DeserializationError as error:
            answered = connector_error(error)
            if answered is None:
                raise
            raise answered from error


# --------------------------------------------------------------------------- proactive posts


async def post_proactively(
    adapter: BotAdapter,
    app_id: str,
    reference: ConversationReference,
    activity: Activity,
    within: float,
) -> str | None:
    """One HTTP post of ``activity`` to the conversation of ``reference`` (outside any turn), as
    a reply to the reference's activity if it names one; the id the connector gave it. Raises
    what the connector raised, or TimeoutError after ``within`` seconds."""
    sent: list[str | None] = []
    failure: list[BaseException] = []

    async def callback(turn_context: TurnContext) -> None:
        if reference.activity_id:  # a reply to that activity, as in the turn it comes from
            turn_context.activity.id = reference.activity_id
        # caught here: the adapter's turn-error handler would otherwise swallow it
        try:
            response = await turn_context.send_activity(activity)
            sent.append(response.id if response is not None else None)
        except Exception as error:
            failure.append(error)

    await asyncio.wait_for(adapter.continue_conversation(reference, callback, app_id), within)
    if failure:
        raise failure[0]
    if not sent:
        raise ClientRequestError("the adapter did not run the send")
    return sent[0]
