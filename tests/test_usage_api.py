"""`POST /api/usage` over HTTP: the token, the size limit, the body's shape, and one outcome per
record (applied, duplicate, conflict, rejected) with nothing half-applied."""

from __future__ import annotations

import json
from decimal import Decimal
from functools import partial
from pathlib import Path
from typing import Any

import pytest
from conftest import Backend
from helpers import AUTH, TOKEN, Client, ClientFactory, make_client
from records import call as record_call
from sqlalchemy import insert, select, update

from bot.appkeys import SERVICE
from bot.usage_api import authorized, parse_body
from credits import ingest
from credits.models import USAGE, Actor, EntryKind
from credits.money import Money, currency
from credits.schema import accounts, ledger_entries

T1 = "11111111-0000-4000-8000-000000000001"
T2 = "22222222-0000-4000-8000-000000000002"
USD = currency("USD")


# the calls posted here: 5-minute audio conferences of T1's (text charges, as JSON has them)
call = partial(
    record_call,
    tenantId=T1,
    startDateTime="2026-11-24T09:00:00Z",
    duration=300,
    licenseCapability="MCOMEETADD",
    callType="conf_out",
    userPrincipalName="adele.vance@contoso.com",
)


@pytest.fixture
async def client(aiohttp_client: ClientFactory, tmp_path: Path) -> Client:
    return await make_client(aiohttp_client, tmp_path)


@pytest.fixture
async def store_client(aiohttp_client: ClientFactory, tmp_path: Path, backend: Backend) -> Client:
    """The app on the `backend` store: SQLite and PostgreSQL."""
    return await make_client(aiohttp_client, tmp_path, credits=backend.config())


async def usage_entries(client: Client, tenant: str) -> list[Any]:
    page = await client.app[SERVICE].history(tenant, limit=200)
    return [e for e in page.entries if e.kind == EntryKind.USAGE]


async def balance(client: Client, tenant: str) -> Money:
    return (await client.app[SERVICE].account(tenant)).balance


async def fund(client: Client, tenant: str, amount: str) -> None:
    await client.app[SERVICE].add_funds(tenant, amount, Actor("aad-test", "Test"), f"f-{tenant}")


async def consistent(client: Client, tenant: str) -> int:
    """The balance, after checking it agrees three ways (stored, entries, lots minus debt)."""
    check = await client.app[SERVICE].verify(tenant)
    assert check["stored"] == check["entries"] == check["lots_minus_debt"], check
    return check["stored"]


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
        call("b1", "2.00", tenantId=T2),
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
    original = ingest.ingest_tenant
    seen: list[str] = []

    async def second_tenant_fails(deps: Any, conn: Any, tenant_id: str, batch: Any) -> Any:
        seen.append(tenant_id)
        if tenant_id == T2:
            raise RuntimeError("disk full")
        return await original(deps, conn, tenant_id, batch)

    monkeypatch.setattr(ingest, "ingest_tenant", second_tenant_fails)
    status, body = await post(client, [call("p1"), call("p2", tenantId=T2)])
    assert status == 500 and "nothing was applied" in body["error"]
    assert "disk full" not in json.dumps(body)
    assert seen == [T1, T2]
    monkeypatch.undo()
    assert await usage_entries(client, T1) == []  # T1's part was rolled back with T2's
    assert (await balance(client, T1)).is_zero


# ---------------------------------------------------------------------- poison records

# One record that the store cannot take as it is, next to a good one: the good one is applied,
# the poison one rejected with a reason naming its field, and the answer is 200 (issue 9).
POISON: dict[str, tuple[dict[str, Any], str]] = {
    "start-year-1-east-of-utc": ({"startDateTime": "0001-01-01T00:00:00+05:00"}, "startDateTime"),
    "start-year-9999-west-of-utc": (
        {"startDateTime": "9999-12-31T23:00:00-05:00"},
        "startDateTime",
    ),
    "start-before-2000": ({"startDateTime": "1999-12-31T23:59:59Z"}, "startDateTime"),
    "start-after-2100": ({"startDateTime": "2101-01-01T00:00:00Z"}, "startDateTime"),
    "duration-10-to-the-12": ({"duration": 10**12}, "duration"),
    "duration-over-int32": ({"duration": 2**31}, "duration"),
    "duration-over-31-days": ({"duration": 31 * 86400 + 1}, "duration"),
    "tenant-101-characters": ({"tenantId": "t" * 101}, "tenantId"),
    "tenant-nul": ({"tenantId": "contoso\x00"}, "tenantId"),
    "id-nul": ({"id": "bad\x00"}, "id"),
    "id-lone-surrogate": ({"id": "bad\ud800"}, "id"),
    # the ledger keeps 'usage:<id>' as the idempotency key, a String(200): 194 characters fit
    "id-too-long-for-the-ledger-key": ({"id": "i" * 195}, "id"),
    "upn-nul": ({"userPrincipalName": "adele\x00@contoso.com"}, "userPrincipalName"),
    "upn-lone-surrogate": ({"userPrincipalName": "adele\udc00@contoso.com"}, "userPrincipalName"),
    # the UPN is the ledger entry's actor name, a String(200)
    "upn-201-characters": ({"userPrincipalName": "u" * 189 + "@contoso.com"}, "userPrincipalName"),
    "upn-300-characters": ({"userPrincipalName": "u" * 288 + "@contoso.com"}, "userPrincipalName"),
    "upn-400-characters-cut-today": (
        {"userPrincipalName": "u" * 388 + "@contoso.com"},
        "userPrincipalName",
    ),
    "license-capability-101-characters": ({"licenseCapability": "M" * 101}, "licenseCapability"),
    "call-type-101-characters": ({"callType": "c" * 101}, "callType"),
    "call-type-nul": ({"callType": "conf\x00out"}, "callType"),
    "destination-101-characters": ({"destinationContext": "d" * 101}, "destinationContext"),
    "destination-lone-surrogate": ({"destinationContext": "\udfff"}, "destinationContext"),
    "charge-over-ten-billion": ({"charge": "10000000000.01"}, "charge"),
    "currency-nul": ({"currency": "US\x00"}, "currency"),
}


