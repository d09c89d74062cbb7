"""Background work in the host: the recharge runner, the periodic checks (lot expiry, runway,
unusual spend, stuck payments), alert delivery and the posting of kept replies (replies the Bot
Connector refused during a turn, bot/replies.py). They start and stop with the app; a stop lets
the current round finish, so what a round claimed is finished or released, never abandoned.

Every job's round is given the workers' stop event: a long round (alert delivery) watches it and
gives back, at once, what it has not started sending, rather than run on to the stop's grace
period and be cancelled there."""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import structlog

from bot.delivery import AlertDispatcher
from bot.graph_pull import UsagePuller
from bot.replies import ReplyDispatcher
from credits.service import CreditsService

if TYPE_CHECKING:
    from bot.adapter import CreditsAdapter
    from bot.metrics import Metrics
    from bot.settings import Settings

log = structlog.get_logger(__name__)
STOP_GRACE_SECONDS = 30
USAGE_POLL_SECONDS = 10.0


def worker_id() -> str:
    """Unique per process: claims and leases name the worker that holds them."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


@dataclass(frozen=True)
class Job:
    """A round run every ``interval`` seconds; ``run`` gets the workers' stop event."""

    name: str
    interval: float
    run: Callable[[asyncio.Event], Awaitable[object]]


class Workers:
    def __init__(self, jobs: list[Job]) -> None:
        self.jobs = jobs
        self.rounds: dict[str, int] = {job.name: 0 for job in jobs}
        self._stop = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []

    @property
    def running(self) -> bool:
        return bool(self._tasks) and not self._stop.is_set()

    def start(self) -> None:
        self._stop.clear()
        self._tasks = [
            asyncio.create_task(self._loop(job), name=f"worker:{job.name}") for job in self.jobs
        ]
        log.info("workers started", jobs=[job.name for job in self.jobs])

    async def stop(self) -> None:
        self._stop.set()
        if not self._tasks:
            return
        _, late = await asyncio.wait(self._tasks, timeout=STOP_GRACE_SECONDS)
        for task in late:  # a round that would not end: its claims expire with their leases
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks = []
        log.info("workers stopped")

    async def _loop(self, job: Job) -> None:
        while not self._stop.is_set():
            try:
                await job.run(self._stop)
            except Exception:
                log.exception("background job failed; trying again next round", job=job.name)
            self.rounds[job.name] += 1
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stop.wait(), job.interval)


def standard_jobs(
    service: CreditsService,
    *,
    me: str,
    recharge_interval: float,
    check_interval: float,
    metrics: Metrics | None = None,
) -> list[Job]:
    async def recharge(stop: asyncio.Event) -> None:
        outcomes = await service.process_payments(me)
        if metrics is not None:
            metrics.recharge(outcomes)
        for outcome in outcomes:
            log.info(
                "payment processed",
                payment_id=outcome.payment_id,
                tenant_id=outcome.tenant_id,
                kind=outcome.kind,
                status=outcome.status,
                reason=outcome.reason,
            )

    async def checks(stop: asyncio.Event) -> None:
        report = await service.run_checks()
        for payment in await service.report_stuck_payments():
            log.error("payment stuck; reported, not retried", payment_id=payment.id)
        if report.expired_lots or report.alerts:
            log.info("checks", expired_lots=report.expired_lots, alerts=list(report.alerts))

    return [
        Job("recharge", recharge_interval, recharge),
        Job("checks", check_interval, checks),
    ]


def alert_delivery(
    dispatcher: AlertDispatcher, me: str, interval: float, metrics: Metrics | None = None
) -> Job:
    """The "alerts" job: one round of ``dispatcher`` (one per process, so its rate-limit windows
    carry across rounds); a stop releases what the round has not sent (bot/delivery.py)."""

    async def deliver(stop: asyncio.Event) -> None:
        report = await dispatcher.run_once(me, stop)
        if metrics is not None:
            metrics.alert_round(sent=report.acked, retried=report.retried, failed=report.failed)

    return Job("alerts", interval, deliver)


def usage_pull(puller: UsagePuller, me: str, metrics: Metrics | None = None) -> Job:
    """The "usage" job: pull the due tenants' calls from Microsoft Graph (bot/graph_pull.py).
    It looks for due tenants every few seconds (a new connection is pulled at once); each tenant
    is pulled every CREDITS_GRAPH_INTERVAL_SECONDS, by one worker across replicas."""
    interval = min(puller.service.config.graph_interval_seconds, USAGE_POLL_SECONDS)

    async def pull(stop: asyncio.Event) -> None:
        for _, result in await puller.run_once(me, stop):
            if metrics is not None:
                metrics.usage_pull(result)

    return Job("usage", interval, pull)


def reply_delivery(
    service: CreditsService,
    adapter: CreditsAdapter,
    settings: Settings,
    alerts: AlertDispatcher,
    me: str,
    metrics: Metrics | None = None,
) -> Job:
    """Replies the Bot Connector refuses during a turn are kept in ``service`` (the adapter's
    TurnReplies, bot/replies.py) and posted by the job returned, every alert interval, with the
    adapter's retrier and the rate limits of alert delivery (one set of windows for both)."""
    adapter.replies.attach(service, metrics)
    replies = ReplyDispatcher(
        service,
        adapter,
        settings.app_id,
        retrier=adapter.retrier,
        limits=alerts.limits,
        counter=metrics,
    )

    async def deliver(stop: asyncio.Event) -> None:
        report = await replies.run_once(me)
        if report.claimed:
            log.info(
                "kept replies",
                claimed=report.claimed,
                delivered=report.delivered,
                retried=report.retried,
                failed=report.failed,
                gone=report.gone,
            )

    return Job("replies", settings.alert_interval_seconds, deliver)
