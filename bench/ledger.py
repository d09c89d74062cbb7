"""Ledger throughput on SQLite and PostgreSQL. Prints figures and ratios; asserts nothing.

.venv/bin/python bench/ledger.py [--records 5000] [--ops 200] [--postgres URL]
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
import uuid
from decimal import Decimal
from pathlib import Path
from typing import Any

from credits.config import CreditsConfig
from credits.models import Actor
from credits.service import CreditsService

ADA = Actor("bench", "Bench")


def calls(tenant: str, n: int, prefix: str) -> list[dict[str, Any]]:
    return [
        {
            "id": f"{prefix}-{i}",
            "tenantId": tenant,
            "startDateTime": "2026-01-01T00:00:00Z",
            "duration": 60,
            "charge": Decimal("0.25"),
            "currency": "USD",
        }
        for i in range(n)
    ]


async def run(label: str, config: CreditsConfig, records: int, ops: int) -> None:
    service = await CreditsService.open(config)
    tenant = f"bench-{uuid.uuid4().hex[:8]}"
    try:
        await service.adjust(tenant, "100000", ADA, "bench float", "seed")
        start = time.perf_counter()
        await service.ingest_usage(calls(tenant, records, "batch"))
        batch = time.perf_counter() - start
        start = time.perf_counter()
        for i in range(ops // 2):
            await service.ingest_usage(calls(tenant, 1, f"seq{i}"))
        sequential = (ops // 2) / (time.perf_counter() - start)
        start = time.perf_counter()
        await asyncio.gather(
            *(service.ingest_usage(calls(tenant, 1, f"con{i}")) for i in range(ops))
        )
        concurrent = ops / (time.perf_counter() - start)
        start = time.perf_counter()
        for i in range(ops // 4):
            await service.add_funds(tenant, "10", ADA, f"fund{i}")
        funding = (ops // 4) / (time.perf_counter() - start)
        start = time.perf_counter()
        for _ in range(ops // 2):
            await service.account(tenant)
        views = (ops // 2) / (time.perf_counter() - start)
        totals = await service.verify(tenant)
        assert len(set(totals.values())) == 1, totals
        print(
            f"{label:<10} batch of {records}: {batch:6.2f} s ({records / batch:8.0f} records/s) | "
            f"single-record ingests: {sequential:6.0f}/s sequential, {concurrent:6.0f}/s with "
            f"{ops} concurrent (x{concurrent / sequential:.2f}) | add_funds {funding:5.0f}/s | "
            f"account view {views:5.0f}/s"
        )
    finally:
        await service.close()


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--records", type=int, default=5000)
    parser.add_argument("--ops", type=int, default=200)
    parser.add_argument("--postgres", default="postgresql://postgres@127.0.0.1:5432/test")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{Path(folder) / 'bench.db'}"
        await run("sqlite", CreditsConfig(database_url=url), args.records, args.ops)
    if args.postgres:
        try:
            await run("postgres", CreditsConfig(database_url=args.postgres), args.records, args.ops)
        except OSError as error:
            print(f"postgres   skipped: {error}")


if __name__ == "__main__":
    asyncio.run(main())
