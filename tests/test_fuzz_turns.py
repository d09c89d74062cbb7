"""A fuzz test over whole HTTP turns: Hypothesis plays scripts of Teams activities (tests/
fuzz_strategies.py) against the real app (create_app, local unauthenticated mode, two admins
configured, workers off), on SQLite and PostgreSQL, with the replies landing at the stub connector.

The turns: admin commands and hostile text (huge numbers, NUL, lone surrogates, RTL marks, long
strings, emoji, Vietnamese) typed by admins, a non-admin, another tenant and senders with hostile
identity fields, in personal chats, a channel and a chat with a hostile id; buttons of the cards
the bot really sent earlier in the example, pressed as Action.Submit or as adaptiveCard/action
invokes (twice, out of order, elsewhere, by someone else), as they are or with their payload
mutated; activities redelivered; fields of the raw activity set to odd JSON or removed; the
channel refusing the bot's calls.

After every turn:
1. the status is never 5xx; a 4xx carries a JSON problem {"error": "..."}; anything else is 2xx;
2. the apology (bot/adapter.py TURN_ERROR_MESSAGE) is neither sent to the channel nor answered,
   and the turn did not fail inside the bot where the apology could not reach anyone (the
   credits_bot_turns{outcome="error"} metric), unless the channel refused the message itself
   (400) or said the conversation is gone (403, 404);
3. a well-formed message seen for the first time is answered at the channel (or, when the channel
   refuses for a while with 429/503, its reply is kept for later), and an invoke seen for the
   first time is not answered as a redelivery.
At the end of each example, for every account it created or changed:
4. `verify`: stored balance == sum of entries == open lots minus debt;
5. money moved only by confirmed add-funds: the new entries are fundings, exactly one per Confirm
   request the bot acknowledged with a receipt in that tenant, of the receipt's amount, and none
   for a request whose Cancel an admin of that tenant was told had been done.

One app serves all the examples of a test (a database per example would not fit CI's budget);
each example uses fresh tenant and conversation ids, so examples do not see each other.
`pytest --hypothesis-show-statistics` shows how often receipts and cancels came up.
"""

from __future__ import annotations

import copy
import json
import os
import re
import uuid
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient
from card_helpers import nodes, texts
from fuzz_strategies import (
    Cast,
    ChannelRefuses,
    Op,
    Press,
    Redeliver,
    Say,
    Script,
    Tweak,
    Who,
    delivery_key,
    scripts,
    shorten,
    tenant_of,
)
from hypothesis import HealthCheck, Phase, event, given, settings
from sqlalchemy import select
from stub_connector import Call, StubConnector

from bot.adapter import TURN_ERROR_MESSAGE
from bot.app import create_app
from bot.appkeys import METRICS, SERVICE
from bot.settings import Settings
from cards import actions as verbs
from credits.i18n import Lang, speaking, t
from credits.schema import accounts, ledger_entries
from credits.service import CreditsService

Client = TestClient[web.Request, web.Application]

ADMINS = ("00000000-0000-4000-8000-0000000000a1", "00000000-0000-4000-8000-0000000000a2")
NOT_ADMIN = "00000000-0000-4000-8000-0000000000b7"
BOT_ACCOUNT = {"id": "28:11111111-2222-3333-4444-555555555555", "name": "Test Bot"}
MENTION = "<at>Test Bot</at>"
CARD = "application/vnd.microsoft.card.adaptive"
PASSING = (429, 503)  # a refusal that retrying or keeping the reply must outlast
LOCALES = ("en-US", "vi-VN")  # two of the four users write in Vietnamese


def _in_both(message: str) -> tuple[str, ...]:
    with speaking(Lang.VI):
        return (message, t(message))


APOLOGIES = _in_both(TURN_ERROR_MESSAGE)
ADDED = tuple(said.split("{")[0] for said in _in_both("Added {amount}"))  # the receipt's title
CANCELLED = _in_both("Cancelled")
REDELIVERED = _in_both("This was handled already.")  # bot/teams.py: an invoke seen before
SAFE_ID = re.compile(r"[\w:;@.=\-]{1,1000}", re.ASCII)  # ids the stub's URL routes can carry


