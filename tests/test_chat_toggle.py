"""`credits-bot chat`: a card's toggle shows as its title with its state, in English as the
card sends it ("true"/"false", exactly as before), in Vietnamese in words ("Bật"/"Tắt"); it
takes a yes or no word of either language; anything else is answered with what to type, in the
session's language, without field ids, and asked again."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from cards.text import TextInput
from credits.i18n import Lang, speaking


def chat(lines: list[str], db: Path, locale: str | None = None) -> str:
    """A `credits-bot chat` session on ``db``, typed line by line (as dialog_helpers.chat,
    with ``--locale``)."""
    env = dict(os.environ, CREDITS_DATABASE_URL=f"sqlite:///{db}")
    env.pop("MicrosoftAppId", None)
    args = [sys.executable, "-m", "bot.cli", "chat"]
    if locale is not None:
        args += ["--locale", locale]
    done = subprocess.run(
        args,
        input="\n".join(lines) + "\n",
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_the_toggle_in_english(tmp_path: Path) -> None:
    db = tmp_path / "chat.db"
    out = chat(
        ["auto-recharge settings", "1", "maybe", "yes", "100", "20", "1", "quit"],
        db,
    )
    assert "[recharge_enabled] Turn on auto-recharge: false" in out
    assert "  Turn on auto-recharge [false]: " in out
    assert out.count('Type "on" or "off" ("yes" or "no"), or press Enter to keep it false.') == 1
    assert "Turn on auto-recharge: add $100.00 whenever the balance falls below $20.00." in out
    assert "On: add $100.00 when below $20.00" in out
    assert "'recharge_enabled'" not in out and "can't be used" not in out
    off = chat(["auto-recharge settings", "1", "OFF", "", "", "1", "quit"], db)
    assert "[recharge_enabled] Turn on auto-recharge: true" in off
    assert "  Turn on auto-recharge [true]: " in off
    assert "Turn off auto-recharge?" in off
    assert "can't be used" not in off and 'Type "on"' not in off


def test_the_toggle_in_vietnamese(tmp_path: Path) -> None:
    db = tmp_path / "chat.db"
    out = chat(
        ["cài đặt tự động nạp", "1", "có lẽ", "có", "100", "20", "1", "thoát"],
        db,
        "vi-VN",
    )
    assert "[recharge_enabled] Bật tự động nạp tiền: Tắt" in out
    assert "  Bật tự động nạp tiền [Tắt]: " in out
    refusal = 'Hãy gõ "bật" hoặc "tắt" ("có" hoặc "không"), hoặc nhấn Enter để giữ nguyên: Tắt.'
    assert out.count(refusal) == 1  # "có lẽ" is refused, then asked again
    assert "Bật tự động nạp tiền: nạp 100,00\u00a0US$ mỗi khi số dư giảm xuống dưới" in out
    assert "nạp 100,00\u00a0US$ khi số dư giảm xuống dưới 20,00\u00a0US$" in out  # now set
    assert "không hợp lệ" not in out and "'recharge_enabled'" not in out
    assert "[false]" not in out and "[true]" not in out  # in words, not the card's values
    off = chat(["cài đặt tự động nạp", "1", "không", "", "", "1", "thoát"], db, "vi-VN")
    assert "  Bật tự động nạp tiền [Bật]: " in off
    assert "Tắt tự động nạp tiền?" in off
    assert "không hợp lệ" not in off and "Hãy gõ" not in off


YES = ["có", "Có", "co", "bật", "BẬT", "bat", "yes", "Y", "on", "true", "có."]
NO = ["không", "khong", "ko", "tắt", "Tat", "no", "n", "off", "false", "Không!"]


@pytest.mark.parametrize("lang", list(Lang))
def test_toggle_words(lang: Lang) -> None:
    off = TextInput("recharge_enabled", "Turn on auto-recharge", "toggle", "false")
    on = TextInput("x", "X", "toggle", "yes-please", "yes-please", "no-thanks")
    with speaking(lang):
        assert off.shown() == ("false" if lang is Lang.EN else "Tắt")  # English: as before
        assert on.shown() == ("yes-please" if lang is Lang.EN else "Bật")
    for word in YES:
        assert off.answer(word) == "true", word
        assert on.answer(word) == "yes-please", word
    for word in NO:
        assert off.answer(word) == "false", word
        assert on.answer(word) == "no-thanks", word
    assert off.answer("  ") == "false" and on.answer("") == "yes-please"  # Enter keeps it
    for word in ("maybe", "có lẽ", "1", "yess", "không phải"):
        assert off.answer(word) is None, word
    nfd = "kho\u0302ng"  # "không" as some keyboards send it (NFD)
    assert off.answer(nfd) == "false"
    text = TextInput("amount", "Amount", "text", "50")
    assert text.answer("") == "50" and text.answer(" 1.000,50 ") == "1.000,50"
    assert text.shown() == "50"
