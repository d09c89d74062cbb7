"""A stand-in Bot Connector (the channel's REST API) for HTTP tests.

Serve `StubConnector().app` on a local port (pytest-aiohttp's `aiohttp_server`, or
`aiohttp.test_utils.TestServer`), put its URL in the activities' `serviceUrl`, and the bot's
replies, updates and proactive messages land here, recorded in order:

    stub = StubConnector()
    server = await aiohttp_server(stub.app)
    stub.url = str(server.make_url(""))   # or use `await StubConnector.serve(aiohttp_server)`
    ... POST an activity with serviceUrl=stub.url to the bot ...
    assert stub.sent[0]["text"] == "..."

`fail_next(status, ...)` makes the next calls answer an error (429, 403, ...) to test retries: a
JSON error body, as the Bot Connector answers, or with `text=` a text/plain or HTML page, as a
proxy or a load balancer in front of it answers. `clear_failures()` drops the ones not used yet.
"""

from __future__ import annotations

import dataclasses
import itertools
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web


@dataclass(frozen=True)
class Call:
    """One request the bot made to the connector."""

    method: str
    path: str
    conversation_id: str
    activity_id: str | None  # the activity replied to or updated
    body: Any
    authorization: str | None
    status: int = 201  # what the stub answered

    @property
    def failed(self) -> bool:
        return self.status >= 400

    @property
    def kind(self) -> str:
        """ "send" (new message), "reply", "update", "delete", "create" or "get"."""
        if self.method == "PUT":
            return "update"
        if self.method == "DELETE":
            return "delete"
        if self.method == "GET":
            return "get"
        if self.path == "/v3/conversations":
            return "create"
        return "reply" if self.activity_id else "send"


@dataclass
class _Failure:
    status: int
    headers: dict[str, str]
    body: Any
    text: str | None = None  # answered as it is, with `content_type`, instead of the JSON body
    content_type: str = "text/plain"

    def response(self) -> web.Response:
        if self.text is None:
            return web.json_response(self.body, status=self.status, headers=self.headers)
        return web.Response(
            text=self.text,
            status=self.status,
            headers=self.headers,
            content_type=self.content_type,
        )