# ---------------------------------------------------------------------- reading what came back


def _cards(body: Any) -> list[dict[str, Any]]:
    attachments = body.get("attachments") if isinstance(body, dict) else None
    return [
        a["content"]
        for a in attachments or []
        if isinstance(a, dict) and a.get("contentType") == CARD and isinstance(a["content"], dict)
    ]


def headings(card: dict[str, Any]) -> list[str]:
    return [
        b["text"]
        for b in card.get("body") or []
        if isinstance(b, dict) and b.get("style") == "heading" and isinstance(b.get("text"), str)
    ]


def buttons(card: Any) -> list[dict[str, Any]]:
    """The data of every button of a card, in order."""
    return [
        node["data"]
        for node in nodes(card)
        if str(node.get("type", "")).startswith("Action.") and isinstance(node.get("data"), dict)
    ]


def minor_units(heading: str) -> int:
    """ "Added $1,050.00" or "Đã nạp 1.050,00 US$" -> 105000 (the default currency, USD)."""
    if heading.startswith(ADDED[1]):  # Vietnamese: "." groups thousands, "," is the decimal mark
        heading = heading.replace(".", "").replace(",", ".")
    return int(Decimal(re.sub(r"[^\d.]", "", heading)) * 100)


def _total(counter: Any, **labels: str) -> float:
    return float(
        sum(
            sample.value
            for metric in counter.collect()
            for sample in metric.samples
            if sample.name.endswith("_total") and labels.items() <= sample.labels.items()
        )
    )


# ---------------------------------------------------------------------- one example


@dataclass(frozen=True)
class Shown:
    """A card the bot sent, and the message that carries it."""

    card: dict[str, Any]
    activity_id: str | None


class Harness:
    """The app and the stub connector, shared by the examples of one test."""

    def __init__(self, client: Client, connector: StubConnector) -> None:
        self.client = client
        self.connector = connector
        self.seen: set[tuple[str, str, str]] = set()  # delivery keys, of every example

    def __repr__(self) -> str:  # Hypothesis prints the fixtures of a failing example
        return "Harness()"

    @property
    def service(self) -> CreditsService:
        return self.client.app[SERVICE]

    def counts(self) -> tuple[float, float]:
        """Turns whose bot logic raised (so the adapter's error handler, the apology, ran), and
        replies the channel refused that were kept to be posted later (bot/metrics.py)."""
        metrics = self.client.app[METRICS]
        return _total(metrics.turns, outcome="error"), _total(metrics.replies, result="kept")

    async def marks(self) -> dict[int, tuple[str, int]]:
        async with self.service.db.read() as conn:
            query = select(accounts.c.id, accounts.c.tenant_id, accounts.c.last_seq)
            return {r.id: (r.tenant_id, r.last_seq) for r in await conn.execute(query)}


