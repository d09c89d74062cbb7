"""The bot's Prometheus metrics (prometheus-client): the registry and its counters, served by
`GET /metrics` (bot/ops.py).

Every app gets a `Metrics` of its own with its own `CollectorRegistry` (never the process-wide
default registry), so several apps in one process (the tests) do not clash. The domain
(`credits`) knows nothing of metrics: ledger operations are counted by wrapping the service's
methods on the host's instance (`instrument_service`), turns around the bot's turn callback,
recharges and alert rounds where the workers run them, usage records where the API answers,
replies the Bot Connector refused where the adapter and the replies worker handle them, alerts
that expired (no conversation could receive them in time) by wrapping `expire_alert` as well.

Label values are bounded: turn kinds are the Bot Framework activity types (anything else is
"other"), outcomes are fixed words or the name of a domain error class.
"""

from __future__ import annotations

import functools
import re
import time
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from typing import Any, TypeVar

from botbuilder.schema import ActivityTypes
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest

from credits.errors import CreditsError
from credits.models import RechargeOutcome, UsageStatus
from credits.service import CreditsService
from credits.sources import PullResult

TURN_KINDS = frozenset(t.value for t in ActivityTypes)
LEDGER_OPERATIONS = (
    "add_funds",
    "adjust",
    "set_auto_recharge",
    "set_recharge_caps",
    "set_alert_thresholds",
)
RECHARGE_OUTCOMES = ("succeeded", "declined", "retry")
ALERT_RESULTS = ("sent", "retried", "failed")
REPLY_RESULTS = ("retried", "kept", "delivered", "failed", "gone")
# seconds; a turn waits on the database and on the Bot Connector (sends within the turn)
TURN_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)

T = TypeVar("T")
TurnCallback = Callable[[Any], Awaitable[Any]]


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def error_outcome(error: BaseException) -> str:
    """A bounded label for a failed operation: the domain error's class (e.g. payment_declined),
    or "error" for anything unexpected."""
    if isinstance(error, CreditsError):
        return _snake(type(error).__name__)
    return "error"


