"""A month's statement as a PDF for finance, made with fpdf2: the summary, the receipts, and the
month's entries (a run of calls on one day folded into one line, so a busy month stays a few
pages; the CSV has every call). English, as the whole command line is.

Names may be Vietnamese ("Nguyễn Văn An"), so the text is set in a Unicode TrueType font: the
one `font` names (`--font`, else CREDITS_PDF_FONT), else DejaVu Sans where Debian's
fonts-dejavu-core puts it. With none of them, the core Helvetica is used and the text is
transliterated ("Nguyen Van An"), with a one-line warning: never a failure.
"""

from __future__ import annotations

import sys
import unicodedata
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from fpdf import FPDF
from fpdf.enums import XPos, YPos

from bot.statement_csv import KIND_WORDS, RECEIPT_KINDS
from credits import shown
from credits.i18n import fmt_date, fmt_datetime
from credits.models import EntryKind
from credits.money import Money
from credits.statement import month_label
from credits.statement_models import Statement, StatementLine

DEJAVU = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")
FONT_ENV = "CREDITS_PDF_FONT"
FAMILY = "StatementSans"
_LATIN = {
    "đ": "d",
    "Đ": "D",
    "₫": "VND",
    "€": "EUR",
    "\u2013": "-",
    "\u2014": "-",
    "\u2026": "...",
    "\u2192": "->",
}


ENTRY_WORDS: dict[EntryKind, str] = {
    EntryKind.FUNDING: "Purchase",
    EntryKind.AUTO_RECHARGE: "Auto-recharge",
    EntryKind.USAGE: "Usage",
    EntryKind.EXPIRY: "Expired",
    EntryKind.ADJUSTMENT: "Adjustment",
}


@dataclass(frozen=True, slots=True)
class Row:
    """One line of the entries table."""

    when: str
    what: str
    amount: str
    balance: str
    receipt: str


def transliterate(text: str) -> str:
    """`text` in Latin-1 (what the core Helvetica can set): diacritics dropped, a few symbols
    spelled out, anything else as "?"."""
    spelled = "".join(_LATIN.get(c, c) for c in text)
    plain = "".join(
        c for c in unicodedata.normalize("NFKD", spelled) if not unicodedata.combining(c)
    )
    return plain.encode("latin-1", "replace").decode("latin-1")


class StatementPdf(FPDF):
    """An A4 page with the statement's fonts; `say` is the text as this font can set it."""

    def __init__(self, font: Path | None) -> None:
        super().__init__(orientation="P", unit="mm", format="A4")
        self.set_auto_page_break(auto=True, margin=15)
        self.say: Callable[[str], str] = transliterate
        self.text_family = "Helvetica"
        if font is not None:
            bold = font.with_name(font.stem + "-Bold" + font.suffix)
            self.add_font(FAMILY, "", str(font))
            self.add_font(FAMILY, "B", str(bold if bold.is_file() else font))
            self.text_family, self.say = FAMILY, str

    def write_cell(
        self, width: float, text: str, *, bold: bool = False, align: str = "L", end: bool = False
    ) -> None:
        self.set_font(self.text_family, "B" if bold else "", 9)
        shown_text = self.fit(self.say(text), width - 2)
        self.cell(
            width,
            5.5,
            shown_text,
            align=align,
            new_x=XPos.LMARGIN if end else XPos.RIGHT,
            new_y=YPos.NEXT if end else YPos.TOP,
        )

    def fit(self, text: str, width: float) -> str:
        """`text` cut (with "...") to fit `width` millimetres."""
        if self.get_string_width(text) <= width:
            return text
        while text and self.get_string_width(text + "...") > width:
            text = text[:-1]
        return text + "..."

    def title_line(self, text: str, size: int = 14) -> None:
        self.set_font(self.text_family, "B", size)
        self.cell(0, 8, self.say(text), new_x=XPos.LMARGIN, new_y=YPos.NEXT)

    def note(self, text: str) -> None:
        self.set_font(self.text_family, "", 9)
        self.multi_cell(0, 5, self.say(text), new_x=XPos.LMARGIN, new_y=YPos.NEXT)


def chosen_font(given: str | None) -> Path | None:
    """The Unicode font to use: `given` (the option or CREDITS_PDF_FONT), else DejaVu Sans;
    None when that file is not there, after a one-line warning on stderr."""
    path = Path(given).expanduser() if given else DEJAVU
    if path.is_file():
        return path
    print(
        f"credits-bot: warning: no Unicode font at {path}; the PDF uses Helvetica and writes "
        f"names without their accents (set {FONT_ENV} or --font to a .ttf file).",
        file=sys.stderr,
    )
    return None


def _signed(money: Money) -> str:
    return f"+{money.format()}" if money.is_positive else money.format()


