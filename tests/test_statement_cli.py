"""`credits-bot statement` and `credits-bot receipt`: a month's statement as text, as CSV for
finance (a summary block, then a row per ledger entry with its receipt number) to stdout or a
file, and as a PDF made with fpdf2 whose text reads back (the totals, a Vietnamese name) in a
Unicode font, or transliterated in Helvetica with a one-line warning when there is none; a
receipt by its number. A refusal is one line on stderr, exit 2, and no file."""

from __future__ import annotations

import asyncio
import codecs
import csv
import io
import shutil
import unicodedata
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from pypdf import PdfReader
from records import call

from bot.cli import main
from bot.statement_csv import DEJAVU, ENTRY_HEADER
from credits.clock import ManualClock
from credits.config import CreditsConfig
from credits.models import Actor
from credits.service import CreditsService

T = "contoso"
AN = Actor("aad-an", "Nguyễn Văn An")
SNEAKY = Actor("aad-eve", "=HYPERLINK(evil)")
needs_dejavu = pytest.mark.skipif(
    not DEJAVU.is_file(), reason=f"{DEJAVU} is missing: apt-get install fonts-dejavu-core"
)


@pytest.fixture
def database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    url = f"sqlite+aiosqlite:///{tmp_path / 'cli.db'}"
    monkeypatch.chdir(tmp_path)  # no stray .env; the PDF's default file lands here
    monkeypatch.setenv("CREDITS_DATABASE_URL", url)
    monkeypatch.delenv("CREDITS_DATABASE_SCHEMA", raising=False)
    monkeypatch.delenv("CREDITS_PDF_FONT", raising=False)
    return url


@pytest.fixture
async def ledger(database: str) -> AsyncIterator[CreditsService]:
    """Receipt 1 in October 2025; in November 2025 receipts 2 and 3, three calls on one day
    and an adjustment; December 2025 one more call."""
    config = CreditsConfig(_env_file=None, database_url=database)  # type: ignore[call-arg]
    clock = ManualClock(datetime(2025, 10, 10, tzinfo=UTC))
    service = await CreditsService.open(config, clock=clock)
    await service.add_funds(T, "100", AN, "oct")
    clock.set(datetime(2025, 11, 3, 9, tzinfo=UTC))
    await service.add_funds(T, "50", AN, "nov-1")
    for n in range(3):
        when = f"2025-11-03T1{n}:00:00Z"
        await service.ingest_usage([call(f"c{n}", "2.50", tenantId=T, startDateTime=when)])
    clock.set(datetime(2025, 11, 20, tzinfo=UTC))
    await service.add_funds(T, "20", SNEAKY, "nov-2")
    await service.adjust(T, "-2.50", AN, "correction", "adj")
    clock.set(datetime(2025, 12, 1, tzinfo=UTC))
    await service.ingest_usage([call("c9", "1", tenantId=T, startDateTime="2025-12-01T00:00:00Z")])
    yield service
    await service.close()


async def cli(*argv: str) -> int:
    """The command in a thread of its own: it runs its own event loop, as from a shell."""
    return await asyncio.to_thread(main, list(argv))


def pdfs(folder: Path) -> list[Path]:
    return list(folder.glob("*.pdf"))


def pdf_text(path: Path) -> str:
    text = "\n".join(page.extract_text() for page in PdfReader(path).pages)
    return unicodedata.normalize("NFC", text)


# ---------------------------------------------------------------------- CSV and text


async def test_the_csv_has_the_summary_then_every_entry_with_its_receipt(
    ledger: CreditsService, capsys: pytest.CaptureFixture[str]
) -> None:
    assert await cli("statement", "--tenant", T, "--month", "2025-11", "--csv") == 0
    out, err = capsys.readouterr()
    assert err == "Wrote the statement for 2025-11 with 6 entries.\n"
    assert out.startswith("summary,")  # no byte order mark on stdout
    rows = list(csv.reader(io.StringIO(out)))
    blank = rows.index([])
    summary = {row[0]: row[1:] for row in rows[1:blank]}
    assert rows[0] == ["summary", "value", "count"]
    assert summary["month"] == ["2025-11", ""] and summary["status"] == ["complete", ""]
    assert summary["opening_balance"] == ["100.00", ""]
    assert summary["purchases"] == ["70.00", "2"]
    assert summary["usage"] == ["-7.50", "3"]
    assert summary["adjustments"] == ["-2.50", "1"]
    assert summary["auto_recharges"] == summary["expiries"] == ["0.00", "0"]
    assert summary["closing_balance"] == ["160.00", ""] and summary["receipts"] == ["", "2"]
    header, *entries = rows[blank + 1 :]
    assert header == list(ENTRY_HEADER)
    assert [(e[3], e[6]) for e in entries] == [
        ("funding", "2"),
        ("usage", ""),
        ("usage", ""),
        ("usage", ""),
        ("funding", "3"),
        ("adjustment", ""),
    ]
    assert sum(float(e[4]) for e in entries) == pytest.approx(160 - 100)
    assert entries[-1][5] == "160.00"
    assert entries[0][9] == "Nguyễn Văn An" and entries[4][9] == "'=HYPERLINK(evil)"


