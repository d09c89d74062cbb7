"""The host's own rows beside the ledger, on the same database: the activities already handled
(Teams redelivers an activity, `first_delivery`) and the secrets a deployment makes for itself
(the card-signing key, `deployment_secret`). The tables are `processed_activities` and
`deployment_secrets` (credits/schema.py, with the migrations); the domain never reads them."""

from __future__ import annotations

import hashlib
import secrets

from sqlalchemy import select

from bot.storage import dialect_insert
from credits.clock import Clock, SystemClock
from credits.db import Database
from credits.schema import deployment_secrets, processed_activities


class HostStore:
    """One per process, on the Database the service and the bot's state use."""

    def __init__(self, db: Database, *, clock: Clock | None = None) -> None:
        self.db = db
        self.clock = clock or SystemClock()

    async def first_delivery(self, key: str) -> bool:
        """True the first time `key` is seen: Teams redelivers an activity after 15 s, possibly
        to another replica, and it must have one effect.

        The whole key is kept, as its SHA-256: keys of any length stay apart (a conversation id
        can be 450 characters), and none of its characters reaches the store."""
        digest = hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()
        statement = (
            dialect_insert(self.db)(processed_activities)
            .values(key=digest, created_at=self.clock.now())
            .on_conflict_do_nothing(index_elements=["key"])
        )
        return await self.db.run_write(lambda conn: bool(conn.execute(statement).rowcount))

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
