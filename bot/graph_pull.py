"""Pulling a tenant's PSTN calls from Microsoft Graph into the ledger.

`UsagePuller.pull` reads each window of a claimed source (credits/sources.py plans them: the
cursor less a trailing window, up to now, at most 90 days each) page by page with the Graph client
(bot/graph_client.py, which follows `@odata.nextLink`, honours 429/503 `Retry-After` and renews an
expired token once), keeps the rows that draw on Communications Credits (credits/call_rows.py) and
applies each page through the facade's `ingest_usage`, the same idempotent path as
`POST /api/usage`: a row read again is a duplicate, a row whose charge changed is a conflict,
reported, never applied twice. The cursor moves when a window is read in full; a stop, a crash or
an error leaves it where it was, and the next pull reads that window again (duplicates are free).

`UsagePuller.run_once` is the "usage" job's round (bot/workers.py): claim the due sources (one
worker holds a source at a time, across replicas), pull each, release it with the outcome and the
time of its next pull.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import structlog

from bot.graph_auth import GraphAccess, GraphTokens
from bot.graph_client import GraphClient
from credits.call_rows import DebitRule, sort_rows
from credits.graph_problems import GraphError, SourceProblem
from credits.models import UsageOutcome, UsageStatus
from credits.service import CreditsService
from credits.sources import PullCounts, PullResult, UsageSource, windows

log = structlog.get_logger(__name__)

LEASE = timedelta(minutes=5)  # renewed after every page
# a problem an admin must fix (consent, permission, credentials) is tried again this much later
SLOW_RETRY = timedelta(hours=1)
MAX_INLINE_WAIT = 30.0


@dataclass(frozen=True, slots=True)
class PageDone:
    """Progress of one pull, after each page: for the command line's bar."""

    window: int  # 1-based
    windows: int
    window_start: datetime
    window_end: datetime
    counts: PullCounts


Progress = Callable[[PageDone], None]


def open_puller(service: CreditsService) -> UsagePuller | None:
    """The puller the configuration allows (CREDITS_GRAPH_*), or None when Graph is off."""
    access = GraphAccess.from_config(service.config)
    if access is None:
        return None
    tokens = GraphTokens(access)
    puller = UsagePuller(service, None, tokens=tokens)
    # a wait Graph asks for that is longer than MAX_INLINE_WAIT ends the pull (tried again after
    # that wait); the waits renew the lease and end at a stop (UsagePuller.wait)
    puller.client = GraphClient(access, tokens, sleep=puller.wait, max_wait=MAX_INLINE_WAIT)
    return puller


