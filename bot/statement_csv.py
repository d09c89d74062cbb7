"""A month's statement as finance reads it: the CSV (a summary block, a blank row, then one row
per ledger entry of the month with its receipt number where it has one) and the plain text
`credits-bot statement` prints. English, as the whole command line is.

CSV cells that a spreadsheet would run as a formula get a leading apostrophe (bot/usage_report.py
`safe_cell`). Amounts are plain ("1000.50", "-3.20"), times ISO 8601 UTC ("2026-11-02T14:05:00Z").
"""

from __future__ import annotations

import csv
from collections.abc import AsyncIterator
from datetime import datetime
from pathlib import Path
from typing import TextIO

from bot.usage_report import safe_cell
from credits import shown
from credits.i18n import fmt_date, fmt_datetime
from credits.models import EntryKind, PaymentKind
from credits.statement import month_label
from credits.statement_models import Receipt, Statement, StatementLine, StatementMonth

# the PDF's font, here so that the command line can name it without loading fpdf2 (about 20 MB
# of modules, fontTools and Pillow with it) in every process, `credits-bot serve` included
DEJAVU = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")
FONT_ENV = "CREDITS_PDF_FONT"

SUMMARY_HEADER = ("summary", "value", "count")
ENTRY_HEADER = (
    "seq",
    "recorded_utc",
    "occurred_utc",
    "kind",
    "amount",
    "balance_after",
    "receipt_no",
    "payment_reference",
    "actor_id",
    "actor_name",
    "reason",
)
SUMMARY_NAMES: dict[EntryKind, str] = {
    EntryKind.FUNDING: "purchases",
    EntryKind.AUTO_RECHARGE: "auto_recharges",
    EntryKind.USAGE: "usage",
    EntryKind.EXPIRY: "expiries",
    EntryKind.ADJUSTMENT: "adjustments",
}
KIND_WORDS: dict[EntryKind, str] = {
    EntryKind.FUNDING: "Purchases",
    EntryKind.AUTO_RECHARGE: "Auto-recharges",
    EntryKind.USAGE: "Usage",
    EntryKind.EXPIRY: "Expired",
    EntryKind.ADJUSTMENT: "Adjustments",
}

RECEIPT_KINDS: dict[PaymentKind, str] = {
    PaymentKind.PURCHASE: "Purchase",
    PaymentKind.AUTO_RECHARGE: "Auto-recharge",
}


def iso(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


def summary_rows(statement: Statement) -> list[list[str]]:
    """The summary block, its header first."""
    month = statement.month
    rows = [
        list(SUMMARY_HEADER),
        ["tenant", safe_cell(statement.tenant_id), ""],
        ["month", month.key, ""],
        ["currency", statement.currency.code, ""],
        ["period_start_utc", iso(month.start), ""],
        ["period_end_utc", iso(month.end), ""],
        ["status", "complete" if statement.complete else f"to date, {iso(statement.as_of)}", ""],
        ["opening_balance", statement.opening.plain(), ""],
    ]
    for total in statement.totals:
        rows.append([SUMMARY_NAMES[total.kind], total.total.plain(), str(total.count)])
    rows.append(["closing_balance", statement.closing.plain(), ""])
    rows.append(["receipts", "", str(len(statement.receipts))])
    return rows


def entry_cells(line: StatementLine) -> list[str]:
    entry = line.entry
    reason = shown.reason(entry.reason, entry.amount.currency) or ""
    return [
        str(entry.seq),
        iso(entry.created_at),
        iso(entry.occurred_at),
        entry.kind.value,
        entry.amount.plain(),
        entry.balance_after.plain(),
        str(line.receipt_no) if line.receipt_no is not None else "",
        safe_cell(line.reference),
        safe_cell(entry.actor.id),
        safe_cell(shown.actor_name(entry.actor.id, entry.actor.name)),
        safe_cell(reason),
    ]


async def write_csv(statement: Statement, lines: AsyncIterator[StatementLine], out: TextIO) -> int:
    """The summary block, a blank row, the entries' header and a row per entry; how many."""
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerows(summary_rows(statement))
    writer.writerow([])
    writer.writerow(ENTRY_HEADER)
    count = 0
    async for line in lines:
        writer.writerow(entry_cells(line))
        count += 1
    return count


def receipt_line(receipt: Receipt) -> str:
    kind = RECEIPT_KINDS[receipt.kind]
    return (
        f"  No. {receipt.number:<6} {fmt_datetime(receipt.at):<22} {kind:<14} "
        f"{receipt.amount.format():>14}  {shown.actor_name(receipt.actor.id, receipt.actor.name)}"
    )


def summary_text(statement: Statement) -> list[str]:
    """The statement as `credits-bot statement` prints it without --csv or --pdf."""
    month = statement.month
    state = "complete" if statement.complete else f"to date, {fmt_datetime(statement.as_of)}"
    lines = [
        f"Statement for {month_label(month)}: tenant {statement.tenant_id}, "
        f"{statement.currency.code} ({state})",
        f"  {'Opening balance, ' + fmt_date(month.start):<34} {statement.opening.format():>16}",
    ]
    for total in statement.totals:
        label = f"{KIND_WORDS[total.kind]} ({total.count:,})"
        amount = total.total.format()
        lines.append(f"  {label:<34} {('+' if total.total.is_positive else '') + amount:>16}")
    closing = "Closing balance" if statement.complete else "Balance now"
    lines.append(f"  {closing:<34} {statement.closing.format():>16}")
    if statement.receipts:
        lines.append(f"Receipts ({len(statement.receipts):,}):")
        lines.extend(receipt_line(receipt) for receipt in statement.receipts)
    else:
        lines.append("No receipts this month.")
    return lines


def receipt_text(receipt: Receipt) -> list[str]:
    """A receipt as `credits-bot receipt` prints it."""
    kind = RECEIPT_KINDS[receipt.kind]
    who = shown.actor_name(receipt.actor.id, receipt.actor.name)
    return [
        f"Receipt {receipt.number}",
        f"Tenant         {receipt.tenant_id}",
        f"Date and time  {fmt_datetime(receipt.at)}",
        f"Kind           {kind}",
        f"Amount         {receipt.amount.format()}",
        f"By             {who} ({receipt.actor.id})",
        f"Reference      {receipt.reference or 'none given'}",
        f"Balance after  {receipt.balance_after.format()}",
        f"Statement      {month_label(StatementMonth.of(receipt.at))}",
    ]
