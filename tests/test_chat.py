"""`credits-bot chat`: the same bot in a terminal, driven through stdin as a person would."""

from __future__ import annotations

from pathlib import Path

from dialog_helpers import chat


def test_chat_adds_funds_by_pressing_a_numbered_button(tmp_path: Path) -> None:
    db = tmp_path / "chat.db"
    out = chat(["balance", "add $50 credits", "1", "add -5 dollars", "quit"], db)
    assert "Balance" in out and "$0.00" in out
    assert "Add $50.00 to your Communications Credits?" in out
    assert "[1] Confirm  [2] Cancel" in out
    assert "Added $50.00" in out and "New balance:       $50.00" in out
    assert "Amounts must be more than zero" in out
    again = chat(["history", "quit"], db)  # the same store, a new session
    assert "+$50.00" in again


def test_chat_sets_auto_recharge_and_cancels(tmp_path: Path) -> None:
    out = chat(
        ["turn on auto-recharge", "100", "cancel", "recharge $100 when below $20", "1", "quit"],
        tmp_path / "chat.db",
    )
    assert "How much should each recharge add?" in out
    assert "Cancelled. Nothing was changed." in out
    assert "On: add $100.00 when below $20.00" in out


def test_a_link_button_prints_its_address(tmp_path: Path) -> None:
    graph = {"CREDITS_GRAPH_CLIENT_ID": "app-id", "CREDITS_GRAPH_CLIENT_SECRET": "secret"}
    out = chat(["connect usage", "1", "quit"], tmp_path / "chat.db", **graph)
    assert "[1] Grant permission  [2] Check now" in out
    link = "https://login.microsoftonline.com/local/adminconsent?client_id=app-id"
    assert f"Open this link in a browser: {link}" in out
    assert "can't be used" not in out and "**" not in out