@dataclass
class StubConnector:
    calls: list[Call] = field(default_factory=list)
    url: str = ""
    _failures: list[_Failure] = field(default_factory=list)
    # the conversation's members as `GET .../members`, `.../pagedmembers` and `.../members/{id}`
    # answer them (Teams' TeamsChannelAccount shape: id, name, aadObjectId, email...), and the
    # paths of those requests, in order
    roster: list[dict[str, Any]] = field(default_factory=list)
    roster_asks: list[str] = field(default_factory=list)
    # the user of the 1:1 chats (conversation ids starting "a:", as Teams makes them): a personal
    # conversation's members are that user alone, as Teams answers (None: nobody)
    chatting: dict[str, Any] | None = None
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    @classmethod
    async def serve(
        cls, aiohttp_server: Callable[[web.Application], Awaitable[Any]]
    ) -> StubConnector:
        """Start one on a free local port with pytest-aiohttp's `aiohttp_server` fixture."""
        stub = cls()
        server = await aiohttp_server(stub.app)
        stub.url = str(server.make_url("")).rstrip("/")
        return stub

    @property
    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_post("/v3/conversations", self._create)
        # Any path segment, as the Bot Connector routes: the client percent-encodes each id with
        # nothing kept safe and the connector decodes it, so "{" (sent as %7B) is part of an id.
        # aiohttp's bare `{name}` would refuse a decoded segment with "{" or "}" in it (its
        # pattern is [^{}/]+) and answer 404, which the bot reads as "the conversation is gone".
        base = "/v3/conversations/{conversation_id:[^/]+}"
        activity = base + "/activities/{activity_id:[^/]+}"
        app.router.add_post(base + "/activities", self._activity)
        app.router.add_post(activity, self._activity)
        app.router.add_put(activity, self._activity)
        app.router.add_delete(activity, self._activity)
        app.router.add_get(base + "/members", self._members)
        app.router.add_get(base + "/members/{member_id:[^/]+}", self._member)
        app.router.add_get(base + "/pagedmembers", self._paged_members)
        return app

    # ------------------------------------------------------------------ what the bot sent

    @property
    def activities(self) -> list[dict[str, Any]]:
        """Bodies of every message sent, replied or updated, in order."""
        return [
            c.body for c in self.calls if not c.failed and c.kind in ("send", "reply", "update")
        ]

    @property
    def sent(self) -> list[dict[str, Any]]:
        """Bodies of new messages and replies (not updates)."""
        return [c.body for c in self.calls if not c.failed and c.kind in ("send", "reply")]

    def texts(self) -> list[str]:
        return [a.get("text") or "" for a in self.sent]

    def cards(self) -> list[dict[str, Any]]:
        """Adaptive Card contents of every message sent, replied or updated."""
        return [
            attachment.get("content")
            for activity in self.activities
            for attachment in activity.get("attachments") or []
            if attachment.get("contentType") == "application/vnd.microsoft.card.adaptive"
        ]

    def fail_next(
        self,
        status: int,
        *,
        times: int = 1,
        headers: dict[str, str] | None = None,
        body: Any = None,
        text: str | None = None,
        content_type: str = "text/plain",
    ) -> None:
        """The next `times` activity calls answer `status` (recorded with that status, and
        not counted as sent): with `body` as JSON (by default the connector's error shape),
        or with `text` as it is, of `content_type` ("text/plain", "text/html", ...)."""
        body = body or {"error": {"code": str(status)}}
        failure = _Failure(status, headers or {}, body, text, content_type)
        self._failures.extend([failure] * times)

    def clear_failures(self) -> None:
        """Forget the failures `fail_next` set up that no call has used yet."""
        self._failures.clear()

    def clear(self) -> None:
        self.calls.clear()

    # ------------------------------------------------------------------ handlers

    async def _record(self, request: web.Request) -> Call:
        body = await request.json() if request.can_read_body else None
        call = Call(
            method=request.method,
            path=request.path,
            conversation_id=request.match_info.get("conversation_id", ""),
            activity_id=request.match_info.get("activity_id"),
            body=body,
            authorization=request.headers.get("Authorization"),
        )
        return call

    async def _activity(self, request: web.Request) -> web.Response:
        call = await self._record(request)
        if self._failures:
            failure = self._failures.pop(0)
            self.calls.append(dataclasses.replace(call, status=failure.status))
            return failure.response()
        if call.kind in ("update", "delete"):
            self.calls.append(dataclasses.replace(call, status=200))
            return web.json_response({"id": call.activity_id}, status=200)
        self.calls.append(call)
        return web.json_response({"id": f"stub-{next(self._ids)}"}, status=201)

    async def _create(self, request: web.Request) -> web.Response:
        call = await self._record(request)
        self.calls.append(call)
        number = next(self._ids)
        return web.json_response(
            {"id": f"stub-conversation-{number}", "activityId": f"stub-{number}"}, status=201
        )

    def _members_of(self, request: web.Request) -> list[dict[str, Any]]:
        """The conversation's members: a 1:1 chat's user alone, else the roster."""
        if request.match_info.get("conversation_id", "").startswith("a:"):
            return [self.chatting] if self.chatting is not None else []
        return self.roster

    async def _members(self, request: web.Request) -> web.Response:
        self.roster_asks.append(request.path)
        return web.json_response(self._members_of(request))

    async def _paged_members(self, request: web.Request) -> web.Response:
        self.roster_asks.append(request.path)
        return web.json_response({"members": self._members_of(request)})

    async def _member(self, request: web.Request) -> web.Response:
        self.roster_asks.append(request.path)
        member_id = request.match_info["member_id"]
        members = self._members_of(request)
        for member in members:
            if member.get("id") == member_id:
                return web.json_response(member)
        if members or self.chatting is not None:  # not a member: as the connector answers
            missing = {"error": {"code": "MemberNotFoundInConversation"}}
            return web.json_response(missing, status=404)
        return web.json_response({"id": member_id, "name": "Stub User", "aadObjectId": member_id})
