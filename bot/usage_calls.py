"""Synthetic PSTN call records for `credits-bot usage simulate`: realistic chargeable calls
(audio conferencing dial-out, calling plan overage and international, toll-free minutes), shaped
as Microsoft Graph returns them."""

from __future__ import annotations

import math
import random
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any


@dataclass(frozen=True)
class Destination:
    name: str
    code: str  # ISO 3166-1 alpha-2
    prefix: str  # E.164 country code
    international: Decimal  # per minute, USD
    domestic_from: str = "US"


DESTINATIONS = (
    Destination("United Kingdom", "GB", "+44", Decimal("0.052")),
    Destination("Germany", "DE", "+49", Decimal("0.061")),
    Destination("India", "IN", "+91", Decimal("0.118")),
    Destination("Japan", "JP", "+81", Decimal("0.143")),
    Destination("Brazil", "BR", "+55", Decimal("0.196")),
    Destination("Nigeria", "NG", "+234", Decimal("0.341")),
    Destination("Cuba", "CU", "+53", Decimal("1.120")),
)
USERS = (
    ("adele.vance", "Adele Vance"),
    ("alex.wilber", "Alex Wilber"),
    ("diego.siciliani", "Diego Siciliani"),
    ("grady.archie", "Grady Archie"),
    ("isaiah.langer", "Isaiah Langer"),
    ("lynne.robbins", "Lynne Robbins"),
    ("megan.bowen", "Megan Bowen"),
    ("nestor.wilke", "Nestor Wilke"),
)
# (kind, weight): how often each kind of chargeable call happens
KINDS = (("conference", 45), ("calling_plan", 35), ("toll_free", 20))
MIN_SECONDS, MAX_SECONDS = 30, 40 * 60
CENT = Decimal("0.01")


def _duration(rng: random.Random) -> int:
    """Mostly a few minutes, sometimes long: log-normal around 4 minutes, 30 s to 40 min."""
    seconds = int(rng.lognormvariate(math.log(240), 0.9))
    return max(MIN_SECONDS, min(MAX_SECONDS, seconds))


def _number(rng: random.Random, prefix: str) -> str:
    digits = 10 if prefix == "+1" else rng.randint(8, 10)
    return prefix + "".join(str(rng.randint(0, 9)) for _ in range(digits))


def _uuid(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


@dataclass(frozen=True)
class Tariff:
    """What a call of one kind costs a minute and how Graph labels it."""

    rate: Decimal  # per minute, USD, before the carrier's variation
    call_type: str
    capability: str
    number_type: str


def _tariff(kind: str, where: Destination | None, rng: random.Random) -> Tariff:
    if kind == "conference":
        rate = where.international if where else Decimal("0.024")
        return Tariff(rate, "conf_out", "MCOMEETADD", "service")
    if kind == "calling_plan":
        rate = where.international if where else Decimal("0.018")  # overage
        return Tariff(rate, "user_out", "MCOPSTN2" if where else "MCOPSTN1", "user")
    rate = rng.choice((Decimal("0.019"), Decimal("0.023"), Decimal("0.031")))
    return Tariff(rate, "ucap_in", "MCOPSTNPP", "toll_free")


def synthetic_calls(
    tenant: str, count: int, now: datetime, rng: random.Random, currency: str = "USD"
) -> list[dict[str, Any]]:
    """`count` chargeable PSTN call records that ended at `now`, shaped as Graph returns them:
    audio conferencing dial-out, calling plan overage and international calls, toll-free minutes;
    per-minute rates by kind and destination, billed per started minute; charges as text."""
    if now.tzinfo is None:
        now = now.replace(tzinfo=UTC)
    return [_synthetic_call(tenant, now, rng, currency) for _ in range(count)]


def _synthetic_call(
    tenant: str, now: datetime, rng: random.Random, currency: str
) -> dict[str, Any]:
    kind = rng.choices([k for k, _ in KINDS], weights=[w for _, w in KINDS])[0]
    duration = _duration(rng)
    login, display = rng.choice(USERS)
    international = rng.random() < (0.35 if kind != "toll_free" else 0.0)
    where = rng.choice(DESTINATIONS) if international else None
    tariff = _tariff(kind, where, rng)
    variation = Decimal(rng.choice((90, 95, 100, 100, 105, 110))) / 100  # carriers vary
    rate = tariff.rate * variation
    minutes = (duration + 59) // 60
    charge = (rate * minutes).quantize(CENT, rounding=ROUND_HALF_UP)
    charge = max(charge, CENT)
    start = now - timedelta(seconds=duration)
    outside = kind == "toll_free"
    callee = _number(rng, where.prefix if where else "+1")
    caller = _number(rng, "+1")
    return {
        "id": _uuid(rng),
        "callId": _uuid(rng),
        "tenantId": tenant,
        "userId": None if kind == "toll_free" else _uuid(rng),
        "userPrincipalName": None if outside else f"{login}@contoso.com",
        "userDisplayName": "Main line (toll-free)" if outside else display,
        "startDateTime": start.isoformat().replace("+00:00", "Z"),
        "endDateTime": now.isoformat().replace("+00:00", "Z"),
        "duration": duration,
        "charge": str(charge),
        "currency": currency,
        "callType": tariff.call_type,
        "calleeNumber": "+18005550100" if outside else callee,
        "callerNumber": callee if outside else caller,
        "usageCountryCode": "US",
        "destinationContext": "International" if where else "Domestic",
        "destinationName": where.name if where else "United States",
        "conferenceId": _uuid(rng)[:8] if kind == "conference" else None,
        "licenseCapability": tariff.capability,
        "inventoryType": tariff.number_type,
    }