async def test_the_csv_goes_to_a_file_and_the_text_to_stdout(
    ledger: CreditsService, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    out = tmp_path / "nov.csv"
    assert (
        await cli("statement", "--tenant", T, "--month", "2025-11", "--csv", "--out", str(out)) == 0
    )
    data = out.read_bytes()  # with a byte order mark, so Excel reads the accents right
    assert data.startswith(codecs.BOM_UTF8)
    assert data.decode("utf-8-sig").startswith("summary,value,count\r\ntenant,contoso,")
    assert "Nguyễn Văn An" in data.decode("utf-8-sig")
    assert "to " + str(out) in capsys.readouterr().err
    assert await cli("statement", "--tenant", T, "--month", "2025-11") == 0
    text = capsys.readouterr().out
    assert "Statement for November 2025: tenant contoso, USD (complete)" in text
    assert "Closing balance" in text and "$160.00" in text
    assert "No. 2" in text and "No. 3" in text and "Nguyễn Văn An" in text


async def test_one_entry_is_one_entry(
    ledger: CreditsService, capsys: pytest.CaptureFixture[str]
) -> None:
    assert await cli("statement", "--tenant", T, "--month", "2025-10", "--csv") == 0
    assert capsys.readouterr().err == "Wrote the statement for 2025-10 with 1 entry.\n"


async def test_the_csv_rows_are_the_summarys_own_entries(
    ledger: CreditsService, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A call recorded between the summary and the rows (read in reads of their own) is in
    neither: the rows add up to the summary."""
    made = CreditsService.statement

    async def statement_then_a_call(self: CreditsService, *args: Any) -> Any:
        found = await made(self, *args)
        when = f"{self.clock.now() - timedelta(minutes=1):%Y-%m-%dT%H:%M:%SZ}"
        await self.ingest_usage([call("late", "4", tenantId=T, startDateTime=when)])
        return found

    monkeypatch.setattr(CreditsService, "statement", statement_then_a_call)
    assert await cli("statement", "--tenant", T, "--csv") == 0  # this month, to date
    rows = list(csv.reader(io.StringIO(capsys.readouterr().out)))
    blank = rows.index([])
    summary = {row[0]: row[1:] for row in rows[1:blank]}
    entries = rows[blank + 2 :]
    net = sum(Decimal(e[4]) for e in entries)
    assert net == Decimal(summary["closing_balance"][0]) - Decimal(summary["opening_balance"][0])
    assert not any(e[3] == "usage" for e in entries)


# ---------------------------------------------------------------------- PDF


@needs_dejavu
async def test_the_pdf_reads_back_with_the_totals_and_a_vietnamese_name(
    ledger: CreditsService, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    assert await cli("statement", "--tenant", T, "--month", "2025-11", "--pdf") == 0
    path = tmp_path / "statement-contoso-2025-11.pdf"  # the default name, where it was run
    assert capsys.readouterr().err == f"Wrote the statement for 2025-11 to {path.name}.\n"
    text = pdf_text(path)
    for expected in (
        "Communications Credits statement: November 2025",
        "Opening balance, 1 Nov 2025",
        "$100.00",
        "Purchases (2)",
        "+$70.00",
        "Usage (3)",
        "-$7.50",
        "Closing balance, 30 Nov 2025",
        "$160.00",
        "Receipts (2)",
        "Nguyễn Văn An",
        "Usage, 3 calls",  # one day's calls, one line
    ):
        assert expected in text, (expected, text)
    assert PdfReader(path).metadata.title == "Communications Credits statement, November 2025"


@needs_dejavu
async def test_the_font_may_be_named_by_the_environment(
    ledger: CreditsService,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    font = tmp_path / "fonts" / "Mine.ttf"
    font.parent.mkdir()
    shutil.copy(DEJAVU, font)
    monkeypatch.setenv("CREDITS_PDF_FONT", str(font))
    out = tmp_path / "mine.pdf"
    assert (
        await cli("statement", "--tenant", T, "--month", "2025-11", "--pdf", "--out", str(out)) == 0
    )
    assert "warning" not in capsys.readouterr().err
    assert "Nguyễn Văn An" in pdf_text(out)


async def test_without_a_unicode_font_the_pdf_is_transliterated_with_a_warning(
    ledger: CreditsService, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    out = tmp_path / "plain.pdf"
    missing = tmp_path / "no-such-font.ttf"
    argv = ("statement", "--tenant", T, "--month", "2025-11", "--pdf", "--out", str(out))
    assert await cli(*argv, "--font", str(missing)) == 0
    err = capsys.readouterr().err.splitlines()
    assert err[0] == (
        f"credits-bot: warning: no Unicode font at {missing}; the PDF uses Helvetica and writes "
        "names without their accents (set CREDITS_PDF_FONT or --font to a .ttf file)."
    )
    text = pdf_text(out)
    assert "Nguyen Van An" in text and "Nguyễn" not in text and "$160.00" in text


@pytest.mark.parametrize(
    ("name", "content"),
    [
        pytest.param("passwd", b"root:x:0:0:root:/root:/bin/bash\n", id="not-a-font"),
        pytest.param("cut.ttf", b"\x00\x01\x00\x00\x00\x0c\x00\x80" + bytes(300), id="cut-short"),
    ],
)
async def test_a_file_that_is_not_a_font_gives_helvetica_with_a_warning(
    ledger: CreditsService,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    name: str,
    content: bytes,
) -> None:
    """Chosen: the same as no font (the PDF is still written, transliterated, after one warning
    line), not a traceback."""
    font = tmp_path / name
    font.write_bytes(content)
    out = tmp_path / "plain.pdf"
    argv = ("statement", "--tenant", T, "--month", "2025-11", "--pdf", "--out", str(out))
    assert await cli(*argv, "--font", str(font)) == 0
    assert capsys.readouterr().err.splitlines() == [
        f"credits-bot: warning: {font} is not a TrueType or OpenType font it can read; the PDF "
        "uses Helvetica and writes names without their accents (set CREDITS_PDF_FONT or --font "
        "to a .ttf file).",
        f"Wrote the statement for 2025-11 to {out}.",
    ]
    text = pdf_text(out)
    assert "Nguyen Van An" in text and "$160.00" in text


# ---------------------------------------------------------------------- receipts and refusals


async def test_a_receipt_by_its_number(
    ledger: CreditsService, capsys: pytest.CaptureFixture[str]
) -> None:
    assert await cli("receipt", "--tenant", T, "2") == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "Receipt 2"
    assert "Amount         $50.00" in out and "By             Nguyễn Văn An (aad-an)" in out
    assert "Balance after  $150.00" in out and "Statement      November 2025" in out
    assert await cli("receipt", "--tenant", T, "9") == 2
    assert capsys.readouterr().err == (
        "credits-bot: There is no receipt 9 here. Receipts here run from 1 to 3.\n"
    )


@pytest.mark.parametrize(
    ("argv", "said"),
    [
        (("--month", "2025-13"), "'2025-13' is not a month; give a month as YYYY-MM"),
        (("--month", "2100-12"), "December 2100 has not begun yet, so it has no statement."),
        (("--month", "2025-09"), "There is no statement for September 2025: the account was"),
        (("--tenant", "nobody"), "No account for tenant 'nobody'"),
    ],
)
@pytest.mark.parametrize("kind", ["--csv", "--pdf"])
async def test_a_refusal_is_one_line_and_writes_nothing(
    ledger: CreditsService,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    argv: tuple[str, ...],
    said: str,
    kind: str,
) -> None:
    out = tmp_path / "refused.out"
    args = ["statement", "--tenant", T, "--month", "2025-11", kind, "--out", str(out), *argv]
    assert await cli(*args) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    [line] = captured.err.splitlines()
    assert line.startswith("credits-bot: ") and said in line
    assert not out.exists() and not pdfs(tmp_path)
