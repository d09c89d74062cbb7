"""`POST /api/usage` over HTTP: the token, the size limit, the body's shape, and one outcome per
record (applied, duplicate, conflict, rejected) with nothing half-applied."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient
from test_http import local_settings

from bot.app import SERVICE, create_app
from bot.usage_api import authorized, parse_body
from credits.models import Actor, EntryKind
from credits.money import Money, currency

Client = TestClient[web.Request, web.Application]
ClientFactory = Callable[..., Awaitable[Client]]

TOKEN = "s3cret"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
T1 = "11111111-0000-4000-8000-000000000001"
T2 = "22222222-0000-4000-8000-000000000002"
USD = currency("USD")


def call(record_id: str, charge: str = "1.25", tenant: str = T1, **extra: Any) -> dict[str, Any]:
    record: dict[str, Any] = {
        "id": record_id,
        "tenantId": tenant,
        "startDateTime": "2026-11-24T09:00:00Z",
        "duration": 300,
        "charge": charge,
        "currency": "USD",
        "licenseCapability": "MCOMEETADD",
        "callType": "conf_out",
        "userPrincipalName": "adele.vance@contoso.com",
        "destinationContext": "International",
    }
    record.update(extra)
    return record


async def make_client(aiohttp_client: ClientFactory, tmp_path: Path, **overrides: Any) -> Client:
    values: dict[str, Any] = {"usage_token": TOKEN, "workers": False}
    values.update(overrides)
    app = create_app(local_settings(tmp_path, **values))

    return await aiohttp_client(app)


@pytest.fixture
async def client(aiohttp_client: ClientFactory, tmp_path: Path) -> Client:
    return await make_client(aiohttp_client, tmp_path)


async def usage_entries(client: Client, tenant: str) -> list[Any]:
    page = await client.app[SERVICE].history(tenant, limit=200)
    return [e for e in page.entries if e.kind == EntryKind.USAGE]


async def balance(client: Client, tenant: str) -> Money:
    return (await client.app[SERVICE].account(tenant)).balance


async def fund(client: Client, tenant: str, amount: str) -> None:
    await client.app[SERVICE].add_funds(tenant, amount, Actor("aad-test", "Test"), f"f-{tenant}")


async def post(client: Client, body: Any, headers: dict[str, str] | None = None) -> Any:
    data = body if isinstance(body, bytes | str) else json.dumps(body)
    response = await client.post(
        "/api/usage", data=data, headers=AUTH if headers is None else headers
    )
    return response.status, await response.json()


# ---------------------------------------------------------------------- refusals


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Bearer wrong"},
        {"Authorization": f"Basic {TOKEN}"},
        {"Authorization": TOKEN},
        {"Authorization": f"Bearer {TOKEN}x"},
        {"Authorization": "Bearer s3crét"},  # non-ASCII must not crash the comparison
        {"Authorization": "Bearer "},
    ],
)
async def test_a_missing_or_wrong_token_is_401_and_applies_nothing(
    client: Client, headers: dict[str, str]
) -> None:
    status, body = await post(client, [call("c1")], headers)
    assert status == 401
    assert body == {"error": "Unauthorized."}
    assert await usage_entries(client, T1) == []
    assert (await balance(client, T1)).is_zero


async def test_the_401_names_the_scheme(client: Client) -> None:
    response = await client.post("/api/usage", json=[call("c1")])
    assert response.status == 401
    assert response.headers["WWW-Authenticate"] == "Bearer"


async def test_without_a_token_setting_the_api_is_off(
    aiohttp_client: ClientFactory, tmp_path: Path
) -> None:
    client = await make_client(aiohttp_client, tmp_path, usage_token="")
    for headers in ({}, {"Authorization": "Bearer "}, AUTH):
        status, body = await post(client, [call("c1")], headers)
        assert status == 404
        assert "off" in body["error"] and "CREDITS_USAGE_TOKEN" in body["error"]
    assert await usage_entries(client, T1) == []


@pytest.mark.parametrize(
    ("raw", "says"),
    [
        (b"not json", "not valid JSON"),
        (b"[1, 2", "not valid JSON"),
        (b'[{"id": "x", "charge": NaN}]', "not valid JSON"),
        (b"\xff\xfe\x00", "not valid JSON"),
        (b"", "not valid JSON"),
        (b'{"records": []}', "JSON array"),
        (b'{"value": {"id": "x"}}', "JSON array"),
        (b'"text"', "JSON array"),
        (b"42", "JSON array"),
        (b"[" * 100_000 + b"]" * 100_000, "nested too deeply"),
    ],
)
async def test_a_body_that_is_not_records_is_400(client: Client, raw: bytes, says: str) -> None:
    status, body = await post(client, raw)
    assert status == 400
    assert says in body["error"]


async def test_an_oversize_body_is_413_and_applies_nothing(
    aiohttp_client: ClientFactory, tmp_path: Path
) -> None:
    client = await make_client(aiohttp_client, tmp_path, usage_max_body_bytes=2048)
    records = [call(f"c{i}") for i in range(40)]  # about 10 KB
    status, body = await post(client, records)
    assert status == 413 and "2048 bytes" in body["error"]

    async def chunks() -> Any:  # no Content-Length: only the capped read can notice
        raw = json.dumps(records).encode()
        for start in range(0, len(raw), 512):
            yield raw[start : start + 512]

    response = await client.post("/api/usage", data=chunks(), headers=AUTH)
    assert response.status == 413
    assert await usage_entries(client, T1) == []

    status, body = await post(client, records[:3])  # under the limit: fine
    assert status == 200 and body["summary"]["applied"] == 3


async def test_the_usage_limit_is_its_own_not_the_messages_limit(
    aiohttp_client: ClientFactory, tmp_path: Path
) -> None:
    client = await make_client(aiohttp_client, tmp_path, max_body_bytes=1024)
    status, body = await post(client, [call(f"c{i}", "0.01") for i in range(20)])
    assert status == 200 and body["summary"]["applied"] == 20


# ---------------------------------------------------------------------- outcomes


async def test_each_record_gets_an_outcome_and_bad_ones_never_stop_good_ones(
    client: Client,
) -> None:
    await fund(client, T1, "100")
    await fund(client, T2, "50")
    records: list[Any] = [
        call("a1", "1.25"),
        call("b1", "2.00", tenant=T2),
        call("a2", "0.50"),
        call("eur", "1.00", currency="EUR"),  # the account is in USD
        call("neg", "-1.00"),
        call("many", "1.005"),  # more decimals than USD has
        {
            "id": "no-charge",
            "tenantId": T1,
            "currency": "USD",
            "startDateTime": "2026-11-24T09:00Z",
        },
        call("when", startDateTime="yesterday"),
        {"charge": "1.00"},  # no id, no tenant
        "not an object",
        call("a1", "1.25"),  # the same call twice in one batch
    ]
    status, body = await post(client, records)
    assert status == 200
    results = body["results"]
    assert [r["index"] for r in results] == list(range(len(records)))
    assert [r["status"] for r in results] == [
        "applied",
        "applied",
        "applied",
        "rejected",
        "rejected",
        "rejected",
        "rejected",
        "rejected",
        "rejected",
        "rejected",
        "duplicate",
    ]
    assert body["summary"] == {"applied": 3, "duplicate": 1, "conflict": 0, "rejected": 7}
    assert results[0] == {
        "index": 0,
        "id": "a1",
        "tenantId": T1,
        "status": "applied",
        "reason": None,
    }
    assert results[1]["tenantId"] == T2
    assert "USD" in results[3]["reason"] and "EUR" in results[3]["reason"]
    assert "negative" in results[4]["reason"]
    assert results[5]["id"] == "many" and results[5]["tenantId"] == T1
    assert "charge" in results[6]["reason"]
    assert "startDateTime" in results[7]["reason"]
    assert results[8]["id"] is None and "id" in results[8]["reason"]
    assert results[9]["reason"] == "each record must be a JSON object"
    assert all(r["reason"] for r in results if r["status"] == "rejected")

    assert await balance(client, T1) == Money(Decimal("98.25"), USD)
    assert await balance(client, T2) == Money(Decimal("48.00"), USD)
    assert [e.amount for e in await usage_entries(client, T1)] == [
        Money(Decimal("-0.50"), USD),
        Money(Decimal("-1.25"), USD),
    ]


async def test_duplicates_and_conflicts_across_batches(client: Client) -> None:
    await fund(client, T1, "20")
    status, body = await post(client, [call("x1", "3.00"), call("x2", "4.00")])
    assert status == 200 and body["summary"]["applied"] == 2

    status, body = await post(client, [call("x1", "3.00"), call("x2", "4.50"), call("x3", "1")])
    assert status == 200
    assert [(r["id"], r["status"]) for r in body["results"]] == [
        ("x1", "duplicate"),
        ("x2", "conflict"),
        ("x3", "applied"),
    ]
    assert "4.00" in body["results"][1]["reason"]
    assert body["summary"] == {"applied": 1, "duplicate": 1, "conflict": 1, "rejected": 0}
    # each call charged once, at its first charge
    assert await balance(client, T1) == Money(Decimal("12.00"), USD)
    assert len(await usage_entries(client, T1)) == 3


async def test_a_graph_page_is_accepted_and_its_next_link_ignored(client: Client) -> None:
    page = {
        "@odata.context": "https://graph.microsoft.com/v1.0/$metadata#Collection(pstnCallLogRow)",
        "@odata.count": 2,
        "value": [call("g1", "0.25"), call("g2", "0.75")],
        "@odata.nextLink": "https://graph.microsoft.com/v1.0/communications/callRecords/"
        "getPstnCalls(fromDateTime=2026-11-01,toDateTime=2026-11-02)?$skip=1000",
    }
    status, body = await post(client, page)
    assert status == 200
    assert body["summary"] == {"applied": 2, "duplicate": 0, "conflict": 0, "rejected": 0}
    assert await balance(client, T1) == Money(Decimal("-1.00"), USD)  # calls always count


async def test_json_numbers_are_exact(client: Client) -> None:
    raw = json.dumps([call("n1", "0")])
    raw = raw.replace('"charge": "0"', '"charge": 0.10')  # a JSON number, not text
    status, body = await post(client, raw)
    assert status == 200 and body["summary"]["applied"] == 1
    assert await balance(client, T1) == Money(Decimal("-0.10"), USD)


async def test_an_empty_batch_is_fine(client: Client) -> None:
    status, body = await post(client, [])
    assert status == 200
    assert body == {
        "results": [],
        "summary": {"applied": 0, "duplicate": 0, "conflict": 0, "rejected": 0},
    }


async def test_a_failing_store_applies_nothing_and_says_500(
    client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    service = client.app[SERVICE]
    original = service._ingest_tenant
    seen: list[str] = []

    async def second_tenant_fails(conn: Any, tenant_id: str, batch: Any) -> Any:
        seen.append(tenant_id)
        if tenant_id == T2:
            raise RuntimeError("disk full")
        return await original(conn, tenant_id, batch)

    monkeypatch.setattr(service, "_ingest_tenant", second_tenant_fails)
    status, body = await post(client, [call("p1"), call("p2", tenant=T2)])
    assert status == 500 and "nothing was applied" in body["error"]
    assert "disk full" not in json.dumps(body)
    assert seen == [T1, T2]
    monkeypatch.undo()
    assert await usage_entries(client, T1) == []  # T1's part was rolled back with T2's
    assert (await balance(client, T1)).is_zero


# ---------------------------------------------------------------------- helpers


def test_the_token_check() -> None:
    assert authorized("Bearer abc", "abc")
    assert authorized("bearer abc", "abc")
    assert authorized("  Bearer   abc ", "abc")
    assert not authorized("Bearer abcd", "abc")
    assert not authorized("Token abc", "abc")
    assert not authorized("", "abc")
    assert not authorized("Bearer ä", "abc")


def test_parse_body_keeps_decimals() -> None:
    assert parse_body(b'[{"charge": 1.10}]') == [{"charge": Decimal("1.10")}]
    assert parse_body('{"value": []}') == []
