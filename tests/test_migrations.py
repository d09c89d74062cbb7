"""The schema is made and upgraded by Alembic migrations, in place, keeping data."""

from __future__ import annotations

import asyncio
import os
import sys
from typing import Any

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from conftest import Backend
from sqlalchemy import Connection, inspect

from credits.db import Database, alembic_config
from credits.models import Actor
from credits.schema import metadata

ADA = Actor("aad-ada", "Ada")


def _diff(connection: Connection) -> list[Any]:
    context = MigrationContext.configure(connection)
    return list(compare_metadata(context, metadata))


def _downgrade(connection: Connection) -> None:
    command.downgrade(alembic_config(connection), "base")


async def test_migrations_match_the_schema_in_code(backend: Backend, make_service: Any) -> None:
    """A change to credits/schema.py without a migration fails here."""
    service = await make_service()
    async with service.db.read() as conn:
        assert await conn.run_sync(_diff) == []
    heads = ScriptDirectory.from_config(alembic_config()).get_heads()
    assert [await service.db.current_revision()] == heads


async def test_upgrading_an_existing_database_keeps_its_data(
    backend: Backend, make_service: Any
) -> None:
    first = await make_service()
    await first.add_funds("t", "50", ADA, "k")
    await first.set_auto_recharge("t", ADA, enabled=True, amount="100", trigger="20")
    await first.close()
    # a new process (a new version of the bot) opens the same database: migrate is a no-op
    second = await make_service()
    view = await second.account("t")
    assert view.balance.minor == 5000 and view.recharge.enabled
    assert len((await second.history("t")).entries) == 1


async def test_downgrade_to_nothing_and_back(backend: Backend) -> None:
    db = Database(backend.url, schema=backend.schema)
    try:
        await db.migrate()
        async with db.write() as conn:
            await conn.run_sync(_downgrade)
        async with db.read() as conn:
            tables = await conn.run_sync(lambda c: inspect(c).get_table_names())
        assert set(tables) <= {"alembic_version"}
        await db.migrate()
        assert await db.current_revision() is not None
    finally:
        await db.dispose()


async def test_replicas_starting_together_on_a_new_database_all_come_up(backend: Backend) -> None:
    """`docker compose up --scale bot=3` on an empty database: every replica (an OS process)
    migrates at start, at the same moment. One creates the schema; the others wait for it and
    find it done, instead of failing on a half-made schema."""
    env = {**os.environ, **backend.env()}
    procs = [
        await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bot.cli",
            "db-upgrade",
            env=env,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
        )
        for _ in range(4)
    ]
    outputs = await asyncio.wait_for(asyncio.gather(*(p.communicate() for p in procs)), 120)
    for proc, (out, _) in zip(procs, outputs, strict=True):
        assert proc.returncode == 0, out.decode()
    db = Database(backend.url, schema=backend.schema)
    try:
        heads = ScriptDirectory.from_config(alembic_config()).get_heads()
        assert [await db.current_revision()] == heads
        async with db.read() as conn:
            assert await conn.run_sync(_diff) == []
    finally:
        await db.dispose()


def test_the_head_revision_in_code_is_alembics() -> None:
    """`HEAD_REVISION` lets a database at the newest schema open without Alembic: a new
    migration must move it (else the migration would never run)."""
    from credits.db import HEAD_REVISION

    assert ScriptDirectory.from_config(alembic_config()).get_heads() == [HEAD_REVISION]


async def test_an_up_to_date_database_opens_without_alembic(tmp_path: Any) -> None:
    """A process that opens a database already at the newest schema does not import Alembic
    (its modules stay out of every `serve` process's memory)."""
    url = f"sqlite:///{tmp_path}/up.db"
    script = (
        "import asyncio, sys\n"
        "from credits.db import Database\n"
        "async def main():\n"
        f"    db = Database({url!r})\n"
        "    await db.migrate()\n"
        "    await db.dispose()\n"
        "asyncio.run(main())\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] == 'alembic')[:1])\n"
    )
    said = []
    for _ in range(2):  # the first makes the database (with Alembic), the second opens it
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-c", script, stdout=asyncio.subprocess.PIPE
        )
        out, _ = await process.communicate()
        assert process.returncode == 0
        said.append(out.decode().strip())
    assert said == ["['alembic']", "[]"]