@pytest.mark.parametrize(("changes", "field"), POISON.values(), ids=POISON.keys())
async def test_a_poison_record_is_rejected_and_the_good_one_applied(
    store_client: Client, changes: dict[str, Any], field: str
) -> None:
    status, body = await post(store_client, [call("good", "1.25"), call("bad", "2.00") | changes])
    assert status == 200, body
    good, bad = body["results"]
    assert (good["id"], good["status"]) == ("good", "applied")
    assert bad["status"] == "rejected" and bad["index"] == 1
    assert f"'{field}'" in bad["reason"], bad["reason"]
    assert body["summary"] == {"applied": 1, "duplicate": 0, "conflict": 0, "rejected": 1}
    assert [e.idempotency_key for e in await usage_entries(store_client, T1)] == ["usage:good"]
    assert await consistent(store_client, T1) == -125


# JSON numbers as a caller may write them, in two records of one batch
NUMBERS: dict[str, tuple[str, str]] = {
    "two-charges-of-9e16": ("9e16", "charge"),  # each fits 64 bits in cents; the sum does not
    "exponent-beyond-decimal": ("1e99999999999999999999", "charge"),  # 500 before
    "negative-exponent-beyond-decimal": ("1e-99999999999999999999", "charge"),
    "charge-of-5000-digits": ("9" * 5000, "charge"),  # Python reads ints of 4,300 digits at most
    "duration-of-5000-digits": ("9" * 5000, "duration"),
    "duration-1e400": ("1e400", "duration"),
    "duration-with-a-fraction": ("300.5", "duration"),
}


@pytest.mark.parametrize(("number", "field"), NUMBERS.values(), ids=NUMBERS.keys())
async def test_numbers_beyond_the_ledger_are_rejected_per_record(
    store_client: Client, number: str, field: str
) -> None:
    records = [call("good", "1.25"), call("bad1", "0"), call("bad2", "0")]
    raw = json.dumps(records)
    for n in (1, 2):  # JSON numbers as the caller wrote them, not text
        before = json.dumps(call(f"bad{n}", "0"))[1:-1]
        after = before.replace(
            '"charge": "0"' if field == "charge" else '"duration": 300', f'"{field}": {number}'
        )
        raw = raw.replace(before, after)
    status, body = await post(store_client, raw)
    assert status == 200, body
    assert [r["status"] for r in body["results"]] == ["applied", "rejected", "rejected"]
    assert all(f"'{field}'" in r["reason"] for r in body["results"][1:])
    assert await consistent(store_client, T1) == -125
    assert (await balance(store_client, T1)) == Money(Decimal("-1.25"), USD)


async def age_into_debt(client: Client, tenant: str, minor: int) -> None:
    """The account as years of calls would leave it: `minor` below zero (one usage entry, debt
    to match), so the ledger's floor can be reached in a test."""
    service = client.app[SERVICE]
    await service.account(tenant)
    now = service.clock.now()
    async with service.db.write() as conn:
        row = (await conn.execute(select(accounts).where(accounts.c.tenant_id == tenant))).one()
        await conn.execute(
            insert(ledger_entries).values(
                account_id=row.id,
                seq=row.last_seq + 1,
                kind=EntryKind.USAGE.value,
                amount_minor=-minor,
                balance_after_minor=row.balance_minor - minor,
                actor_id=USAGE.id,
                actor_name=USAGE.name,
                reason="years of calls",
                idempotency_key="usage:history",
                request_hash="0" * 64,
                occurred_at=now,
                created_at=now,
            )
        )
        await conn.execute(
            update(accounts)
            .where(accounts.c.id == row.id)
            .values(debt_minor=row.debt_minor + minor)
        )


async def test_a_charge_below_the_ledgers_floor_is_rejected(store_client: Client) -> None:
    floor = -(2**62)  # far below any real balance, and no sum of such balances overflows 64 bits
    await age_into_debt(store_client, T1, -floor - 150)
    status, body = await post(
        store_client,
        [call("fits", "1.00"), call("over", "1.00"), call("free", "0"), call("last", "0.50")],
    )
    assert status == 200, body
    assert [r["status"] for r in body["results"]] == ["applied", "rejected", "applied", "applied"]
    reason = body["results"][1]["reason"]
    assert "'charge'" in reason and "46,116,860,184,273,879.04" in reason, reason
    assert await consistent(store_client, T1) == floor
    view = await store_client.app[SERVICE].account(T1)  # the views sum the ledger too
    assert view.balance.minor == floor
    assert len(await usage_entries(store_client, T1)) == 3
    # a replay changes nothing, and still says why
    status, body = await post(store_client, [call("fits", "1.00"), call("over", "1.00")])
    assert [r["status"] for r in body["results"]] == ["duplicate", "rejected"]
    assert await consistent(store_client, T1) == floor


async def test_empty_optional_text_is_no_value(store_client: Client) -> None:
    blank: dict[str, Any] = {"userPrincipalName": "", "callType": " ", "destinationContext": None}
    status, body = await post(store_client, [call("blank", "1.00", **blank)])
    assert status == 200 and body["results"][0]["status"] == "applied", body
    (entry,) = await usage_entries(store_client, T1)
    assert entry.actor.name == USAGE.name
    assert entry.reason.startswith("MCOMEETADD, 5 min (blank)")


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