class UsagePuller:
    client: GraphClient

    def __init__(
        self,
        service: CreditsService,
        client: GraphClient | None,
        *,
        tokens: GraphTokens | None = None,
        lease: timedelta = LEASE,
    ) -> None:
        self.service = service
        if client is not None:
            self.client = client
        self.tokens = tokens
        self.lease = lease
        self._run: _Run | None = None  # the pull under way (one at a time per puller)
        config = service.config
        self.rule = DebitRule.of(
            config.graph_debit_capabilities, config.graph_add_connection_charge
        )
        self.interval = timedelta(seconds=config.graph_interval_seconds)

    async def close(self) -> None:
        await self.client.close()
        if self.tokens is not None:
            self.tokens.close()

    async def run_once(
        self, worker_id: str, stop: asyncio.Event | None = None, limit: int = 10
    ) -> list[tuple[str, PullResult]]:
        """The job's round: pull the due sources, up to `limit`, claiming each when its turn
        comes (a claim taken early would run out while the ones before it are pulled)."""
        done: list[tuple[str, PullResult]] = []
        while len(done) < limit and not (stop is not None and stop.is_set()):
            claimed = await self.service.claim_usage_sources(worker_id, self.lease, 1)
            if not claimed:
                break
            result = await self.pull(claimed[0], worker_id, stop=stop)
            done.append((claimed[0].tenant_id, result))
        return done

    async def wait(self, seconds: float) -> None:
        """The Graph client's wait between attempts: the lease of the pull under way is renewed
        first, and a stop ends the wait (and the pull) at once."""
        run = self._run
        if run is None:
            await asyncio.sleep(seconds)
            return
        if not await self.service.renew_usage_source(
            run.source.tenant_id, run.worker_id, self.lease + timedelta(seconds=seconds)
        ):
            raise _Lost
        if run.stop is None:
            await asyncio.sleep(seconds)
            return
        try:
            await asyncio.wait_for(run.stop.wait(), seconds)
        except TimeoutError:
            return
        raise _Stopped

    async def pull(
        self,
        source: UsageSource,
        worker_id: str,
        *,
        since: datetime | None = None,
        stop: asyncio.Event | None = None,
        progress: Progress | None = None,
    ) -> PullResult:
        """Pull one claimed source and release it; never raises for Graph's or a row's fault.
        A stop ends it after the page under way (released, due again at once)."""
        run = self._run = _Run(source, worker_id, stop, progress)
        result: PullResult
        try:
            await self._windows(run, since)
            result = PullResult(run.counts)
        except GraphError as error:
            result = PullResult(run.counts, error.problem, error.detail, error.retry_after)
        except _Stopped:  # not an outcome: the source is handed back as it was, due at once
            if not await self.service.hand_back_usage_source(source.tenant_id, worker_id):
                log.warning("usage source claim lost before release", tenant=source.tenant_id)
            return PullResult(run.counts)
        except _Lost:
            log.warning(
                "usage source claimed by another worker; pull ended", tenant=source.tenant_id
            )
            return PullResult(run.counts, SourceProblem.UNEXPECTED, "claim lost")
        except Exception as error:  # a bug: logged with its traceback, the source released
            log.exception("usage pull failed", tenant=source.tenant_id)
            result = PullResult(run.counts, SourceProblem.UNEXPECTED, type(error).__name__)
        finally:
            self._run = None
        await self.release(source, worker_id, result)
        _log_result(source.tenant_id, result)
        return result

    async def release(self, source: UsageSource, worker_id: str, result: PullResult) -> None:
        now = self.service.clock.now()
        if result.problem is None:
            next_run = now + self.interval
        elif result.retry_after is not None:
            next_run = now + max(timedelta(seconds=result.retry_after), timedelta(seconds=30))
        elif result.problem in (SourceProblem.THROTTLED, SourceProblem.UNAVAILABLE):
            next_run = now + min(self.interval, timedelta(minutes=5))
        else:
            next_run = now + max(self.interval, SLOW_RETRY)
        if not await self.service.finish_usage_pull(source.tenant_id, worker_id, result, next_run):
            log.warning("usage source claim lost before release", tenant=source.tenant_id)

    async def _windows(self, run: _Run, since: datetime | None) -> None:
        now = self.service.clock.now()
        planned = windows(run.source, now, self.service.config.graph_trailing, since)
        for number, window in enumerate(planned, start=1):
            tenant = run.source.tenant_id
            async for rows in self.client.pstn_calls(tenant, window.start, window.end):
                run.counts = run.counts + await self._apply(tenant, rows)
                if run.progress is not None:
                    done = PageDone(number, len(planned), window.start, window.end, run.counts)
                    run.progress(done)
                if run.stopping():
                    raise _Stopped
                if not await self.service.renew_usage_source(tenant, run.worker_id, self.lease):
                    raise _Lost
            if not await self.service.advance_usage_cursor(
                tenant, run.worker_id, window.end, self.lease
            ):
                raise _Lost
            if run.stopping():
                raise _Stopped

    async def _apply(self, tenant_id: str, rows: list[object]) -> PullCounts:
        sorted_rows = sort_rows(rows, tenant_id, self.rule)
        outcomes: list[UsageOutcome] = []
        if sorted_rows.records:
            outcomes = await self.service.ingest_usage(
                sorted_rows.records, default_tenant=tenant_id
            )
        for outcome in outcomes:
            if outcome.status is UsageStatus.CONFLICT or outcome.status is UsageStatus.REJECTED:
                log.warning(
                    "call record not applied",
                    tenant=tenant_id,
                    record_id=outcome.record_id,
                    status=outcome.status.value,
                    reason=outcome.reason,
                )
        by_status = {status: 0 for status in UsageStatus}
        for outcome in outcomes:
            by_status[outcome.status] += 1
        return PullCounts(
            read=len(rows),
            applied=by_status[UsageStatus.APPLIED],
            duplicates=by_status[UsageStatus.DUPLICATE],
            conflicts=by_status[UsageStatus.CONFLICT],
            rejected=by_status[UsageStatus.REJECTED],
            skipped=sorted_rows.skipped,
        )


@dataclass(slots=True)
class _Run:
    """One pull under way: the source, the worker holding it, and what it has done so far."""

    source: UsageSource
    worker_id: str
    stop: asyncio.Event | None
    progress: Progress | None
    counts: PullCounts = field(default_factory=PullCounts)

    def stopping(self) -> bool:
        return self.stop is not None and self.stop.is_set()


class _Stopped(Exception):
    """The workers are stopping: the pull ends after the page under way."""


class _Lost(Exception):
    """This worker's claim on the source ran out and another worker took it."""


def _log_result(tenant_id: str, result: PullResult) -> None:
    counts = result.counts
    fields = {
        "tenant": tenant_id,
        "read": counts.read,
        "applied": counts.applied,
        "duplicates": counts.duplicates,
        "conflicts": counts.conflicts,
        "rejected": counts.rejected,
        "skipped": counts.skipped,
    }
    if result.problem is None:  # a pull that found nothing new is per-round detail
        chatty = counts.applied or counts.conflicts or counts.rejected
        (log.info if chatty else log.debug)("usage pulled from Graph", **fields)
    else:
        log.warning(
            "usage pull stopped", problem=result.problem.value, error=result.error, **fields
        )
