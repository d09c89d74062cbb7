"""The finance PDF as a finance team reads it (bot/statement_pdf.py): nothing is cut off (long
names, reasons and the "Auto-recharge" kind wrap within their columns), the entries table's head
row is repeated on every page it runs onto, every page says "Page X of Y", and an expiry says
what expired once."""

from __future__ import annotations

import re
import unicodedata
from datetime import UTC, datetime
from pathlib import Path

import pytest
from pypdf import PdfReader
from records import call

from bot.statement_csv import DEJAVU
from bot.statement_pdf import entry_rows, render
from credits.clock import ManualClock
from credits.models import Actor
from credits.service import CreditsService

T = "contoso"
AN = Actor("aad-an", "Nguyễn Văn An Trường Thịnh Phát của Phòng Tài chính Kế toán")
REASON = "credit note for a dropped call on the Hanoi line, ticket 44871, agreed with the carrier"
pytestmark = pytest.mark.skipif(
    not DEJAVU.is_file(), reason=f"{DEJAVU} is missing: apt-get install fonts-dejavu-core"
)


def pages_of(data: bytes, tmp_path: Path) -> list[str]:
    path = tmp_path / "statement.pdf"
    path.write_bytes(data)
    return [unicodedata.normalize("NFC", page.extract_text()) for page in PdfReader(path).pages]


def flat(text: str) -> str:
    return re.sub(r"\s+", " ", text)


async def pdf_of(service: CreditsService, clock: ManualClock, year: int, month: int) -> bytes:
    statement = await service.statement(T, year, month)
    rows = await entry_rows(service.statement_lines(statement))
    return render(statement, rows, DEJAVU, clock.now())


async def test_a_long_month_wraps_repeats_its_head_and_numbers_its_pages(
    service: CreditsService, clock: ManualClock, tmp_path: Path
) -> None:
    clock.set(datetime(2025, 11, 1, 8, tzinfo=UTC))
    await service.add_funds(T, "500", AN, "first")
    await service.set_auto_recharge(T, AN, enabled=True, amount="300", trigger="100")
    for day in range(1, 29):
        clock.set(datetime(2025, 11, day, 12, tzinfo=UTC))
        for n in range(2):
            await service.adjust(T, "1", AN, REASON, f"adj-{day}-{n}")
        when = f"2025-11-{day:02d}T13:00:00Z"
        await service.ingest_usage([call(f"c{day}", "30", tenantId=T, startDateTime=when)])
        await service.process_payments("w")
    clock.set(datetime(2025, 12, 2, tzinfo=UTC))
    pages = pages_of(await pdf_of(service, clock, 2025, 11), tmp_path)

    assert len(pages) >= 3
    for number, page in enumerate(pages, start=1):
        assert f"Page {number} of {len(pages)}" in page
        assert "..." not in page and "…" not in page
    for page in pages[1:]:
        assert "Communications Credits statement: November 2025 · tenant contoso" in page
        assert "Recorded (UTC)" in page and "Balance" in page  # the table's head again
    whole = flat("\n".join(pages))
    assert flat(f"Adjustment · {AN.name} · {REASON}") in whole
    assert "Auto-recharge" in pages[0].split("Entries")[0]  # the receipts' Kind column
    assert "28 Nov 2025 12:00 UTC" in whole


async def test_an_expiry_says_what_expired_once(
    service: CreditsService, clock: ManualClock, tmp_path: Path
) -> None:
    clock.set(datetime(2025, 10, 10, 9, tzinfo=UTC))
    await service.add_funds(T, "100", AN, "bought")
    clock.set(datetime(2026, 10, 11, tzinfo=UTC))
    await service.run_checks()  # the lot bought a year ago expires
    clock.set(datetime(2026, 11, 2, tzinfo=UTC))
    text = flat("\n".join(pages_of(await pdf_of(service, clock, 2026, 10), tmp_path)))
    assert re.search(r"UTC Funds bought \S+ expired -\$100\.00", text), text
    assert "Expired ·" not in text and "Expiry" not in text
    assert "Expired (1)" in text  # the summary's line
