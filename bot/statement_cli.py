"""`credits-bot statement` and `credits-bot receipt`: a month's statement and a numbered receipt,
as in chat ("statement for November", "receipt 42"), for finance.

    credits-bot statement --tenant T [--month 2026-11]           # the statement as text
    credits-bot statement --tenant T --month 2026-11 --csv [--out FILE]   # CSV, stdout or FILE
    credits-bot statement --tenant T --month 2026-11 --pdf [--out FILE]   # statement-T-2026-11.pdf
    credits-bot receipt --tenant T 42

Without --month, this UTC month (to date). A CSV file (--out) starts with a UTF-8 byte order
mark, so that Excel opens Vietnamese names right; on stdout it is plain UTF-8. A file is written
next to where it goes and moved into place when complete, so a failure leaves no half file. A
month that has no statement (not begun, or before the account was opened), an unknown tenant or
receipt, or a file that cannot be written: one line on stderr, exit 2, nothing written. This
module only adds the commands; `bot/cli.py` runs them with the facade and its refusals.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import re
import sys
import tempfile
from pathlib import Path

from bot.statement_csv import DEJAVU, FONT_ENV, receipt_text, summary_text, write_csv
from credits.errors import ValidationError
from credits.service import CreditsService
from credits.statement_models import Statement, StatementMonth

MONTH_HINT = "a month as YYYY-MM, e.g. 2026-11, from 2000-01 to 2100-12"


def add_statement_commands(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add `statement` and `receipt` to the `credits-bot` command line."""
    p = sub.add_parser(
        "statement",
        help="a tenant's statement for a month: text, CSV or PDF for finance",
        description="A tenant's statement for a UTC calendar month: the opening balance, "
        "purchases, auto-recharges, usage, expiries, adjustments, the closing balance and the "
        "month's numbered receipts. As text; as CSV (a summary block, then a row per ledger "
        "entry with its receipt number) with --csv; as a PDF with --pdf.",
    )
    p.add_argument("--tenant", required=True)
    p.add_argument("--month", help=f"{MONTH_HINT} (default: this month, to date)")
    kind = p.add_mutually_exclusive_group()
    kind.add_argument("--csv", action="store_true", help="write CSV (stdout without --out)")
    kind.add_argument(
        "--pdf", action="store_true", help="write a PDF (default file statement-TENANT-MONTH.pdf)"
    )
    p.add_argument("--out", help="the file to write")
    p.add_argument(
        "--font",
        default=os.environ.get(FONT_ENV),
        help=f"a Unicode TrueType font for the PDF (default: {FONT_ENV}, else {DEJAVU})",
    )
    p.set_defaults(handler=run_statement)
    r = sub.add_parser(
        "receipt",
        help="show one of a tenant's numbered receipts again",
        description="A purchase's or auto-recharge's receipt by its number (1, 2, 3... per "
        "tenant): when, what, how much, who, the payment reference and the balance after.",
    )
    r.add_argument("--tenant", required=True)
    r.add_argument("number", type=int, help="the receipt number, e.g. 42")
    r.set_defaults(handler=run_receipt)


class WriteError(ValidationError):
    """The file could not be written (the message says where and why)."""


def _month(args: argparse.Namespace, service: CreditsService) -> StatementMonth:
    if not args.month:
        return StatementMonth.of(service.clock.now())
    month = StatementMonth.parse(args.month)
    if month is None:
        raise ValidationError(f"'{args.month[:20]}' is not a month; give {MONTH_HINT}.")
    return month


def _default_name(tenant: str, month: StatementMonth) -> str:
    safe = re.sub(r"[^A-Za-z0-9._-]+", "_", tenant).strip("._") or "tenant"
    return f"statement-{safe}-{month.key}.pdf"


def _write_file(path: Path, data: bytes) -> None:
    """Written next to `path` first and moved into place only when complete."""
    try:
        handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    except OSError as error:
        raise WriteError(f"cannot write {path}: {error.strerror or error}") from error
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
        os.replace(temporary, path)
    except OSError as error:
        raise WriteError(f"cannot write {path}: {error.strerror or error}") from error
    finally:
        with contextlib.suppress(FileNotFoundError):  # gone already once moved into place
            os.remove(temporary)


async def _csv(service: CreditsService, statement: Statement, out: str | None) -> int:
    month = statement.month
    lines = service.statement_lines(statement)
    if out is None:
        count = await write_csv(statement, lines, sys.stdout)
        sys.stdout.flush()
    else:
        buffer = io.StringIO(newline="")
        count = await write_csv(statement, lines, buffer)
        # a byte order mark, so that Excel on Windows reads Vietnamese names as UTF-8
        _write_file(Path(out), buffer.getvalue().encode("utf-8-sig"))
    where = f" to {out}" if out else ""
    entries = f"{count:,} {'entry' if count == 1 else 'entries'}"
    print(f"Wrote the statement for {month.key} with {entries}{where}.", file=sys.stderr)
    return 0


async def _pdf(
    service: CreditsService, statement: Statement, out: str | None, font: str | None
) -> int:
    # fpdf2 is loaded only here: every command, `serve` included, builds this command line
    from bot.statement_pdf import chosen_font, entry_rows, render

    month = statement.month
    chosen = chosen_font(font)
    rows = await entry_rows(service.statement_lines(statement))
    data = render(statement, rows, chosen, service.clock.now())
    path = Path(out or _default_name(statement.tenant_id, month))
    _write_file(path, data)
    print(f"Wrote the statement for {month.key} to {path}.", file=sys.stderr)
    return 0


async def run_statement(service: CreditsService, args: argparse.Namespace) -> int:
    """The statement as text, CSV or PDF; refused (exit 2) before anything is written."""
    month = _month(args, service)
    statement = await service.statement(args.tenant, month.year, month.month)
    if args.csv:
        return await _csv(service, statement, args.out)
    if args.pdf:
        return await _pdf(service, statement, args.out, args.font)
    if args.out:
        raise ValidationError("--out goes with --csv or --pdf.")
    print("\n".join(summary_text(statement)))
    return 0


async def run_receipt(service: CreditsService, args: argparse.Namespace) -> int:
    """One receipt; an unknown number is refused with the numbers there are (exit 2)."""
    print("\n".join(receipt_text(await service.receipt(args.tenant, args.number))))
    return 0
