"""The host's own rows beside the ledger, on the same database: the activities already handled
(Teams redelivers an activity, `first_delivery`) and the secrets a deployment makes for itself
(the card-signing key, `deployment_secret`). The tables are `processed_activities` and
`deployment_secrets` (credits/schema.py, with the migrations); the domain never reads them."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable
from typing import TypeVar

from sqlalchemy import Connection, bindparam, select

from bot.storage import dialect_insert
from credits.clock import Clock, SystemClock
from credits.db import Database
from credits.prepared import Prepared
from credits.schema import deployment_secrets, processed_activities

T = TypeVar("T")


class HostStore:
    """One per process, on the Database the service and the bot's state use."""

    def __init__(self, db: Database, *, clock: Clock | None = None) -> None:
        self.db = db
        self.clock = clock or SystemClock()
        # built once: a statement built anew costs more than running it
        self._seen = Prepared(
            dialect_insert(db)(processed_activities)
            .values(key=bindparam("key"), created_at=bindparam("at"))
            .on_conflict_do_nothing(index_elements=["key"])
        )

    async def first_delivery(self, key: str) -> bool:
        """True the first time `key` is seen: Teams redelivers an activity after 15 s, possibly
        to another replica, and it must have one effect.

        The whole key is kept, as its SHA-256: keys of any length stay apart (a conversation id
        can be 450 characters), and none of its characters reaches the store."""
        first, _ = await self.first_delivery_then(key, lambda conn: None)
        return first

    async def first_delivery_then(
        self, key: str, then: Callable[[Connection], T]
    ) -> tuple[bool, T | None]:
        """`first_delivery(key)`, and on a first delivery `then(conn)` right after, on the same
        connection (a turn reads its conversation's state there): one quick transaction on
        SQLite, two statements in autocommit on PostgreSQL (`Database.run_each`)."""
        digest = hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()
        values = {"key": digest, "at": self.clock.now()}

        def transaction(conn: Connection) -> tuple[bool, T | None]:
            if not self._seen.run(conn, values).rowcount:
                return False, None
            return True, then(conn)

        return await self.db.run_each(transaction, writes=True)

    async def deployment_secret(self, name: str) -> str:
        """A random secret made once per database and shared by every replica."""
        insert = dialect_insert(self.db)
        async with self.db.write() as conn:
            await conn.execute(
                insert(deployment_secrets)
                .values(name=name, value=secrets.token_hex(32), created_at=self.clock.now())
                .on_conflict_do_nothing(index_elements=["name"])
            )
            found = await conn.execute(
                select(deployment_secrets.c.value).where(deployment_secrets.c.name == name)
            )
            return str(found.scalar_one())
