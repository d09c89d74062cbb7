"""Connecting usage from Microsoft 365 in chat, over HTTP against the whole app: "connect usage"
(the admin-consent card), the consent page's return to the bot, "usage status", and the "usage"
worker pulling from a local Graph (tests/fake_graph.py) with the real MSAL and client."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from card_helpers import button, open_url, texts
from fake_graph import FakeGraph
from helpers import (
    TENANT,
    Client,
    ClientFactory,
    execute,
    last_card,
    local_settings,
    personal_message,
    post,
)
from stub_connector import StubConnector

from bot.app import create_app
from bot.appkeys import SERVICE, WORKERS
from cards import actions as verbs
from credits.config import CreditsConfig
from credits.graph_problems import SourceProblem
from credits.sources import PullCounts, PullResult

REDIRECT = "https://bot.example.com/api/graph/consent"


@pytest.fixture
async def graph(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[FakeGraph]:
    monkeypatch.delenv("MSAL_FORCE_REGION", raising=False)
    async with FakeGraph() as fake:
        yield fake


def graph_config(tmp_path: Path, graph: FakeGraph, **overrides: Any) -> CreditsConfig:
    values: dict[str, Any] = {
        "database_url": f"sqlite:///{tmp_path}/c.db",
        **graph.settings(),
        "graph_interval_seconds": 0.2,
    }
    values.update(overrides)
    return CreditsConfig(_env_file=None, **values)  # type: ignore[call-arg]


async def say(client: Client, connector: StubConnector, text: str) -> dict[str, Any]:
    await post(client, personal_message(connector.url, text))
    card, _ = last_card(connector)
    return card


async def test_without_graph_settings_connect_usage_says_what_the_operator_must_set(
    aiohttp_client: ClientFactory, tmp_path: Path, connector: StubConnector
) -> None:
    client = await aiohttp_client(create_app(local_settings(tmp_path)))
    for text in ("connect usage", "usage status"):
        shown = texts(await say(client, connector, text))
        assert "not set up to read usage from Microsoft" in shown
        assert "MicrosoftAppId" in shown
    assert await client.app[SERVICE].usage_source(TENANT) is None


async def test_connect_usage_shows_the_consent_link_and_the_worker_pulls_the_calls(
    aiohttp_client: ClientFactory, tmp_path: Path, connector: StubConnector, graph: FakeGraph
) -> None:
    graph.consent(TENANT)
    now = datetime.now(UTC)
    graph.add_call(TENANT, startDateTime=now - timedelta(hours=1), charge="2.50")
    graph.add_call(TENANT, startDateTime=now - timedelta(hours=2), licenseCapability="MCOPSTN1")
    settings = local_settings(tmp_path, workers=True, credits=graph_config(tmp_path, graph))
    client = await aiohttp_client(create_app(settings))
    card = await say(client, connector, "connect usage")
    shown = texts(card)
    assert "CallRecords.Read.All" in shown and "cannot make calls" in shown
    link = urlsplit(open_url(card, "Grant permission"))
    assert f"{link.scheme}://{link.netloc}" == graph.authority_url
    assert link.path == f"/{TENANT}/adminconsent"
    assert parse_qs(link.query) == {"client_id": [graph.client_id]}
    service = client.app[SERVICE]
    for _ in range(200):  # the "usage" job pulls within its interval
        source = await service.usage_source(TENANT)
        if source is not None and source.last_run_at is not None:
            break
        await asyncio.sleep(0.05)
    status = texts(await say(client, connector, "usage status"))
    assert "2: 1 new, 0 seen before, 1 not paid from credits" in status
    assert (await service.account(TENANT)).balance.minor == -250


async def test_check_now_after_a_missing_consent_pulls_again_at_once(
    aiohttp_client: ClientFactory, tmp_path: Path, connector: StubConnector, graph: FakeGraph
) -> None:
    settings = local_settings(tmp_path, workers=True, credits=graph_config(tmp_path, graph))
    client = await aiohttp_client(create_app(settings))
    service = client.app[SERVICE]
    await say(client, connector, "connect usage")
    source = None
    for _ in range(200):
        source = await service.usage_source(TENANT)
        if source is not None and source.last_run_at is not None:
            break
        await asyncio.sleep(0.05)
    status = await say(client, connector, "usage status")
    assert "consent" in texts(status).lower()  # said in plain words, with what to do
    graph.consent(TENANT)
    graph.add_call(TENANT, startDateTime=datetime.now(UTC) - timedelta(minutes=5), charge="1")
    answer = await post(client, execute(connector.url, button(status, verbs.USAGE_CHECK)))
    assert "starts within seconds" in texts(answer["value"])
    for _ in range(200):
        source = await service.usage_source(TENANT)
        if source is not None and source.last_problem is None and source.last_ok_at:
            break
        await asyncio.sleep(0.05)
    assert (await service.account(TENANT)).balance.minor == -100


async def test_the_consent_page_returns_to_the_bot_with_a_signed_state(
    aiohttp_client: ClientFactory, tmp_path: Path, connector: StubConnector, graph: FakeGraph
) -> None:
    config = graph_config(tmp_path, graph, graph_consent_redirect_url=REDIRECT)
    client = await aiohttp_client(create_app(local_settings(tmp_path, credits=config)))
    card = await say(client, connector, "connect usage")
    link = urlsplit(open_url(card, "Grant permission"))
    assert link.path == f"/{TENANT}/v2.0/adminconsent"
    query = {k: v[0] for k, v in parse_qs(link.query).items()}
    assert query["redirect_uri"] == REDIRECT
    assert query["scope"] == f"{graph.authority_url}/.default"
    state = query["state"]
    assert state.startswith(f"{TENANT}.")

    async def back(**params: str) -> tuple[int, str]:
        response = await client.get("/api/graph/consent", params=params)
        return response.status, await response.text()

    forged = state[:-1] + ("1" if state[-1] == "0" else "0")
    status, page = await back(state=forged, admin_consent="True", tenant=TENANT)
    assert status == 400 and "not recognised" in page  # a state the bot did not sign
    other = "72f988bf-0000-4000-8000-00000000ffff"
    status, page = await back(state=f"{other}.{state.rsplit('.', 1)[1]}", admin_consent="True")
    assert status == 400 and "not recognised" in page  # signed for another tenant
    status, page = await back(state=state, admin_consent="True", tenant=other)
    assert status == 400 and "not a grant for your organisation" in page
    assert await client.app[SERVICE].usage_source(other) is None
    status, page = await back(
        state=state,
        admin_consent="True",
        error="access_denied",
        error_description="<script>alert(1)</script>",
    )
    assert status == 200 and "not granted" in page
    assert "<script>" not in page and "&lt;script&gt;" in page
    service = client.app[SERVICE]
    # the first pull ran (no consent yet): the next one is an hour away
    assert await service.claim_usage_sources("w", timedelta(minutes=5))
    failed = PullResult(PullCounts(), SourceProblem.CONSENT_MISSING, "AADSTS700016")
    in_an_hour = datetime.now(UTC) + timedelta(hours=1)
    assert await service.finish_usage_pull(TENANT, "w", failed, in_an_hour)
    status, page = await back(state=state, admin_consent="True", tenant=TENANT)
    assert status == 200 and "Permission granted" in page
    after = await service.usage_source(TENANT)
    assert after is not None and after.next_run_at is not None
    assert after.next_run_at < in_an_hour - timedelta(minutes=30)  # due at once


async def test_only_billing_admins_connect_usage(
    aiohttp_client: ClientFactory, tmp_path: Path, connector: StubConnector, graph: FakeGraph
) -> None:
    config = graph_config(tmp_path, graph, admins=("someone-else",))
    client = await aiohttp_client(create_app(local_settings(tmp_path, credits=config)))
    await post(client, personal_message(connector.url, "connect usage"))
    assert "only billing admins" in connector.texts()[-1].lower()
    answer = await post(client, execute(connector.url, {"verb": verbs.USAGE_CHECK}))
    assert "only billing admins" in texts(answer["value"]).lower()
    assert await client.app[SERVICE].usage_source(TENANT) is None


async def test_the_usage_worker_runs_only_with_graph_settings_and_says_why_not(
    aiohttp_client: ClientFactory, tmp_path: Path, graph: FakeGraph
) -> None:
    off = await aiohttp_client(create_app(local_settings(tmp_path, workers=True)))
    assert "usage" not in [job.name for job in off.app[WORKERS].jobs]
    assert "MicrosoftAppId" in off.app[SERVICE].config.graph_off_reason()  # logged at start-up
    config = graph_config(tmp_path, graph, database_url=f"sqlite:///{tmp_path}/on.db")
    on = await aiohttp_client(create_app(local_settings(tmp_path, workers=True, credits=config)))
    assert "usage" in [job.name for job in on.app[WORKERS].jobs]


def test_the_bot_s_own_registration_fills_only_what_is_not_set(tmp_path: Path) -> None:
    own = CreditsConfig(_env_file=None, graph_client_secret="graph-only")  # type: ignore[call-arg]
    settings = local_settings(tmp_path, app_id="bot-app", app_password="bot-pw", credits=own)
    assert settings.credits.graph_client_id == "bot-app"
    assert settings.credits.graph_client_secret == "graph-only"  # never replaced
    bare = local_settings(tmp_path, app_id="bot-app", app_password="bot-pw")
    assert (bare.credits.graph_client_id, bare.credits.graph_client_secret) == ("bot-app", "bot-pw")
    other = CreditsConfig(_env_file=None, graph_client_id="graph-app")  # type: ignore[call-arg]
    apart = local_settings(tmp_path, app_id="bot-app", app_password="bot-pw", credits=other)
    assert (apart.credits.graph_client_id, apart.credits.graph_client_secret) == ("graph-app", "")
