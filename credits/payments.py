"""Payments: the gateway protocol, the sandbox gateway, and selection by configuration."""

from __future__ import annotations

import asyncio
import fcntl
import importlib
import json
import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Protocol, runtime_checkable

from credits.money import Money
from credits.shown import SANDBOX_DECLINED

if TYPE_CHECKING:
    from credits.config import CreditsConfig


@dataclass(frozen=True, slots=True)
class ChargeRequest:
    tenant_id: str
    account_id: int
    amount: Money
    idempotency_key: str
    description: str


@dataclass(frozen=True, slots=True)
class ChargeResult:
    approved: bool
    reference: str | None = None  # the gateway's id for the charge
    reason: str | None = None  # why it was declined

    @classmethod
    def approve(cls, reference: str) -> ChargeResult:
        return cls(approved=True, reference=reference)

    @classmethod
    def decline(cls, reason: str) -> ChargeResult:
        return cls(approved=False, reason=reason)


@runtime_checkable
class PaymentGateway(Protocol):
    """Charges a tenant's payment method. Must be idempotent by `idempotency_key`: the same key
    charges at most once and answers the first result again. It may raise (or hang): the caller
    times it out and retries later with the same key."""

    async def charge(self, request: ChargeRequest) -> ChargeResult: ...


class SandboxGateway:
    """Approves everything, except tenants configured to decline or to hang. Idempotent by key;
    with a journal file the memory of keys is shared by processes and survives restarts."""

    def __init__(
        self,
        *,
        decline_tenants: frozenset[str] = frozenset(),
        hang_tenants: frozenset[str] = frozenset(),
        journal: Path | None = None,
    ) -> None:
        self.decline_tenants = decline_tenants
        self.hang_tenants = hang_tenants
        self.journal = journal
        self._results: dict[str, ChargeResult] = {}
        self.calls: list[ChargeRequest] = []  # every call, for tests and demos

    async def charge(self, request: ChargeRequest) -> ChargeResult:
        self.calls.append(request)
        if request.tenant_id in self.hang_tenants:
            await asyncio.Event().wait()  # never answers; the caller's timeout fires
        known = self._results.get(request.idempotency_key)
        if known is not None:
            return known
        with self._journal_lock():  # read and append as one step across processes
            known = self._read_journal(request)
            if known is None:
                known = self._decide(request)
                self._append_journal(request, known)
        self._results[request.idempotency_key] = known
        return known

    def _decide(self, request: ChargeRequest) -> ChargeResult:
        if request.tenant_id in self.decline_tenants:
            return ChargeResult.decline(SANDBOX_DECLINED)
        return ChargeResult.approve(f"sandbox-{uuid.uuid4().hex[:12]}-{os.getpid()}")

    @contextmanager
    def _journal_lock(self) -> Iterator[None]:
        if self.journal is None:
            yield
            return
        self.journal.parent.mkdir(parents=True, exist_ok=True)
        with self.journal.with_suffix(self.journal.suffix + ".lock").open("a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)

    def _read_journal(self, request: ChargeRequest) -> ChargeResult | None:
        if self.journal is None or not self.journal.exists():
            return None
        for line in self.journal.read_text().splitlines():
            row = json.loads(line)
            if row["key"] == request.idempotency_key:
                return ChargeResult(row["approved"], row.get("reference"), row.get("reason"))
        return None

    def _append_journal(self, request: ChargeRequest, result: ChargeResult) -> None:
        if self.journal is None:
            return
        row = {
            "key": request.idempotency_key,
            "tenant": request.tenant_id,
            "amount_minor": request.amount.minor,
            "currency": request.amount.currency.code,
            "approved": result.approved,
            "reference": result.reference,
            "reason": result.reason,
            "pid": os.getpid(),
        }
        with self.journal.open("a") as handle:
            handle.write(json.dumps(row) + "\n")


def gateway_from_config(config: CreditsConfig) -> PaymentGateway:
    """`sandbox`, or `package.module:ClassName` whose no-argument constructor builds a gateway."""
    if config.payment_gateway == "sandbox":
        return SandboxGateway(
            decline_tenants=frozenset(config.sandbox_decline_tenants),
            hang_tenants=frozenset(config.sandbox_hang_tenants),
            journal=config.sandbox_journal,
        )
    module_name, _, class_name = config.payment_gateway.partition(":")
    if not class_name:
        raise ValueError("CREDITS_PAYMENT_GATEWAY must be 'sandbox' or 'package.module:ClassName'")
    gateway = getattr(importlib.import_module(module_name), class_name)()
    if not isinstance(gateway, PaymentGateway):
        raise TypeError(f"{config.payment_gateway} has no async charge(request) method")
    return gateway