class Metrics:
    """The bot's Prometheus metrics, on a registry of their own."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        r = self.registry

        def counter(name: str, documentation: str, labels: Sequence[str] = ()) -> Counter:
            return Counter(name, documentation, list(labels), registry=r)

        self.turns = counter(
            "credits_bot_turns",
            "Bot turns handled, by activity type and outcome (ok/error).",
            ["kind", "outcome"],
        )
        self.turn_seconds = Histogram(
            "credits_bot_turn_duration_seconds",
            "Time spent in the bot's turn logic, by activity type.",
            ["kind"],
            buckets=TURN_BUCKETS,
            registry=r,
        )
        self.ledger_operations = counter(
            "credits_ledger_operations",
            "Ledger and account-settings operations, by operation and outcome "
            "(ok, replayed, a domain refusal such as payment_declined, or error).",
            ["operation", "outcome"],
        )
        self.usage_records = counter(
            "credits_usage_records",
            "Usage (call) records posted to /api/usage, by result.",
            ["result"],
        )
        self._worker_metrics(counter)
        self.outbox_backlog = Gauge(
            "credits_alert_outbox_backlog",
            "Alerts pending delivery in the outbox (counted at scrape time; NaN if the "
            "database did not answer).",
            registry=r,
        )
        self._preset()

    def _worker_metrics(self, counter: Callable[..., Counter]) -> None:
        """What the background workers count: recharges, alerts, replies, Graph pulls."""
        self.recharges = counter(
            "credits_recharges",
            "Payments processed by the recharge worker, by outcome.",
            ["outcome"],
        )
        self.alerts = counter(
            "credits_alerts",
            "Outbox alerts handled by delivery: sent (acknowledged), retried (back to the "
            "outbox for a later round), failed (given up on).",
            ["result"],
        )
        self.alerts_expired = counter(
            "credits_alerts_expired",
            "Alerts given up on because no conversation could receive them within "
            "CREDITS_ALERT_EXPIRE_HOURS (marked failed, with expired_at).",
        )
        self.replies = counter(
            "credits_replies",
            "Turn replies the Bot Connector refused at first: retried (tried again, in the turn "
            "or by the worker), kept (stored at the end of the turn to be posted later), "
            "delivered (kept, then posted by the worker), failed (kept, then given up on), "
            "gone (403/404: the bot was removed or the conversation is gone; not kept).",
            ["result"],
        )
        self.graph_pulls = counter(
            "credits_graph_pulls",
            "Pulls of a tenant's calls from Microsoft Graph, by outcome: ok, or the problem "
            "that stopped it (consent_missing, permission_removed, throttled, unavailable, ...).",
            ["outcome"],
        )
        self.graph_rows = counter(
            "credits_graph_rows",
            "Call rows read from Microsoft Graph, by what became of them: applied, duplicate, "
            "conflict, rejected, skipped (not paid from Communications Credits, or free).",
            ["result"],
        )

    def _preset(self) -> None:
        """The fixed label values exist from the start, so rates work from the first scrape."""
        for status in UsageStatus:
            self.usage_records.labels(status.value)
        for outcome in RECHARGE_OUTCOMES:
            self.recharges.labels(outcome)
        for result in ALERT_RESULTS:
            self.alerts.labels(result)
        for result in REPLY_RESULTS:
            self.replies.labels(result)
        for operation in LEDGER_OPERATIONS:
            self.ledger_operations.labels(operation, "ok")
        self.graph_pulls.labels("ok")
        for result in ("applied", "duplicate", "conflict", "rejected", "skipped"):
            self.graph_rows.labels(result)

    # ------------------------------------------------------------------ recording

    def timed_turn(self, kind: str | None, callback: TurnCallback) -> TurnCallback:
        """`callback` (the bot's `on_turn`), counting the turn and timing it."""
        label = kind if kind in TURN_KINDS else "other"

        async def turn(turn_context: Any) -> Any:
            started = time.perf_counter()
            outcome = "error"
            try:
                result = await callback(turn_context)
                outcome = "ok"
                return result
            finally:
                self.turn_seconds.labels(label).observe(time.perf_counter() - started)
                self.turns.labels(label, outcome).inc()

        return turn

    def usage(self, summary: Mapping[str, int]) -> None:
        for result, count in summary.items():
            if count:
                self.usage_records.labels(result).inc(count)

    def recharge(self, outcomes: Iterable[RechargeOutcome]) -> None:
        for outcome in outcomes:
            status = outcome.status if outcome.status in RECHARGE_OUTCOMES else "other"
            self.recharges.labels(status).inc()

    def alert_round(self, *, sent: int, retried: int, failed: int) -> None:
        for result, count in (("sent", sent), ("retried", retried), ("failed", failed)):
            if count:
                self.alerts.labels(result).inc(count)

    def usage_pull(self, result: PullResult) -> None:
        """Count one pull from Graph and what became of the rows it read."""
        self.graph_pulls.labels("ok" if result.problem is None else result.problem.value).inc()
        counts = result.counts
        for label, count in (
            ("applied", counts.applied),
            ("duplicate", counts.duplicates),
            ("conflict", counts.conflicts),
            ("rejected", counts.rejected),
            ("skipped", counts.skipped),
        ):
            if count:
                self.graph_rows.labels(label).inc(count)

    def reply(self, result: str, count: int = 1) -> None:
        """Count turn replies by what became of them (one of REPLY_RESULTS)."""
        if count:
            self.replies.labels(result if result in REPLY_RESULTS else "other").inc(count)

    def operation(
        self, name: str, call: Callable[..., Awaitable[T]]
    ) -> Callable[..., Awaitable[T]]:
        """`call` counted as ledger operation `name`."""

        @functools.wraps(call)
        async def counted(*args: Any, **kwargs: Any) -> T:
            try:
                result = await call(*args, **kwargs)
            except Exception as error:
                self.ledger_operations.labels(name, error_outcome(error)).inc()
                raise
            replayed = getattr(result, "replayed", False) is True
            self.ledger_operations.labels(name, "replayed" if replayed else "ok").inc()
            return result

        return counted

    def expiry(self, call: Callable[..., Awaitable[bool]]) -> Callable[..., Awaitable[bool]]:
        """`call` (the service's `expire_alert`), counting each alert it marks expired."""

        @functools.wraps(call)
        async def counted(*args: Any, **kwargs: Any) -> bool:
            expired = await call(*args, **kwargs)
            if expired:
                self.alerts_expired.inc()
            return expired

        return counted

    def render(self) -> bytes:
        return generate_latest(self.registry)


def instrument_service(service: CreditsService, metrics: Metrics) -> None:
    """Count the ledger operations and the expired alerts of this service instance (the domain
    stays metric-free)."""
    for name in LEDGER_OPERATIONS:
        setattr(service, name, metrics.operation(name, getattr(service, name)))
    service.expire_alert = metrics.expiry(service.expire_alert)  # type: ignore[method-assign,assignment]
