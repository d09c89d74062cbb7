"""A month's statement as a PDF for finance, made with fpdf2: the summary, the receipts, and the
month's entries (a run of calls on one day folded into one line, so a busy month stays a few
pages; the CSV has every call). English, as the whole command line is.

Names may be Vietnamese ("Nguyễn Văn An"), so the text is set in a Unicode TrueType font: the
one `font` names (`--font`, else CREDITS_PDF_FONT), else DejaVu Sans where Debian's
fonts-dejavu-core puts it. When that file is missing, or is not a font fpdf2 can read, the core
Helvetica is used and the text is transliterated ("Nguyen Van An"), with a one-line warning:
never a failure.

Tables (fpdf2's `table()`) wrap long text within their columns rather than cut it, and repeat
their head row at the top of each page they run onto; every page after the first is headed with
the statement's name, and every page ends with "Page X of Y".
"""

from __future__ import annotations

import sys
import unicodedata
from collections.abc import AsyncIterator, Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from fontTools.ttLib import TTFont  # type: ignore[import-untyped]
from fpdf import FPDF
from fpdf.enums import XPos, YPos

from bot.statement_csv import DEJAVU, FONT_ENV, KIND_WORDS, RECEIPT_KINDS
from credits import shown
from credits.i18n import fmt_date, fmt_datetime
from credits.models import Entry, EntryKind
from credits.money import Money
from credits.statement import month_label
from credits.statement_models import Statement, StatementLine