class Example:
    def __init__(self, harness: Harness, cast: Cast) -> None:
        self.h = harness
        token = uuid.uuid4().hex[:12]
        self.tenants = [f"fz-{token}-a", f"fz-{token}-b", f"fz-{token}-h{cast.tenant_suffix}"]
        self.users = [
            {"id": "29:fz-admin-0", "name": "Admin 0", "aadObjectId": ADMINS[0]},
            {"id": "29:fz-admin-1", "name": "Admin 1", "aadObjectId": ADMINS[1]},
            {"id": "29:fz-user", "name": "Not Admin", "aadObjectId": NOT_ADMIN},
            {"id": cast.user_id, "name": cast.user_name, "aadObjectId": cast.user_aad or ADMINS[0]},
        ]
        self.conversations = [
            (f"a:fz-{token}-personal-0", "personal"),
            (f"a:fz-{token}-personal-1", "personal"),
            (f"19:fz-{token}-team@thread.tacv2", "channel"),
            (f"a:fz-{token}-h{cast.conversation_suffix}", "personal"),
        ]
        self.shown: list[Shown] = []
        self.posted: list[tuple[dict[str, Any], bool]] = []  # and whether it was tweaked
        self.refuse: int | None = None
        self.receipts: dict[str, dict[str, int]] = defaultdict(dict)  # tenant -> request -> minor
        self.cancelled: dict[str, set[str]] = defaultdict(set)

    # ------------------------------------------------------------------ building activities

    def activity(self, who: Who, text: str | None = None) -> dict[str, Any]:
        tenant = self.tenants[who.tenant % 3]
        conversation_id, kind = self.conversations[who.conversation % 4]
        activity: dict[str, Any] = {
            "type": "message",
            "id": str(uuid.uuid4()),
            "timestamp": "2026-11-24T03:21:10.538Z",
            "serviceUrl": self.h.connector.url,
            "channelId": "msteams",
            "from": dict(self.users[who.user % 4]),
            "recipient": BOT_ACCOUNT,
            "conversation": {"conversationType": kind, "tenantId": tenant, "id": conversation_id},
            "channelData": {"tenant": {"id": tenant}},
            "locale": LOCALES[who.user % 2],
            "entities": [{"type": "clientInfo", "locale": LOCALES[who.user % 2], "country": "US"}],
        }
        if kind == "channel":
            activity["conversation"].update(id=f"{conversation_id};messageid=1", isGroup=True)
            team = {"id": conversation_id}
            activity["channelData"].update(team=team, channel=team)
            activity["entities"] = [{"type": "mention", "text": MENTION, "mentioned": BOT_ACCOUNT}]
            text = None if text is None else f"{MENTION} {text}"
        if text is not None:
            activity.update(text=text, textFormat="plain")
        return copy.deepcopy(activity)  # tweaks must not reach the shared parts

    def press(self, op: Press) -> tuple[dict[str, Any], Any]:
        """The activity pressing a button, and the data it carries."""
        found = [
            (shown, data)
            for shown in reversed(self.shown)
            for data in buttons(shown.card)
            if data.get("verb") == op.verb
        ]
        if found:
            shown, data = found[op.nth % len(found)]
            payload, reply_to = dict(data), shown.activity_id
        else:
            payload, reply_to = {"verb": op.verb}, None
        if op.mutation is not None:
            payload = op.mutation.data(payload)
        activity = self.activity(op.who)
        verb = payload.get("verb") if isinstance(payload, dict) else None
        if op.via == "submit":
            activity["value"] = payload
        else:
            action = {"type": "Action.Execute", "verb": verb, "data": payload}
            activity.update(type="invoke", name="adaptiveCard/action", value={"action": action})
        if reply_to:
            activity["replyToId"] = reply_to
        if op.mutation is not None:
            op.mutation.envelope(activity)
        return activity, payload

    # ------------------------------------------------------------------ running

    async def run(self, ops: tuple[Op, ...]) -> None:
        for op in ops:
            if isinstance(op, ChannelRefuses):
                self.refuse = op.status
            elif isinstance(op, Redeliver):
                if self.posted:
                    activity, tweaked = self.posted[-1 - op.back % len(self.posted)]
                    await self.post(dict(activity), tweaked=tweaked)
            elif isinstance(op, Say):
                await self.post(self.activity(op.who, op.text), op.tweaks)
            else:
                activity, data = self.press(op)
                clean = op.mutation is None and not op.tweaks
                turn = await self.post(activity, op.tweaks)
                self.note_press(op, activity, data, turn, clean)

    async def post(
        self, activity: dict[str, Any], tweaks: tuple[Tweak, ...] = (), *, tweaked: bool = False
    ) -> Turn:
        tweaked = tweaked or bool(tweaks)
        for tweak in tweaks:
            tweak.apply(activity)
        key = delivery_key(activity)
        fresh = key is None or key not in self.h.seen
        refused, self.refuse = self.refuse, None
        connector = self.h.connector
        if refused is not None:
            connector.fail_next(refused, times=20)
        before, (errors, kept) = len(connector.calls), self.h.counts()
        response = await self.h.client.post(
            "/api/messages", data=json.dumps(activity), headers={"Content-Type": "application/json"}
        )
        raw = await response.read()
        connector.clear_failures()  # an unused refusal does not leak into the next turn
        after = self.h.counts()
        turn = Turn(
            activity,
            response.status,
            raw,
            connector.calls[before:],
            after[0] - errors,
            after[1] - kept,
        )
        turn.check(channel_refused=refused is not None and refused not in PASSING)
        self.posted.append((activity, tweaked))
        if 200 <= turn.status < 300 and key is not None:
            self.h.seen.add(key)
        if fresh and (refused is None or refused in PASSING):
            turn.check_answered(well_formed=not tweaked and not turn.odd_ids())
        self.collect(turn)
        return turn

    def collect(self, turn: Turn) -> None:
        for call in turn.calls:
            if not call.failed and call.kind in ("send", "reply", "update"):
                activity_id = call.activity_id or call.body.get("id")
                self.shown += [Shown(card, activity_id) for card in _cards(call.body)]
        if turn.answer_card is not None:
            self.shown.append(Shown(turn.answer_card, turn.activity.get("replyToId")))

    def note_press(
        self, op: Press, activity: dict[str, Any], data: Any, turn: Turn, clean: bool
    ) -> None:
        """Remember which Confirm requests got a receipt and which Cancels an admin saw done."""
        if not isinstance(data, dict):
            return
        tenant = tenant_of(activity)
        verb = data.get("verb")
        if clean and isinstance(verb, str):
            event(f"fuzz: pressed {verb}")
        request = str(data.get("request", data.get("key")))
        said = [h for card in turn.cards() for h in headings(card)]
        added = [h for h in said if h.startswith(ADDED)]
        if added and verb == verbs.ADD_FUNDS_CONFIRM:
            event("fuzz: a receipt")
            self.receipts[tenant].setdefault(request, minor_units(added[0]))
        admin = op.who.user % 4 < 2 and op.who.tenant % 3 < 2
        told = any(word in said for word in CANCELLED)
        cancelled = verb == verbs.CANCEL and told and "request" in data
        # an admin of the tenant was told it is cancelled (a Cancel after a receipt undoes nothing)
        if clean and admin and cancelled and request not in self.receipts[tenant]:
            event("fuzz: a request cancelled")
            self.cancelled[tenant].add(request)

    # ------------------------------------------------------------------ the money, at the end

    async def check_money(self, marks: dict[int, tuple[str, int]]) -> None:
        service = self.h.service
        for account_id, (tenant, last_seq) in (await self.h.marks()).items():
            old_seq = marks[account_id][1] if account_id in marks else 0
            if account_id in marks and last_seq == old_seq:
                continue
            checks = await service.verify(tenant)
            assert checks["stored"] == checks["entries"] == checks["lots_minus_debt"], (
                tenant,
                checks,
            )
            async with service.db.read() as conn:
                rows = (
                    await conn.execute(
                        select(ledger_entries).where(
                            ledger_entries.c.account_id == account_id,
                            ledger_entries.c.seq > old_seq,
                        )
                    )
                ).all()
            assert {r.kind for r in rows} <= {"funding"}, f"money moved by {rows}"
            funded = {r.idempotency_key.split(":", 2)[2]: r.amount_minor for r in rows}
            assert len(funded) == len(rows), "one request funded twice"
            assert funded == self.receipts.get(tenant, {}), (
                f"tenant {tenant!r}: funded {funded}, acknowledged {self.receipts.get(tenant)}"
            )
            voided = set(funded) & self.cancelled.get(tenant, set())
            assert not voided, f"tenant {tenant!r}: funded after its Cancel was done: {voided}"


