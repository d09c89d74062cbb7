"""Alembic environment: migrations run on the connection credits.db.Database hands in."""

from __future__ import annotations

from alembic import context

from credits.schema import metadata

connection = context.config.attributes.get("connection")
if connection is None:  # pragma: no cover - only reached through `alembic` by hand
    raise RuntimeError("run migrations through credits.db.Database.migrate()")

context.configure(connection=connection, target_metadata=metadata, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
