"""Statements a turn runs every time (the redelivery dedupe, the conversation's state, the
account view), compiled once and run straight on SQLite's connection.

SQLAlchemy's execution of a statement (its cache key, execution context and result objects)
costs ten times what these short statements cost SQLite itself. On a quick SQLite connection
(credits/sqlite_inline.py: already on the event loop's thread, in a transaction SQLAlchemy
began) a `Prepared` statement is compiled once for the dialect and run on the sqlite3
connection, its parameters and results converted by the column types' own processors, as
SQLAlchemy converts them. Anywhere else (PostgreSQL, the threaded engine) it is run by
SQLAlchemy as usual.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Dialect
from sqlalchemy.sql.expression import Executable

from credits.sqlite_inline import InlineConnection


class Found(dict[str, Any]):
    """A row read by a `Prepared` statement: its columns by name, as keys and as attributes
    (what the callers read of a SQLAlchemy `Row`: attributes, and `_mapping`)."""

    def __getattr__(self, name: str) -> Any:
        try:
            return self[name]
        except KeyError:
            raise AttributeError(name) from None

    @property
    def _mapping(self) -> Mapping[str, Any]:
        return self


@dataclass(frozen=True, slots=True)
class _Plan:
    """How to run a statement on sqlite3; `sql` None: run it through SQLAlchemy (a statement
    whose parameters are rendered at each run, such as `IN` with an expanding list)."""

    sql: str | None
    names: tuple[str, ...]
    defaults: Mapping[str, Any]  # the values written into the statement (literals)
    binds: tuple[Callable[[Any], Any] | None, ...]
    keys: tuple[str, ...]
    results: tuple[Callable[[Any], Any] | None, ...]


@dataclass(slots=True)
class Ran:
    """What a `Prepared` statement gave: its rows and how many rows it changed."""

    rows: list[Any]
    rowcount: int


class Prepared:
    """One statement, compiled once per dialect, run with a dict of its named parameters."""

    def __init__(self, statement: Executable) -> None:
        self.statement = statement
        self._plans: dict[str, _Plan] = {}

    def run(self, conn: Connection, values: Mapping[str, Any]) -> Ran:
        driver = conn.connection.driver_connection
        plan = self._plan(conn.dialect) if isinstance(driver, InlineConnection) else None
        if plan is None or plan.sql is None or not isinstance(driver, InlineConnection):
            result = conn.execute(self.statement, dict(values))
            rows = list(result) if result.returns_rows else []
            return Ran(rows, result.rowcount if not result.returns_rows else len(rows))
        params = []
        for name, bind in zip(plan.names, plan.binds, strict=True):
            value = values[name] if name in values else plan.defaults[name]
            params.append(value if bind is None else bind(value))
        cursor: sqlite3.Cursor = driver.sqlite().execute(plan.sql, params)
        found = [_row(plan, raw) for raw in cursor.fetchall()] if plan.keys else []
        return Ran(found, cursor.rowcount)

    def _plan(self, dialect: Dialect) -> _Plan:
        plan = self._plans.get(dialect.name)
        if plan is None:
            plan = self._plans[dialect.name] = _compile(self.statement, dialect)
        return plan


def _compile(statement: Executable, dialect: Dialect) -> _Plan:
    compiled = statement.compile(dialect=dialect)  # type: ignore[attr-defined]
    names: tuple[str, ...] = tuple(compiled.positiontup or ())
    if any(bind.expanding for bind in compiled.binds.values()):
        return _Plan(None, (), {}, (), (), ())
    defaults = {
        name: compiled.binds[name].effective_value
        for name in names
        if not compiled.binds[name].required
    }
    # the types as the dialect has them (SQLite's DATETIME writes and reads its own strings)
    binds = tuple(
        compiled.binds[name].type.dialect_impl(dialect).bind_processor(dialect) for name in names
    )
    columns: Sequence[Any] = list(getattr(statement, "selected_columns", ()))
    if not columns:
        columns = list(getattr(statement, "_returning", ()))
    return _Plan(
        sql=compiled.string,
        names=names,
        defaults=defaults,
        binds=binds,
        keys=tuple(column.key for column in columns),
        results=tuple(
            column.type.dialect_impl(dialect).result_processor(dialect, None) for column in columns
        ),
    )


def _row(plan: _Plan, raw: Sequence[Any]) -> Found:
    return Found(
        (key, value if convert is None or value is None else convert(value))
        for key, value, convert in zip(plan.keys, raw, plan.results, strict=True)
    )
