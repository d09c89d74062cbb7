"""The history in chat: "history" (money and settings together), "history settings" / "audit"
(settings changes only), "transactions" (money only), and the history card's buttons (older
pages, other scopes)."""

from __future__ import annotations

from typing import Any

from cards.account import history_card
from credits.audit_models import HistoryCursor
from credits.models import HistoryScope
from credits.service import CreditsService
from dialogs.card_data import HistoryPress

PAGE = 10
"""Rows on one page of the history card."""


def paging(press: HistoryPress) -> tuple[HistoryScope, HistoryCursor | None]:
    """What a press of a history button asks for. A press with no scope is "all", unless it is
    an Older button from before there were scopes (``before`` alone): that one paged the ledger."""
    if press.scope is not None:
        scope = HistoryScope(press.scope)
    else:
        scope = HistoryScope.MONEY if press.before is not None else HistoryScope.ALL
    if press.before is None and press.before_change is None:
        return scope, None
    return scope, HistoryCursor(press.before, press.before_change)


async def history(
    service: CreditsService,
    tenant_id: str,
    scope: HistoryScope = HistoryScope.ALL,
    cursor: HistoryCursor | None = None,
) -> dict[str, Any]:
    """The history card of ``scope`` from ``cursor`` (None: the newest rows)."""
    page = await service.activity(tenant_id, scope=scope, limit=PAGE, cursor=cursor)
    return history_card(page, await service.account(tenant_id))
