"""What a turn asks of the database, over HTTP against the whole app, on SQLite and PostgreSQL:
a "balance" turn is the redelivery dedupe with the conversation's state read beside it, then
the account view in one statement; no state is written when no flow opened or changed; a turn
that opens a flow writes its state once; a redelivered turn does nothing more."""

from __future__ import annotations

from typing import Any

from helpers import Client, bot, last_card, personal_message, post, statements_of
from stub_connector import StubConnector

from bot.appkeys import SERVICE

__all__ = ["bot"]  # the fixture


def statements(client: Client) -> Any:
    """The SQL statements the app sends while the block runs (BEGIN, COMMIT, PRAGMA left out)."""
    return statements_of(client.app[SERVICE].db)


def kinds(seen: list[str]) -> list[str]:
    """Each statement as its verb and first table."""
    named = []
    for statement in seen:
        verb = statement.split()[0]
        after = {"INSERT": "INTO", "UPDATE": "UPDATE", "DELETE": "FROM", "SELECT": "FROM"}[verb]
        words = statement.replace("(", " ").split()
        table = words[words.index(after) + 1] if verb != "UPDATE" else words[1]
        if verb == "SELECT" and "FROM accounts" in statement:  # the view: subqueries first
            table = "accounts"
        name = table.strip('"')
        named.append(f"{verb} {name}")
    return named


async def test_a_balance_turn_is_three_statements_and_writes_no_state(
    bot: Client, connector: StubConnector
) -> None:
    await post(bot, personal_message(connector.url, "balance"))  # the account is made
    async with statements(bot) as seen:
        await post(bot, personal_message(connector.url, "balance"))
    assert kinds(seen) == [
        "INSERT processed_activities",
        "SELECT bot_state",
        "SELECT accounts",
    ], seen
    card, _ = last_card(connector)
    assert "Balance" in str(card)


async def test_a_turn_that_opens_a_flow_writes_its_state_once(
    bot: Client, connector: StubConnector
) -> None:
    await post(bot, personal_message(connector.url, "balance"))
    async with statements(bot) as seen:
        await post(bot, personal_message(connector.url, "add credits"))  # asks how much
    writes = [k for k in kinds(seen) if k.endswith("bot_state") and not k.startswith("SELECT")]
    assert len(writes) == 1, seen
    async with statements(bot) as seen:
        await post(bot, personal_message(connector.url, "help"))  # help inside the flow
    assert "SELECT bot_state" in kinds(seen)


async def test_a_redelivered_turn_does_nothing_more(bot: Client, connector: StubConnector) -> None:
    activity = personal_message(connector.url, "balance")
    await post(bot, activity)
    posted = len(connector.calls)
    async with statements(bot) as seen:
        await post(bot, activity)
    assert kinds(seen) == ["INSERT processed_activities"], seen
    assert len(connector.calls) == posted