@dataclass(repr=False)
class Turn:
    activity: dict[str, Any]
    status: int
    raw: bytes
    calls: list[Call]
    errors: float = 0  # turns that failed inside the bot
    kept: float = 0  # replies kept to be posted later

    def __repr__(self) -> str:
        return f"Turn(HTTP {self.status}, activity={shorten(self.activity)})"

    @property
    def answer(self) -> Any:
        try:
            return json.loads(self.raw) if self.raw else None
        except ValueError:
            return None

    @property
    def answer_card(self) -> dict[str, Any] | None:
        answer = self.answer
        card = answer.get("value") if isinstance(answer, dict) else None
        return card if isinstance(card, dict) and card.get("type") == "AdaptiveCard" else None

    def cards(self) -> list[dict[str, Any]]:
        """Every card of this turn: sent (even if the channel refused it) or answered."""
        found = [card for call in self.calls for card in _cards(call.body)]
        return [*found, self.answer_card] if self.answer_card is not None else found

    def odd_ids(self) -> bool:
        conversation = self.activity.get("conversation")
        conversation_id = conversation.get("id") if isinstance(conversation, dict) else None
        return not SAFE_ID.fullmatch(str(conversation_id))

    def fail(self, why: str) -> str:
        answer = self.raw[:300].decode("utf-8", "replace")
        return f"{why}\n  activity: {shorten(self.activity)}\n  answer: HTTP {self.status} {answer}"

    def check(self, *, channel_refused: bool = False) -> None:
        assert self.status < 500, self.fail("a 5xx")
        if 400 <= self.status < 500:
            problem = self.answer
            assert isinstance(problem, dict) and isinstance(problem.get("error"), str), self.fail(
                "a 4xx without a JSON problem"
            )
            event(f"fuzz: refused {self.status}")
        else:
            assert 200 <= self.status < 300, self.fail("neither 2xx nor 4xx")
        for call in self.calls:
            sent = json.dumps(call.body, ensure_ascii=False)
            for apology in APOLOGIES:
                assert apology not in sent, self.fail(f"the apology was sent ({call.kind})")
        answer = self.raw.decode("utf-8", "replace")
        for apology in APOLOGIES:
            assert apology not in answer, self.fail("the apology was answered")
        # a turn can fail where the apology cannot reach anyone; only a refusing channel may
        # fail it (403/404: the conversation is gone; 400: the message itself was refused)
        assert channel_refused or not self.errors, self.fail("the turn failed inside the bot")

    def check_answered(self, *, well_formed: bool) -> None:
        if not 200 <= self.status < 300:
            return
        kind = self.activity.get("type")
        if kind == "invoke" and self.answer_card is not None:
            shown = texts(self.answer_card)
            assert not any(said in shown for said in REDELIVERED), self.fail(
                "an invoke seen for the first time was answered as a redelivery"
            )
        if kind == "message" and well_formed:
            answered = [
                c for c in self.calls if not c.failed and c.kind in ("send", "reply", "update")
            ]
            assert answered or self.kept, self.fail(
                "a message seen for the first time got no answer (none arrived, none was kept)"
            )


