"""The Graph client (bot/graph_client.py) and its tokens (bot/graph_auth.py): real MSAL and real
aiohttp over TLS, against the local token endpoint and Graph of tests/fake_graph.py."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from fake_graph import FakeGraph, remote

from bot.graph_auth import GraphAccess, GraphTokens
from bot.graph_client import GraphClient, retry_after_seconds
from credits.config import CreditsConfig
from credits.graph_problems import GraphError, SourceProblem, plain_words, token_problem

TENANT = "72f988bf-0000-4000-8000-00000000aaaa"
OTHER = "contoso.onmicrosoft.com"
NOW = datetime.now(UTC).replace(microsecond=0)
START, END = NOW - timedelta(days=2), NOW + timedelta(minutes=1)


class Sleeps(list[float]):
    """A sleep that records how long it was asked to wait, and returns at once."""

    async def __call__(self, seconds: float) -> None:
        self.append(seconds)


@pytest.fixture(autouse=True)
def _no_forced_region(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MSAL_FORCE_REGION", raising=False)


@pytest.fixture
async def graph() -> AsyncIterator[FakeGraph]:
    async with FakeGraph() as fake:
        fake.consent(TENANT)
        yield fake


@pytest.fixture
def sleeps() -> Sleeps:
    return Sleeps()


@pytest.fixture
async def client(graph: FakeGraph, sleeps: Sleeps) -> AsyncIterator[GraphClient]:
    """A client with fresh tokens (MSAL caches refused token requests per app)."""
    async with _client(graph.access(), sleeps) as made:
        yield made


@asynccontextmanager
async def _client(access: GraphAccess, sleep: Sleeps, **options: Any) -> AsyncIterator[GraphClient]:
    tokens = GraphTokens(access)
    client = GraphClient(access, tokens, sleep=sleep, **options)
    try:
        yield client
    finally:
        await client.close()
        tokens.close()


async def pull(client: GraphClient, tenant: str = TENANT) -> list[list[Any]]:
    return [page async for page in client.pstn_calls(tenant, START, END)]


async def refused(client: GraphClient, tenant: str = TENANT) -> GraphError:
    with pytest.raises(GraphError) as caught:
        await pull(client, tenant)
    return caught.value


def statuses(graph: FakeGraph, path_part: str) -> list[int]:
    return [entry.status for entry in graph.requests(path_part)]


def _floats(value: Any) -> bool:
    if isinstance(value, dict):
        return any(_floats(v) for v in value.values())
    return isinstance(value, float)


async def test_pages_are_followed_and_amounts_are_decimals(
    graph: FakeGraph, client: GraphClient
) -> None:
    graph.set_page_size(2)
    added = [
        graph.add_call(TENANT, startDateTime=NOW - timedelta(hours=h), charge=Decimal(f"0.{h}7"))
        for h in (5, 1, 4, 2, 3)
    ]
    graph.add_call(TENANT, startDateTime=START - timedelta(seconds=1))  # before the range
    graph.add_call(OTHER, startDateTime=NOW)  # another tenant's

    pages = await pull(client)

    assert [len(page) for page in pages] == [2, 2, 1]
    rows = [row for page in pages for row in page]
    assert rows == sorted(added, key=lambda row: row["startDateTime"])
    assert [row["charge"] for row in rows] == [Decimal(f"0.{h}7") for h in (5, 4, 3, 2, 1)]
    assert all(isinstance(row["charge"], Decimal) for row in rows)
    assert not any(_floats(row) for row in rows)
    assert client.requests == 3
    assert statuses(graph, "getPstnCalls") == [200, 200, 200]
    assert statuses(graph, "/token") == [200]  # the token is cached across pages


async def test_throttled_requests_wait_as_graph_asks(
    graph: FakeGraph, client: GraphClient, sleeps: Sleeps
) -> None:
    row = graph.add_call(TENANT)
    graph.throttle(2, status=429, retry_after=3)

    assert await pull(client) == [[row]]
    assert sleeps == [3, 3]
    assert client.requests == 3
    assert statuses(graph, "getPstnCalls") == [429, 429, 200]


async def test_unavailable_backs_off_without_retry_after(
    graph: FakeGraph, client: GraphClient, sleeps: Sleeps
) -> None:
    row = graph.add_call(TENANT)
    graph.throttle(1, status=503, retry_after=None)
    graph.throttle(1, status=504, retry_after=None)

    assert await pull(client) == [[row]]
    assert sleeps == [1, 2]
    assert statuses(graph, "getPstnCalls") == [503, 504, 200]


async def test_a_dropped_connection_is_retried(
    graph: FakeGraph, client: GraphClient, sleeps: Sleeps
) -> None:
    row = graph.add_call(TENANT)
    graph.throttle(2, status=0)  # aiohttp itself sends a GET again once
    assert await pull(client) == [[row]]
    assert sleeps == [1]
    assert client.requests == 2
    assert statuses(graph, "getPstnCalls") == [499, 499, 200]


async def test_a_wait_longer_than_allowed_is_left_to_the_caller(
    graph: FakeGraph, sleeps: Sleeps
) -> None:
    graph.throttle(1, status=429, retry_after=300)
    async with _client(graph.access(), sleeps, max_wait=120) as client:
        error = await refused(client)
    assert error.problem is SourceProblem.THROTTLED
    assert error.retry_after == 300
    assert "429" in error.detail
    assert sleeps == []
    assert client.requests == 1


async def test_attempts_are_limited(graph: FakeGraph, sleeps: Sleeps) -> None:
    graph.throttle(5, status=503, retry_after=2)
    async with _client(graph.access(), sleeps, max_attempts=3) as client:
        error = await refused(client)
    assert error.problem is SourceProblem.UNAVAILABLE
    assert error.retry_after == 2
    assert sleeps == [2, 2]
    assert statuses(graph, "getPstnCalls") == [503, 503, 503]


async def test_an_expired_token_is_renewed_once(graph: FakeGraph, client: GraphClient) -> None:
    row = graph.add_call(TENANT)
    assert await pull(client) == [[row]]
    graph.expire_tokens()

    assert await pull(client) == [[row]]
    assert statuses(graph, "/token") == [200, 200]
    assert statuses(graph, "getPstnCalls") == [200, 401, 200]


async def test_a_second_401_is_sign_in_rejected(graph: FakeGraph, client: GraphClient) -> None:
    graph.throttle(2, status=401, retry_after=None)
    error = await refused(client)
    assert error.problem is SourceProblem.SIGN_IN_REJECTED
    assert "InvalidAuthenticationToken" in error.detail
    assert statuses(graph, "/token") == [200, 200]
    assert statuses(graph, "getPstnCalls") == [401, 401]


async def test_withdrawn_consent_is_permission_removed(
    graph: FakeGraph, client: GraphClient
) -> None:
    graph.add_call(TENANT)
    graph.withdraw(TENANT)
    error = await refused(client)
    assert error.problem is SourceProblem.PERMISSION_REMOVED
    assert "403 Forbidden" in error.detail
    assert statuses(graph, "/token") == [200]  # tokens are still issued


async def test_an_unconsented_tenant_is_consent_missing(
    graph: FakeGraph, client: GraphClient
) -> None:
    error = await refused(client, OTHER)
    assert error.problem is SourceProblem.CONSENT_MISSING
    assert "AADSTS700016" in error.detail
    assert graph.requests("getPstnCalls") == []
    graph.consent(OTHER)  # the admin consents: the next pull works at once
    row = graph.add_call(OTHER)
    assert await pull(client, OTHER) == [[row]]
    assert statuses(graph, "/token") == [400, 200]


async def test_a_wrong_secret_is_bad_credentials(graph: FakeGraph, sleeps: Sleeps) -> None:
    async with _client(graph.access(secret="not-the-secret"), sleeps) as client:
        error = await refused(client)
    assert error.problem is SourceProblem.BAD_CREDENTIALS
    assert "AADSTS7000215" in error.detail
    assert "not-the-secret" not in str(error)
    assert statuses(graph, "/token") == [401]


async def test_the_token_endpoint_unavailable(graph: FakeGraph, client: GraphClient) -> None:
    graph.fail_tokens(1, status=503)
    error = await refused(client)
    assert error.problem is SourceProblem.UNAVAILABLE
    assert statuses(graph, "/token") == [503]
    assert client.requests == 0


async def test_an_unreachable_token_endpoint(graph: FakeGraph, sleeps: Sleeps) -> None:
    access = graph.access()
    dead = GraphAccess(**{**access.__dict__, "authority_url": "https://127.0.0.1:9"})
    async with _client(dead, sleeps) as client:
        error = await refused(client)
    assert error.problem is SourceProblem.UNAVAILABLE


async def test_unknown_and_malformed_tenants(graph: FakeGraph, client: GraphClient) -> None:
    graph.remove_tenant(OTHER)
    error = await refused(client, OTHER)
    assert error.problem is SourceProblem.TENANT_NOT_FOUND
    assert "AADSTS90002" in error.detail
    for bad in ("../common", "common", "a b", ""):
        with pytest.raises(GraphError) as caught:
            client.pstn_calls(bad, START, END)
        assert caught.value.problem is SourceProblem.TENANT_NOT_FOUND
    assert statuses(graph, "openid-configuration") == [400]


async def test_ranges_graph_refuses_are_a_caller_bug(graph: FakeGraph, client: GraphClient) -> None:
    with pytest.raises(ValueError, match="90 days"):
        client.pstn_calls(TENANT, START, START + timedelta(days=90, seconds=1))
    with pytest.raises(ValueError, match="timezone"):
        client.pstn_calls(TENANT, START.replace(tzinfo=None), END)
    with pytest.raises(ValueError, match="after"):
        client.pstn_calls(TENANT, END, START)
    assert [p async for p in client.pstn_calls(TENANT, START, START + timedelta(days=90))] == [[]]
    assert client.requests == 1
    assert len(graph.log) == 3  # discovery, token, one page


async def test_a_next_link_elsewhere_is_refused(graph: FakeGraph, client: GraphClient) -> None:
    graph.set_page_size(1)
    graph.add_call(TENANT)
    graph.add_call(TENANT)
    graph.next_link_url = "https://graph.example.invalid/v1.0"
    error = await refused(client)  # before the page that points there is handed out
    assert error.problem is SourceProblem.UNEXPECTED
    assert "graph.example.invalid" in error.detail
    assert client.requests == 1


async def test_a_page_that_is_not_a_page_is_unexpected(
    graph: FakeGraph, client: GraphClient
) -> None:
    graph.throttle(1, status=200)  # 200, with an error body instead of {"value": [...]}
    error = await refused(client)
    assert error.problem is SourceProblem.UNEXPECTED
    assert '"value"' in error.detail


async def test_bad_request_from_graph(graph: FakeGraph, client: GraphClient) -> None:
    graph.throttle(1, status=400)
    error = await refused(client)
    assert error.problem is SourceProblem.BAD_REQUEST
    assert client.requests == 1


async def test_tenants_get_their_own_tokens_and_rows(graph: FakeGraph, client: GraphClient) -> None:
    graph.consent(OTHER)
    mine, theirs = graph.add_call(TENANT), graph.add_call(OTHER)
    assert list(await asyncio.gather(pull(client), pull(client, OTHER))) == [[[mine]], [[theirs]]]
    assert statuses(graph, "/token") == [200, 200]


@pytest.mark.parametrize("with_thumbprint", [True, False])
async def test_certificate_sign_in(graph: FakeGraph, sleeps: Sleeps, with_thumbprint: bool) -> None:
    row = graph.add_call(TENANT)
    path, thumbprint = graph.certificate()
    access = graph.access(
        secret="", certificate_path=path, thumbprint=thumbprint if with_thumbprint else ""
    )
    async with _client(access, sleeps) as client:
        assert await pull(client) == [[row]]


async def test_an_unregistered_certificate_is_bad_credentials(
    graph: FakeGraph, sleeps: Sleeps, tmp_path: Path
) -> None:
    async with FakeGraph() as elsewhere:
        path, thumbprint = elsewhere.certificate()
        foreign = tmp_path / "app.pem"
        foreign.write_bytes(path.read_bytes())
    access = graph.access(certificate_path=foreign, thumbprint=thumbprint)
    async with _client(access, sleeps) as client:
        error = await refused(client)
    assert error.problem is SourceProblem.BAD_CREDENTIALS
    assert "AADSTS700027" in error.detail
    assert statuses(graph, "/token") == [401]
    not_a_key = tmp_path / "nothing.pem"
    not_a_key.write_text("no key here")
    async with _client(graph.access(certificate_path=not_a_key), sleeps) as client:
        error = await refused(client)
    assert error.problem is SourceProblem.BAD_CREDENTIALS
    assert "nothing.pem" in error.detail
    assert statuses(graph, "/token") == [401]  # refused before asking


async def test_controls_over_http(graph: FakeGraph, client: GraphClient) -> None:
    where = (graph.authority_url, graph.ca_bundle)
    row = await remote(*where, "add_call", tenant=TENANT, charge="1.25", duration=61)
    assert row["charge"] == Decimal("1.25") and row["duration"] == 61
    await remote(*where, "revise", tenant=TENANT, row_id=row["id"], charge="1.5")
    assert [r["charge"] for page in await pull(client) for r in page] == [Decimal("1.5")]
    await remote(*where, "withdraw", tenant=TENANT)
    assert (await refused(client)).problem is SourceProblem.PERMISSION_REMOVED
    log = await remote(*where, "log")
    assert [entry["status"] for entry in log if "getPstnCalls" in entry["path"]] == [200, 403]


@pytest.fixture
def standalone() -> Iterator[dict[str, str]]:
    script = Path(__file__).with_name("fake_graph.py")
    process = subprocess.Popen(
        [sys.executable, str(script), "--consent", TENANT, "--page-size", "1"],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        yield json.loads(process.stdout.readline())
    finally:
        process.terminate()
        assert process.wait(timeout=30) == 0
        assert process.stdout is not None
        process.stdout.close()


@pytest.mark.slow
async def test_standalone_server(standalone: dict[str, str], sleeps: Sleeps) -> None:
    ca_bundle = Path(standalone["ca_bundle"])
    for hours in (1, 2):
        await remote(
            standalone["authority_url"],
            ca_bundle,
            "add_call",
            tenant=TENANT,
            startDateTime=(NOW - timedelta(hours=hours)).isoformat(),
        )
    access = GraphAccess.from_config(
        CreditsConfig(
            graph_client_id="app",
            graph_client_secret="s3cret-graph",
            graph_authority_url=standalone["authority_url"],
            graph_base_url=standalone["graph_url"],
            graph_ca_bundle=ca_bundle,
        )
    )
    assert access is not None
    async with _client(access, sleeps) as client:
        assert [len(page) for page in await pull(client)] == [1, 1]


def test_from_config_needs_an_id_and_a_key() -> None:
    assert GraphAccess.from_config(CreditsConfig(graph_client_id="app")) is None
    config = CreditsConfig(graph_client_id="a", graph_client_secret="s3cret-value")
    access = GraphAccess.from_config(config)
    assert access is not None
    assert access.scope == "https://graph.microsoft.com/.default"
    assert access.client_secret == "s3cret-value"
    assert "s3cret-value" not in repr(access)
    with pytest.raises(ValueError, match="https"):
        GraphAccess("a", "s", None, "", "http://login.example", "https://g/v1.0", None, 5)


def test_retry_after_as_seconds_or_a_date() -> None:
    now = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)
    assert retry_after_seconds("7", now) == 7
    assert retry_after_seconds("Wed, 01 May 2024 12:00:30 GMT", now) == 30
    assert retry_after_seconds("Wed, 01 May 2024 11:00:00 GMT", now) == 0
    assert retry_after_seconds("soon", now) is None
    assert retry_after_seconds("nan", now) is None
    assert retry_after_seconds(None, now) is None


def test_problems_in_plain_words() -> None:
    assert token_problem([7000222], "invalid_client") is SourceProblem.SECRET_EXPIRED
    assert token_problem([900023], "invalid_request") is SourceProblem.TENANT_NOT_FOUND
    assert token_problem([7000229], "") is SourceProblem.CONSENT_MISSING
    assert token_problem([], "unauthorized_client") is SourceProblem.CONSENT_MISSING
    assert token_problem([70011], "invalid_scope") is SourceProblem.UNEXPECTED
    words = {problem: plain_words(problem) for problem in SourceProblem}
    assert len(set(words.values())) == len(SourceProblem)
    assert "CallRecords.Read.All" in words[SourceProblem.PERMISSION_REMOVED]
