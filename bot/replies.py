"""Replies the Bot Connector refuses during a turn: retried within the turn's budget, then kept
in the database and posted later by the "replies" worker.

In a turn (:class:`TurnReplies`, called by ``CreditsAdapter.send_activities`` and
``update_activity`` for the turns that ``/api/messages`` runs): a message answered ``429``,
``412``, ``500``, ``502``, ``503`` or ``504`` (or a connection error or timeout) is retried with
the backoff of bot/sending.py, honouring ``Retry-After``, within ``CREDITS_REPLY_RETRY_SECONDS``
for the whole turn (Teams redelivers an activity the bot has not answered within 15 s), and a
``Retry-After`` longer than that is not waited for. A message still refused then is kept
(credits/replies.py), and so is every later message of that turn to the same conversation, so
they keep their order; the turn goes on and answers as usual. A card update that cannot be made
is kept as a new post of the card. ``403`` (the bot was removed) and ``404`` (the conversation
is gone) are neither retried nor kept: a warning is logged and the turn goes on. Any other
refusal (``400``...) fails the turn as before. Typing indicators are tried once and never kept;
invoke responses never reach the connector.

Outside turns (:class:`ReplyDispatcher`, the "replies" worker job): each round claims the oldest
kept reply of each conversation (a conversation's later replies wait for it), posts it with
``continue_conversation`` as a reply to the activity that caused it, keeping to the same
per-conversation and per-tenant rate limits as alert delivery, and acks it; a refused post goes
back with a later ``not_before`` (doubling, never sooner than ``Retry-After``) and after
``max_reply_attempts`` rounds is given up with an error-level log.

As with alerts, an ambiguous failure (``502``/``504``, a timeout after the request was sent) may
have been posted although the connector said otherwise; the retry then posts it again. Replies
of a later turn are not held back behind kept ones: a reply kept in one turn can arrive after
the reply of the next turn.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Protocol

import structlog
from botbuilder.core import BotAdapter, TurnContext
from botbuilder.schema import Activity, ConversationReference, ResourceResponse

from bot.sending import (
    CONNECTOR_TIMEOUT_SECONDS,
    Budget,
    Limits,
    Outcome,
    Posted,
    Retrier,
    RetryPolicy,
    post_proactively,
)
from bot.teams import LOCAL_TENANT
from credits.clock import Clock
from credits.replies import KeptReply, NewReply
from dialogs.caller import tenant_of

__all__ = [
    "REPLY_TURN_KEY",
    "ReplyDispatcher",
    "ReplyReport",
    "ReplyTurn",
    "TurnReplies",
]

log = structlog.get_logger(__name__)

REPLY_TURN_KEY = "credits.reply_turn"
IN_TURN_BASE_DELAY = 0.25
"""The first backoff in a turn (seconds, jittered down to half); it doubles each retry."""
IN_TURN_ATTEMPT_SECONDS = CONNECTOR_TIMEOUT_SECONDS + 2.0
"""A guard on one post in a turn, past the connector clients' own timeout: it fires only when
something other than the HTTP request hangs (a timed-out guard is not retried in the turn)."""

PostReply = Callable[[], Awaitable[ResourceResponse | None]]


class ReplyCounter(Protocol):
    def reply(self, result: str, count: int = 1) -> None: ...


class ReplyKeeper(Protocol):
    async def keep_reply(self, reply: NewReply) -> KeptReply: ...


class ReplyStore(ReplyKeeper, Protocol):
    clock: Clock

    async def claim_replies(self, worker_id: str, limit: int = ...) -> list[KeptReply]: ...

    async def ack_reply(self, reply_id: int, worker_id: str) -> bool: ...

    async def retry_reply(
        self, reply_id: int, worker_id: str, error: str, not_before: datetime
    ) -> bool: ...

    async def fail_reply(self, reply_id: int, worker_id: str, error: str) -> bool: ...


# --------------------------------------------------------------------------- in the turn


@dataclass
class ReplyTurn:
    """One turn's reply state: its tenant, its retry budget, the conversations whose replies
    are being kept (later ones follow them) and those that are gone."""

    tenant_id: str | None
    budget: Budget
    kept: set[str] = field(default_factory=set)
    gone: set[str] = field(default_factory=set)


class TurnReplies:
    """What the adapter does with the messages of a turn (see the module's docstring)."""

    def __init__(self, retrier: Retrier, *, budget_seconds: float, local_mode: bool) -> None:
        self.retrier = retrier
        self.budget_seconds = budget_seconds
        self.local_mode = local_mode
        self.policy = RetryPolicy(
            max_attempts=5,
            base_delay=IN_TURN_BASE_DELAY,
            max_delay=max(budget_seconds, IN_TURN_BASE_DELAY),
            max_inline_wait=budget_seconds,
            attempt_timeout=IN_TURN_ATTEMPT_SECONDS,
        )
        self.keeper: ReplyKeeper | None = None
        self.counter: ReplyCounter | None = None

    def attach(self, keeper: ReplyKeeper, counter: ReplyCounter | None = None) -> None:
        """Keep refused replies in ``keeper`` (the service, once the app has opened it)."""
        self.keeper, self.counter = keeper, counter

    def begin(self, context: TurnContext) -> None:
        """Mark ``context`` as a turn whose replies are retried and kept."""
        tenant = tenant_of(context.activity) or (LOCAL_TENANT if self.local_mode else None)
        context.turn_state[REPLY_TURN_KEY] = ReplyTurn(tenant, Budget(self.budget_seconds))

    @staticmethod
    def turn_of(context: TurnContext) -> ReplyTurn | None:
        turn = context.turn_state.get(REPLY_TURN_KEY)
        return turn if isinstance(turn, ReplyTurn) else None

    def _count(self, result: str) -> None:
        if self.counter is not None:
            self.counter.reply(result)

    async def send(
        self,
        context: TurnContext,
        turn: ReplyTurn,
        activity: Activity,
        post: PostReply,
        *,
        update: bool = False,
    ) -> ResourceResponse | None:
        """Post one message of the turn (``post`` makes one attempt), retrying within the
        turn's budget; keep it if it still does not get through. None when not posted now."""
        conversation = activity.conversation.id if activity.conversation else ""
        if conversation in turn.gone:
            return None
        if conversation in turn.kept:
            await self._keep(context, turn, activity, Posted(Outcome.FAILED), update)
            return None
        posted = await self.retrier.post(
            post,
            self.policy,
            budget=turn.budget,
            what="reply",
            conversation_id=conversation,
            update=update,
        )
        if posted.attempts > 1:
            self._count("retried")
        if posted.outcome is Outcome.POSTED:
            return posted.value
        if posted.outcome is Outcome.GONE:
            turn.gone.add(conversation)
            self._count("gone")
            log.warning(
                "reply not delivered: the conversation is gone",
                status=posted.status,
                conversation_id=conversation,
                update=update,
            )
            return None
        if posted.outcome is Outcome.REFUSED and posted.exception is not None:
            raise posted.exception
        await self._keep(context, turn, activity, posted, update)
        return None

    async def _keep(
        self,
        context: TurnContext,
        turn: ReplyTurn,
        activity: Activity,
        posted: Posted[ResourceResponse | None],
        update: bool,
    ) -> None:
        conversation = activity.conversation.id if activity.conversation else ""
        error = posted.error or "kept behind an earlier reply of this turn"
        if self.keeper is None or turn.tenant_id is None:
            log.error("reply lost: refused, and nowhere to keep it", conversation_id=conversation)
            if posted.exception is not None:
                raise posted.exception
            return
        data = activity.serialize()
        if update:
            data.pop("id", None)  # the card is posted anew instead of updated in place
        reference = TurnContext.get_conversation_reference(context.activity).serialize()
        reply = NewReply(turn.tenant_id, conversation, data, reference, error, posted.retry_after)
        try:
            kept = await self.keeper.keep_reply(reply)
        except Exception:
            log.exception("reply lost: it could not be kept", conversation_id=conversation)
            if posted.exception is not None:
                raise posted.exception from None
            raise
        turn.kept.add(conversation)
        self._count("kept")
        log.warning(
            "reply kept for later",
            reply_id=kept.id,
            conversation_id=conversation,
            error=error,
            update=update,
            not_before=kept.not_before.isoformat() if kept.not_before else None,
        )


# --------------------------------------------------------------------------- the worker


@dataclass
class ReplyReport:
    """What one round of the replies worker did."""

    claimed: int = 0
    attempts: int = 0  # HTTP posts, including retried ones
    delivered: int = 0
    retried: int = 0  # sent back for a later round
    failed: int = 0  # given up on
    gone: int = 0  # 403/404: dropped

    @property
    def finished(self) -> int:
        return self.delivered + self.failed + self.gone


class ReplyDispatcher:
    """Posts kept replies (see the module's docstring). One per process, so its rate limits
    (shared with alert delivery) carry across rounds."""

    def __init__(
        self,
        store: ReplyStore,
        adapter: BotAdapter,
        app_id: str,
        *,
        retrier: Retrier,
        limits: Limits,
        counter: ReplyCounter | None = None,
        policy: RetryPolicy | None = None,
        batch_size: int = 20,
        max_passes: int = 10,
        max_reply_attempts: int = 8,
        later_delay: timedelta = timedelta(minutes=1),
        max_later_delay: timedelta = timedelta(hours=1),
        send_timeout: float = 30.0,
    ) -> None:
        self.store = store
        self.adapter = adapter
        self.app_id = app_id
        self.retrier = retrier
        self.limits = limits
        self.counter = counter
        self.policy = policy or RetryPolicy(max_delay=5.0, max_inline_wait=5.0)
        self.batch_size = batch_size
        self.max_passes = max_passes
        self.max_reply_attempts = max_reply_attempts
        self.later_delay = later_delay
        self.max_later_delay = max_later_delay
        self.send_timeout = send_timeout

    async def run_once(self, worker_id: str) -> ReplyReport:
        """Claim and post until nothing is due or nothing gets through (a posted reply lets
        the next one of its conversation be claimed in the next pass)."""
        report = ReplyReport()
        for _ in range(self.max_passes):
            claimed = await self.store.claim_replies(worker_id, self.batch_size)
            if not claimed:
                break
            report.claimed += len(claimed)
            finished = report.finished
            outcomes = await asyncio.gather(
                *(self._deliver(worker_id, reply, report) for reply in claimed),
                return_exceptions=True,
            )
            for reply, outcome in zip(claimed, outcomes, strict=True):
                if isinstance(outcome, BaseException):  # its claim runs out; tried again then
                    log.error("kept reply delivery failed", reply_id=reply.id, exc_info=outcome)
            if report.finished == finished:
                break
        if self.counter is not None:
            for result in ("delivered", "retried", "failed", "gone"):
                self.counter.reply(result, getattr(report, result))
        return report

    async def _deliver(self, worker_id: str, reply: KeptReply, report: ReplyReport) -> None:
        try:
            reference = ConversationReference.deserialize(reply.reference)
            activity = Activity.deserialize(reply.activity)
        except Exception as error:
            await self._give_up(worker_id, reply, f"unreadable: {type(error).__name__}", report)
            return
        conversation = reply.conversation_id
        room = conversation.split(";messageid=")[0]  # a channel's threads share its limits
        posted = await self.retrier.post(
            lambda: post_proactively(
                self.adapter, self.app_id, reference, activity, self.send_timeout
            ),
            self.policy,
            admit=lambda: self.limits.admit(reply.tenant_id, room, self.retrier.sleep),
            what="kept reply",
            reply_id=reply.id,
            conversation_id=conversation,
        )
        report.attempts += posted.attempts
        if posted.outcome is Outcome.POSTED:
            if await self.store.ack_reply(reply.id, worker_id):
                report.delivered += 1
                log.info("kept reply delivered", reply_id=reply.id, conversation_id=conversation)
            else:
                log.warning("kept reply claim lost before ack", reply_id=reply.id)
        elif posted.outcome is Outcome.GONE:
            log.warning(
                "kept reply not delivered: the conversation is gone",
                reply_id=reply.id,
                status=posted.status,
                conversation_id=conversation,
            )
            if await self.store.fail_reply(reply.id, worker_id, f"gone: {posted.error}"):
                report.gone += 1
        elif posted.outcome is Outcome.REFUSED:
            await self._give_up(worker_id, reply, posted.error or "refused", report)
        else:
            await self._later(worker_id, reply, posted, report)

    async def _later(
        self,
        worker_id: str,
        reply: KeptReply,
        posted: Posted[str | None],
        report: ReplyReport,
    ) -> None:
        error = posted.error or "not delivered"
        if reply.attempts >= self.max_reply_attempts:
            await self._give_up(worker_id, reply, error, report)
            return
        wait = self.retrier.later(
            reply.attempts, posted.retry_after, self.later_delay, self.max_later_delay
        )
        not_before = self.store.clock.now() + wait
        log.warning(
            "kept reply not delivered; retrying later",
            reply_id=reply.id,
            attempts=reply.attempts,
            not_before=not_before.isoformat(),
            error=error[:300],
        )
        if await self.store.retry_reply(reply.id, worker_id, error, not_before):
            report.retried += 1

    async def _give_up(
        self, worker_id: str, reply: KeptReply, error: str, report: ReplyReport
    ) -> None:
        log.error(
            "reply given up",
            reply_id=reply.id,
            tenant_id=reply.tenant_id,
            conversation_id=reply.conversation_id,
            attempts=reply.attempts,
            error=error[:300],
        )
        if await self.store.fail_reply(reply.id, worker_id, error):
            report.failed += 1
