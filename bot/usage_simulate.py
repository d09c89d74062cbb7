"""`credits-bot usage simulate`: synthetic calls (`bot.usage_calls`) posted to a running bot's
`/api/usage`, evenly spread, so a demo shows the balance fall, auto-recharge fire and the alerts
arrive."""

from __future__ import annotations

import argparse
import asyncio
import math
import os
import random
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import IO, Any

from bot.usage_calls import synthetic_calls
from credits.models import UsageStatus
from credits.usage import load_json, summary_line

DEFAULT_URL = "http://127.0.0.1:3978/api/usage"


class SimulateError(Exception):
    pass


@dataclass
class Totals:
    posted: int = 0
    charged: Decimal = Decimal(0)
    counts: Counter[str] = field(default_factory=Counter)


@dataclass
class _Poster:
    """Posts batches of synthetic calls for one tenant and adds their outcomes to `totals`."""

    session: Any  # aiohttp.ClientSession
    url: str
    headers: dict[str, str]
    tenant: str
    currency: str
    rng: random.Random
    out: IO[str]
    totals: Totals

    async def batch(self, count: int) -> None:
        """Post `count` calls and print the batch's summary."""
        calls = synthetic_calls(self.tenant, count, datetime.now(UTC), self.rng, self.currency)
        body = await _post(self.session, self.url, self.headers, calls)
        summary = body.get("summary", {})
        charged = sum(
            (
                Decimal(call["charge"])
                for call, result in zip(calls, body.get("results", []), strict=False)
                if result.get("status") == UsageStatus.APPLIED.value
            ),
            Decimal(0),
        )
        self.totals.posted += count
        self.totals.charged += charged
        self.totals.counts.update({s.value: int(summary.get(s.value, 0)) for s in UsageStatus})
        stamp = datetime.now().strftime("%H:%M:%S")
        print(
            f"{stamp}  {count} call{'s' if count != 1 else ''} "
            f"({charged} {self.currency}): {summary_line(summary)}",
            file=self.out,
            flush=True,
        )


async def simulate(
    url: str,
    token: str,
    tenant: str,
    per_minute: float,
    minutes: float,
    *,
    currency: str = "USD",
    rng: random.Random | None = None,
    out: IO[str] | None = None,
    totals: Totals | None = None,
) -> Totals:
    """Post `per_minute` calls a minute, spread evenly (at most a batch a second), for
    `minutes`; prints each batch's summary. Raises SimulateError when the server refuses."""
    import aiohttp

    rng = rng or random.Random()
    out = out or sys.stdout
    totals = totals if totals is not None else Totals()
    target = max(1, round(per_minute * minutes))
    period = max(60.0 / per_minute, 1.0)
    headers = {"Authorization": f"Bearer {token}"}
    began = time.monotonic()
    timeout = aiohttp.ClientTimeout(total=60)
    async with aiohttp.ClientSession(timeout=timeout) as session:
        poster = _Poster(session, url, headers, tenant, currency, rng, out, totals)
        tick = 0
        while totals.posted < target:
            elapsed = time.monotonic() - began
            due = min(target, max(1, math.floor(per_minute * elapsed / 60)))
            count = due - totals.posted
            if count > 0:
                await poster.batch(count)
            if totals.posted >= target:
                break
            tick += 1
            await asyncio.sleep(max(0.0, began + tick * period - time.monotonic()))
    return totals


async def _post(
    session: Any, url: str, headers: dict[str, str], calls: list[dict[str, Any]]
) -> dict[str, Any]:
    import aiohttp

    try:
        async with session.post(url, json=calls, headers=headers) as response:
            status = response.status
            text = await response.text()
    except aiohttp.ClientError as error:
        raise SimulateError(
            f"cannot reach {url} ({error}); is the bot running (credits-bot serve)?"
        ) from error
    if status == 401:
        raise SimulateError(f"{url} refused the token: use the bot's CREDITS_USAGE_TOKEN.")
    if status == 404:
        raise SimulateError(
            f"{url} answered 404: the usage API is off there; start the bot with "
            "CREDITS_USAGE_TOKEN set."
        )
    if status != 200:
        raise SimulateError(f"{url} answered {status}: {text[:300]}")
    try:
        body = load_json(text)
    except ValueError as error:
        raise SimulateError(f"{url} answered with something that is not JSON") from error
    if not isinstance(body, dict):
        raise SimulateError(f"{url} answered with an unexpected body")
    return body


def run_simulate(args: argparse.Namespace) -> int:
    """The `usage simulate` command: 0 when done (or stopped), 1 when refused, 2 when misused."""
    token = args.token or os.environ.get("CREDITS_USAGE_TOKEN", "")
    if not token:
        from bot.settings import Settings

        token = Settings().usage_token  # also reads a .env file
    if not token:
        print(
            "credits-bot: no usage token. Choose a secret, start the bot with it "
            "(CREDITS_USAGE_TOKEN=<secret> credits-bot serve) and run this command with the "
            "same CREDITS_USAGE_TOKEN in its environment (or --token <secret>).",
            file=sys.stderr,
        )
        return 2
    if args.per_minute <= 0 or args.minutes <= 0:
        print("credits-bot: --per-minute and --minutes must be more than 0.", file=sys.stderr)
        return 2
    totals = Totals()
    try:
        asyncio.run(
            simulate(
                args.url,
                token,
                args.tenant,
                args.per_minute,
                args.minutes,
                currency=args.currency,
                totals=totals,
            )
        )
    except SimulateError as error:
        print(f"credits-bot: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("stopped.")
    line = summary_line(totals.counts)
    print(f"Posted {totals.posted} calls for {args.tenant}: {line}; charged {totals.charged}.")
    return 0