def _summary(pdf: StatementPdf, statement: Statement) -> None:
    month = statement.month
    rows = [(f"Opening balance, {fmt_date(month.start)}", statement.opening.format())]
    for total in statement.totals:
        rows.append((f"{KIND_WORDS[total.kind]} ({total.count:,})", _signed(total.total)))
    if statement.complete:
        last_day = fmt_date(month.end - timedelta(days=1))
        rows.append((f"Closing balance, {last_day}", statement.closing.format()))
    else:
        rows.append((f"Balance now ({fmt_datetime(statement.as_of)})", statement.closing.format()))
    for index, (label, value) in enumerate(rows):
        edge = index in (0, len(rows) - 1)
        pdf.write_cell(90, label, bold=edge)
        pdf.write_cell(40, value, bold=edge, align="R", end=True)


def _receipts(pdf: StatementPdf, statement: Statement) -> None:
    pdf.ln(3)
    pdf.title_line(f"Receipts ({len(statement.receipts):,})", 11)
    if not statement.receipts:
        pdf.note("No purchases or auto-recharges this month, so no receipts.")
        return
    widths = (12, 40, 24, 24, 36, 54)
    for width, head in zip(
        widths, ("No.", "Date (UTC)", "Kind", "Amount", "By", "Payment reference"), strict=True
    ):
        pdf.write_cell(width, head, bold=True, align="R" if head == "Amount" else "L")
    pdf.ln(5.5)
    for receipt in statement.receipts:
        who = shown.actor_name(receipt.actor.id, receipt.actor.name)
        cells = (
            str(receipt.number),
            fmt_datetime(receipt.at),
            RECEIPT_KINDS[receipt.kind],
            receipt.amount.format(),
            who,
            receipt.reference or "",
        )
        for index, (width, value) in enumerate(zip(widths, cells, strict=True)):
            pdf.write_cell(width, value, align="R" if index == 3 else "L", end=index == 5)


async def entry_rows(lines: AsyncIterator[StatementLine]) -> list[Row]:
    """The month's entries as table rows; a run of calls on one UTC day is one row."""
    rows: list[Row] = []
    calls: list[StatementLine] = []

    def fold() -> None:
        if not calls:
            return
        total = sum((c.entry.amount.minor for c in calls), 0)
        cur = calls[0].entry.amount.currency
        what = f"Usage, {len(calls):,} call{'s' if len(calls) != 1 else ''}"
        day = fmt_date(calls[0].entry.created_at)
        amount = _signed(Money.from_minor(total, cur))
        rows.append(Row(day, what, amount, calls[-1].entry.balance_after.format(), ""))
        calls.clear()

    async for line in lines:
        entry = line.entry
        if entry.kind is EntryKind.USAGE:
            if calls and calls[0].entry.created_at.date() != entry.created_at.date():
                fold()
            calls.append(line)
            continue
        fold()
        label = ENTRY_WORDS[entry.kind]
        reason = shown.reason(entry.reason, entry.amount.currency) or ""
        who = shown.actor_name(entry.actor.id, entry.actor.name)
        parts = (label, who if who != label else "", reason if reason != label else "")
        what = " · ".join(part for part in parts if part)
        receipt = str(line.receipt_no) if line.receipt_no is not None else ""
        rows.append(
            Row(
                fmt_datetime(entry.created_at),
                what,
                _signed(entry.amount),
                entry.balance_after.format(),
                receipt,
            )
        )
    fold()
    return rows


def _entries(pdf: StatementPdf, rows: list[Row]) -> None:
    pdf.ln(3)
    pdf.title_line("Entries", 11)
    if not rows:
        pdf.note("No entries this month.")
        return
    widths = (38, 84, 24, 24, 20)
    heads = ("Recorded (UTC)", "What", "Amount", "Balance", "Receipt")
    for width, head in zip(widths, heads, strict=True):
        pdf.write_cell(width, head, bold=True, align="R" if head in heads[2:4] else "L")
    pdf.ln(5.5)
    for row in rows:
        cells = (row.when, row.what, row.amount, row.balance, row.receipt)
        for index, (width, value) in enumerate(zip(widths, cells, strict=True)):
            pdf.write_cell(width, value, align="R" if index in (2, 3) else "L", end=index == 4)


def render(statement: Statement, rows: list[Row], font: Path | None, made_at: datetime) -> bytes:
    """The statement's PDF."""
    pdf = StatementPdf(font)
    label = month_label(statement.month)
    pdf.set_title(f"Communications Credits statement, {label}")
    pdf.set_author("credits-bot")
    pdf.set_creator("credits-bot")
    pdf.set_creation_date(made_at)
    pdf.add_page()
    pdf.title_line(f"Communications Credits statement: {label}")
    pdf.note(
        f"Tenant {statement.tenant_id} · currency {statement.currency.code} · UTC calendar month"
        + ("" if statement.complete else f" · to date, {fmt_datetime(statement.as_of)}")
    )
    pdf.ln(2)
    _summary(pdf, statement)
    _receipts(pdf, statement)
    _entries(pdf, rows)
    pdf.ln(3)
    pdf.note(
        "Entries are counted in the month they were recorded. Opening balance plus the month's "
        f"entries ({_signed(statement.net)}) is the closing balance. Made {fmt_datetime(made_at)}."
    )
    return bytes(pdf.output())
