"""SqlStorage: botbuilder's Storage on the bot_state table, on a SQLite file and on PostgreSQL."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
from botbuilder.core import ConversationState, StoreItem, TurnContext
from botbuilder.core.adapters import TestAdapter
from botbuilder.dialogs import (
    DialogSet,
    DialogTurnStatus,
    TextPrompt,
    WaterfallDialog,
    WaterfallStepContext,
)
from botbuilder.dialogs.prompts import PromptOptions
from botbuilder.schema import Activity
from conftest import Backend
from sqlalchemy import select

from bot.storage import MAX_KEY, EtagConflict, SqlStorage
from credits.db import Database
from credits.schema import bot_state


@pytest.fixture
async def db(backend: Backend) -> AsyncIterator[Database]:
    database = Database(backend.url, schema=backend.schema)
    await database.migrate()
    yield database
    await database.dispose()


@pytest.fixture
def storage(db: Database) -> SqlStorage:
    return SqlStorage(db)


async def test_dicts_round_trip_as_fresh_copies_with_an_etag(storage: SqlStorage) -> None:
    when = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    await storage.write({"k": {"n": 1, "amount": Decimal("12.50"), "when": when, "l": [1, "a"]}})
    first = (await storage.read(["k"]))["k"]
    assert isinstance(first, dict)
    assert first["n"] == 1 and first["amount"] == Decimal("12.50") and first["when"] == when
    assert first["l"] == [1, "a"] and first["e_tag"]
    first["n"] = 99
    first["l"].append("changed")
    again = (await storage.read(["k"]))["k"]
    assert again["n"] == 1 and again["l"] == [1, "a"]  # no live reference
    assert again is not first


async def test_store_items_round_trip(storage: SqlStorage) -> None:
    item = StoreItem(name="Ada", count=3)
    await storage.write({"item": item})
    assert item.e_tag  # the written object carries the new etag
    read = (await storage.read(["item"]))["item"]
    assert isinstance(read, StoreItem)
    assert (read.name, read.count, read.e_tag) == ("Ada", 3, item.e_tag)


async def test_read_unknown_and_empty(storage: SqlStorage) -> None:
    assert await storage.read([]) == {}
    assert await storage.read(["nope"]) == {}
    await storage.write({})
    await storage.delete([])


async def test_etags_detect_a_concurrent_change(storage: SqlStorage, db: Database) -> None:
    await storage.write({"k": {"v": 0}})
    mine = (await storage.read(["k"]))["k"]
    theirs = (await SqlStorage(db).read(["k"]))["k"]  # another replica
    assert mine["e_tag"] == theirs["e_tag"]

    theirs["v"] = 1
    await SqlStorage(db).write({"k": theirs})
    assert theirs["e_tag"] != mine["e_tag"]  # a new etag on every write

    mine["v"] = 2
    with pytest.raises(EtagConflict) as conflict:
        await storage.write({"k": mine})
    assert isinstance(conflict.value, KeyError)  # as MemoryStorage raises
    assert "etag conflict" in str(conflict.value)
    assert (await storage.read(["k"]))["k"]["v"] == 1

    # the etag just written lets the same turn save twice without conflicting with itself
    theirs["v"] = 3
    await storage.write({"k": theirs})
    assert (await storage.read(["k"]))["k"]["v"] == 3


async def test_star_or_no_etag_overwrites(storage: SqlStorage) -> None:
    await storage.write({"k": {"v": 0}})
    await storage.write({"k": {"v": 1, "e_tag": "*"}})
    assert (await storage.read(["k"]))["k"]["v"] == 1
    await storage.write({"k": {"v": 2}})
    assert (await storage.read(["k"]))["k"]["v"] == 2
    with pytest.raises(ValueError, match="empty etag"):
        await storage.write({"k": {"v": 3, "e_tag": ""}})


async def test_a_conflict_writes_nothing_of_the_batch(storage: SqlStorage) -> None:
    await storage.write({"a": {"v": 0}, "b": {"v": 0}})
    with pytest.raises(EtagConflict):
        await storage.write({"a": {"v": 1}, "b": {"v": 1, "e_tag": "stale"}})
    read = await storage.read(["a", "b"])
    assert read["a"]["v"] == 0 and read["b"]["v"] == 0


async def test_an_etag_for_a_missing_key_creates_it(storage: SqlStorage) -> None:
    await storage.write({"new": {"v": 1, "e_tag": "from-a-deleted-copy"}})
    assert (await storage.read(["new"]))["new"]["v"] == 1


async def test_concurrent_writers_one_wins(storage: SqlStorage, db: Database) -> None:
    await storage.write({"k": {"v": 0}})
    copies = [(await SqlStorage(db).read(["k"]))["k"] for _ in range(4)]

    async def write(copy: dict[str, Any], value: int) -> bool:
        copy["v"] = value
        try:
            await SqlStorage(db).write({"k": copy})
        except EtagConflict:
            return False
        return True

    results = await asyncio.gather(*(write(c, i) for i, c in enumerate(copies)))
    assert sum(results) == 1
    winner = results.index(True)
    assert (await storage.read(["k"]))["k"]["v"] == winner


async def test_delete(storage: SqlStorage) -> None:
    await storage.write({"a": {"v": 1}, "b": {"v": 2}})
    await storage.delete(["a", "missing"])
    assert list(await storage.read(["a", "b"])) == ["b"]


async def test_long_keys(storage: SqlStorage, db: Database) -> None:
    long_a, long_b = "x" * 500 + "a", "x" * 500 + "b"
    await storage.write({long_a: {"v": "a"}, long_b: {"v": "b"}})
    read = await storage.read([long_a, long_b])
    assert read[long_a]["v"] == "a" and read[long_b]["v"] == "b"
    async with db.read() as conn:
        keys = (await conn.execute(select(bot_state.c.key))).scalars().all()
    assert all(len(key) <= MAX_KEY for key in keys)
    await storage.delete([long_a])
    assert list(await storage.read([long_a, long_b])) == [long_b]


async def test_the_stored_document_has_no_etag(storage: SqlStorage, db: Database) -> None:
    await storage.write({"k": {"v": 1, "e_tag": "*"}})
    async with db.read() as conn:
        row = (await conn.execute(select(bot_state).where(bot_state.c.key == "k"))).one()
    assert "e_tag" not in row.document and row.etag and row.updated_at.tzinfo is not None


async def test_dialog_state_survives_a_restart(db: Database) -> None:
    """A prompt asked on one 'process' is answered on another: every turn builds its state
    objects anew on the same database, as replicas and restarts do."""

    async def ask(step: WaterfallStepContext) -> Any:
        prompt = Activity(type="message", text="What is your name?")
        return await step.prompt("name", PromptOptions(prompt=prompt))

    async def greet(step: WaterfallStepContext) -> Any:
        await step.context.send_activity(f"Hello {step.result}")
        return await step.end_dialog()

    async def logic(turn_context: TurnContext) -> None:
        conversation_state = ConversationState(SqlStorage(db))  # a fresh process every turn
        dialogs = DialogSet(conversation_state.create_property("DialogState"))
        dialogs.add(TextPrompt("name"))
        dialogs.add(WaterfallDialog("main", [ask, greet]))
        dc = await dialogs.create_context(turn_context)
        result = await dc.continue_dialog()
        if result.status == DialogTurnStatus.Empty:
            await dc.begin_dialog("main")
        await conversation_state.save_changes(turn_context)

    adapter = TestAdapter(logic)
    step = await adapter.test("hi", "What is your name?")
    async with db.read() as conn:
        rows = (await conn.execute(select(bot_state))).all()
    assert len(rows) == 1 and "DialogState" in rows[0].document
    await step.test("Ada", "Hello Ada")
    # the dialog ended: the stored stack is empty again
    state = (await SqlStorage(db).read([rows[0].key]))[rows[0].key]
    assert state["DialogState"].dialog_stack == []