# ---------------------------------------------------------------------- the test


@pytest.fixture
async def harness(backend: Any, aiohttp_client: Any, connector: StubConnector) -> Harness:
    config = backend.config(admins=ADMINS)
    bot_settings = Settings(  # no waiting for a refusing channel: replies are kept at once
        _env_file=None, app_id="", credits=config, workers=False, reply_retry_seconds=0
    )  # type: ignore[call-arg]
    client = await aiohttp_client(create_app(bot_settings))
    return Harness(client, connector)


DEEP = os.environ.get("CREDITS_TEST_DEEP") == "1"  # longer searches (docs/testing.md)


@settings(
    max_examples=300 if DEEP else 120,
    deadline=None,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
    ],
    # no explain phase: it replays a failure hundreds of times (over a minute on this app)
    phases=[Phase.explicit, Phase.reuse, Phase.generate, Phase.target, Phase.shrink],
)
@given(script=scripts)
async def test_fuzzed_turns_never_fail_and_move_money_only_on_confirm(
    harness: Harness, script: Script
) -> None:
    marks = await harness.marks()
    harness.connector.clear()
    example = Example(harness, script.cast)
    opening = () if script.opening is None else (Say(Who(), script.opening),)
    await example.run((*opening, *script.ops))
    await example.check_money(marks)