FONT_SUFFIXES = (".ttf", ".otf", ".ttc")
FONT_TABLES = ("head", "hhea", "hmtx", "maxp", "cmap", "post")  # fpdf2 reads these
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
class Column:
    """A table column: its head, its width in millimetres and how its text is aligned."""

    head: str
    width: float
    align: str = "LEFT"


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
    """An A4 statement: `say` is the text as its font can set it; from the second page on, a
    line naming the statement heads each page, and every page ends with "Page X of Y"."""

    def __init__(self, font: Path | None, caption: str) -> None:
        super().__init__(orientation="P", unit="mm", format="A4")
        self.set_margins(15, 15, 15)
        self.set_auto_page_break(auto=True, margin=18)
        self.say: Callable[[str], str] = transliterate
        self.text_family = "Helvetica"
        self.caption = caption
        if font is not None:
            self.add_font(FAMILY, "", str(font))
            self.add_font(FAMILY, "B", str(_bold(font)))
            self.text_family, self.say = FAMILY, str

    def header(self) -> None:
        if self.page_no() == 1:
            return
        self.set_font(self.text_family, "", 8)
        self.set_text_color(90)
        self.cell(0, 5, self.say(self.caption), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.set_text_color(0)
        self.ln(2)

    def footer(self) -> None:
        self.set_y(-13)
        self.set_font(self.text_family, "", 8)
        self.set_text_color(90)
        self.cell(0, 5, f"Page {self.page_no()} of {{nb}}", align="R")
        self.set_text_color(0)

    def write_cell(
        self, width: float, text: str, *, bold: bool = False, align: str = "L", end: bool = False
    ) -> None:
        self.set_font(self.text_family, "B" if bold else "", 9)
        self.cell(
            width,
            5.5,
            self.say(text),
            align=align,
            new_x=XPos.LMARGIN if end else XPos.RIGHT,
            new_y=YPos.NEXT if end else YPos.TOP,
        )

    def title_line(self, text: str, size: int = 14) -> None:
        self.set_font(self.text_family, "B", size)
        self.cell(0, 8, self.say(text), new_x=XPos.LMARGIN, new_y=YPos.NEXT)

    def note(self, text: str) -> None:
        self.set_font(self.text_family, "", 9)
        self.multi_cell(0, 5, self.say(text), new_x=XPos.LMARGIN, new_y=YPos.NEXT)

    def grid(self, columns: Sequence[Column], rows: Iterable[Sequence[str]]) -> None:
        """A table the width of the page: text wraps within its column (never cut), numbers are
        right-aligned, and the head row is repeated at the top of each page it runs onto."""
        self.set_font(self.text_family, "", 8)
        self.set_draw_color(200)
        with self.table(
            col_widths=tuple(column.width for column in columns),
            width=self.epw,
            text_align=tuple(column.align for column in columns),
            borders_layout="HORIZONTAL_LINES",
            line_height=4.2,
            padding=(0.8, 1, 0.8, 1),
            repeat_headings=1,
        ) as table:
            head = table.row()
            for column in columns:
                head.cell(self.say(column.head))
            for cells in rows:
                row = table.row()
                for cell in cells:
                    row.cell(self.say(cell))
        self.set_draw_color(0)


def _bold(font: Path) -> Path:
    """The font's bold face beside it ("DejaVuSans-Bold.ttf"), when there is one it can read."""
    bold = font.with_name(font.stem + "-Bold" + font.suffix)
    return bold if bold.is_file() and readable(bold) else font


def readable(font: Path) -> bool:
    """Whether `font` is a TrueType or OpenType font fpdf2 can set text in: its name ends as
    fpdf2 requires and fontTools reads every table of it (not some other file, nor a font cut
    short). The file is closed again."""
    if font.suffix.lower() not in FONT_SUFFIXES:
        return False
    try:
        with font.open("rb") as handle:
            face = TTFont(handle, lazy=False)
            if not all(tag in face for tag in FONT_TABLES):
                return False
            face.ensureDecompiled()
            return face.getBestCmap() is not None
    except Exception:  # fontTools raises many kinds of error for a file that is not a font
        return False


def chosen_font(given: str | None) -> Path | None:
    """The Unicode font to use: `given` (the option or CREDITS_PDF_FONT), else DejaVu Sans;
    None when that file is not there or is not a font fpdf2 can read, after a one-line warning
    on stderr (the PDF is still written, in Helvetica)."""
    path = Path(given).expanduser() if given else DEJAVU
    if not path.is_file():
        problem = f"no Unicode font at {path}"
    elif not readable(path):
        problem = f"{path} is not a TrueType or OpenType font it can read"
    else:
        return path
    print(
        f"credits-bot: warning: {problem}; the PDF uses Helvetica and writes names without "
        f"their accents (set {FONT_ENV} or --font to a .ttf file).",
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


RECEIPT_COLUMNS = (  # millimetres: the page's 180 between its margins
    Column("No.", 12),
    Column("Date (UTC)", 36),
    Column("Kind", 24),
    Column("Amount", 26, "RIGHT"),
    Column("By", 36),
    Column("Payment reference", 46),
)
ENTRY_COLUMNS = (
    Column("Recorded (UTC)", 36),
    Column("What", 72),
    Column("Amount", 26, "RIGHT"),
    Column("Balance", 28, "RIGHT"),
    Column("Receipt", 18, "RIGHT"),
)


def _receipts(pdf: StatementPdf, statement: Statement) -> None:
    pdf.ln(3)
    pdf.title_line(f"Receipts ({len(statement.receipts):,})", 11)
    if not statement.receipts:
        pdf.note("No purchases or auto-recharges this month, so no receipts.")
        return
    pdf.grid(
        RECEIPT_COLUMNS,
        (
            (
                str(receipt.number),
                fmt_datetime(receipt.at),
                RECEIPT_KINDS[receipt.kind],
                receipt.amount.format(),
                shown.actor_name(receipt.actor.id, receipt.actor.name),
                receipt.reference or "",
            )
            for receipt in statement.receipts
        ),
    )


def _what(entry: Entry) -> str:
    """What an entry was, each thing said once: "Purchase · Ada", "Adjustment · Ada · credit
    note", "Auto-recharge", "Funds bought 10 Oct 2025 expired"."""
    label = ENTRY_WORDS[entry.kind]
    reason = shown.reason(entry.reason, entry.amount.currency) or ""
    if entry.kind is EntryKind.EXPIRY:
        return reason or label  # the reason says what expired, and when it was bought
    parts = [label]
    for part in (shown.actor_name(entry.actor.id, entry.actor.name), reason):
        if part and part not in parts:
            parts.append(part)
    return " · ".join(parts)


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
        receipt = str(line.receipt_no) if line.receipt_no is not None else ""
        rows.append(
            Row(
                fmt_datetime(entry.created_at),
                _what(entry),
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
    cells = ((row.when, row.what, row.amount, row.balance, row.receipt) for row in rows)
    pdf.grid(ENTRY_COLUMNS, cells)


def render(statement: Statement, rows: list[Row], font: Path | None, made_at: datetime) -> bytes:
    """The statement's PDF."""
    label = month_label(statement.month)
    title = f"Communications Credits statement: {label}"
    pdf = StatementPdf(font, f"{title} · tenant {statement.tenant_id}")
    pdf.set_title(f"Communications Credits statement, {label}")
    pdf.set_author("credits-bot")
    pdf.set_creator("credits-bot")
    pdf.set_creation_date(made_at)
    pdf.add_page()
    pdf.title_line(title)
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
