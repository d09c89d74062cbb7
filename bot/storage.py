"""Bot Framework `Storage` on the `bot_state` table: dialog and conversation state that survives
restarts and is shared by replicas, with optimistic concurrency.

Semantics follow botbuilder's MemoryStorage and CosmosDbPartitionedStorage:

- documents are dicts or objects (StoreItems, DialogState, ...), serialised with jsonpickle as
  botbuilder's own state code does; the `e_tag` is kept in its own column, never in the document;
- `read` returns fresh objects (never live references) with `e_tag` set to the stored etag;
- `write` with a missing e_tag or `"*"` overwrites; any other e_tag must equal the stored one or
  the write raises `EtagConflict` and nothing of that batch is written; a key that does not exist
  yet is created whatever the e_tag (as MemoryStorage does);
- every write gives the row a new etag, and sets it on the written dict or object, so a second
  save in the same turn does not conflict with itself.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import uuid
from collections.abc import Iterable, Mapping, Sequence
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any

from botbuilder.core import Storage
from jsonpickle.pickler import Pickler  # type: ignore[import-untyped]
from jsonpickle.unpickler import Unpickler  # type: ignore[import-untyped]
from sqlalchemy import Connection, bindparam, delete, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from credits.clock import Clock, SystemClock
from credits.db import Database
from credits.prepared import Prepared
from credits.schema import bot_state
from credits.text import text_problem

MAX_KEY = 400  # bot_state.key is String(400)
_HASH_LEN = 64
Prefetched = dict[str, tuple[str, str] | None]  # key -> (document, etag), None: not stored
_DOCUMENTS = select(bot_state.c.key, bot_state.c.etag, bot_state.c.document)
_ONE_DOCUMENT = Prepared(_DOCUMENTS.where(bot_state.c.key == bindparam("key")))
# the current turn's prefetched documents (a context variable: each turn is its own task)
_PREFETCHED: ContextVar[Prefetched | None] = ContextVar("credits_prefetched_state", default=None)


class EtagConflict(KeyError):
    """The document changed since it was read (another turn or replica wrote it first).

    A KeyError, like MemoryStorage's conflict, so code written against MemoryStorage still works.
    """

    def __init__(self, key: str, expected: str, current: str) -> None:
        super().__init__(key)
        self.key, self.expected, self.current = key, expected, current

    def __str__(self) -> str:
        return (
            f"etag conflict on {self.key!r}: written with {self.expected!r}, "
            f"stored {self.current!r}"
        )


def storage_key(key: str) -> str:
    """Keys longer than the column are shortened with a hash (as botbuilder's Cosmos storage).

    So is a key that could not be stored as it is (a NUL, an unpaired surrogate: bot/edge.py
    keeps them out of channel and conversation ids, but a key must never fail a turn); the
    hash is of the whole key, and the readable prefix is kept only when it can be stored."""
    if text_problem(key, MAX_KEY) is None:
        return key
    digest = hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()
    prefix = key[: MAX_KEY - _HASH_LEN]
    return (prefix if text_problem(prefix, MAX_KEY) is None else "") + digest


def dialect_insert(db: Database) -> Any:
    """The dialect's INSERT, which has ON CONFLICT DO NOTHING / DO UPDATE."""
    return pg_insert if db.dialect == "postgresql" else sqlite_insert


def _etag_of(item: object) -> str | None:
    value = item.get("e_tag") if isinstance(item, Mapping) else getattr(item, "e_tag", None)
    return None if value is None else str(value)


def _set_etag(item: object, etag: str) -> None:
    if isinstance(item, dict):
        item["e_tag"] = etag
        return
    with contextlib.suppress(AttributeError, TypeError):  # slots, frozen: no etag to carry
        item.e_tag = etag  # type: ignore[attr-defined]


def _encode(item: object) -> str:
    flat = Pickler().flatten(item)
    if isinstance(flat, dict):
        flat.pop("e_tag", None)
    return json.dumps(flat, separators=(",", ":"), allow_nan=False)


def _decode(document: str, etag: str) -> object:
    flat = json.loads(document)
    if isinstance(flat, dict):
        flat["e_tag"] = etag
    return Unpickler().restore(flat, reset=True)


def _decoded(documents: Prefetched, keys: Sequence[str]) -> dict[str, Any]:
    decoded = {}
    for key in keys:
        stored = documents.get(key)
        if stored is not None:
            decoded[key] = _decode(*stored)
    return decoded


class SqlStorage(Storage):
    """One per process; safe for concurrent turns (every call is one transaction)."""

    def __init__(self, db: Database, *, clock: Clock | None = None) -> None:
        super().__init__()
        self.db = db
        self.clock = clock or SystemClock()

    async def read(self, keys: Sequence[str]) -> dict[str, Any]:
        if not keys:
            return {}
        found = _PREFETCHED.get()
        if found is not None and all(key in found for key in keys):
            _PREFETCHED.set(None)  # once: a later read in the turn sees what the turn wrote
            return _decoded(found, keys)
        documents = await self.db.run_read(lambda conn: self.documents(conn, keys))
        return _decoded(documents, keys)

    def documents(self, conn: Connection, keys: Sequence[str]) -> Prefetched:
        """The stored documents and etags of `keys` (None: not stored), read on `conn`."""
        wanted = {storage_key(key): key for key in keys}
        rows: Iterable[Any]
        if len(wanted) == 1:  # a turn reads its conversation's state: one key, one statement
            rows = _ONE_DOCUMENT.run(conn, {"key": next(iter(wanted))}).rows
        else:
            rows = conn.execute(_DOCUMENTS.where(bot_state.c.key.in_(list(wanted))))
        found: Prefetched = dict.fromkeys(keys)
        for row in rows:
            found[wanted[row.key]] = (row.document, row.etag)
        return found

    @staticmethod
    def prefetch(documents: Prefetched | None) -> None:
        """What the turn read already (`documents`, in its first transaction): the turn's next
        `read` of those keys takes it instead of reading again, once."""
        _PREFETCHED.set(documents)

    async def write(self, changes: Mapping[str, object]) -> None:
        if changes is None:
            raise TypeError("SqlStorage.write(): changes are required")
        if not changes:
            return
        prepared = []
        for key, item in changes.items():
            expected = _etag_of(item)
            if expected == "":
                raise ValueError(f"SqlStorage.write(): empty etag for {key!r}")
            prepared.append((key, item, expected, _encode(item), uuid.uuid4().hex))
        now = self.clock.now().astimezone(UTC)

        def write_all(conn: Connection) -> None:
            for key, _item, expected, document, etag in prepared:
                self._write_one(conn, storage_key(key), expected, document, etag, now)

        await self.db.run_write(write_all)
        for _key, item, _expected, _document, etag in prepared:
            _set_etag(item, etag)

    def _write_one(
        self,
        conn: Connection,
        key: str,
        expected: str | None,
        document: str,
        etag: str,
        now: datetime,
    ) -> None:
        values = {"etag": etag, "document": document, "updated_at": now}
        if expected is None or expected == "*":
            stmt = dialect_insert(self.db)(bot_state).values(key=key, **values)
            conn.execute(stmt.on_conflict_do_update(index_elements=["key"], set_=values))
            return
        updated = conn.execute(
            update(bot_state)
            .where(bot_state.c.key == key, bot_state.c.etag == expected)
            .values(**values)
        )
        if updated.rowcount == 1:
            return
        current = conn.execute(
            select(bot_state.c.etag).where(bot_state.c.key == key)
        ).scalar_one_or_none()
        if current is not None:
            raise EtagConflict(key, expected, current)
        created = conn.execute(
            dialect_insert(self.db)(bot_state).values(key=key, **values).on_conflict_do_nothing()
        )
        if created.rowcount != 1:  # created by someone else since our UPDATE: they won
            raise EtagConflict(key, expected, "(new)")

    async def delete(self, keys: Sequence[str]) -> None:
        if not keys:
            return
        statement = delete(bot_state).where(bot_state.c.key.in_([storage_key(k) for k in keys]))
        await self.db.run_write(lambda conn: conn.execute(statement))
