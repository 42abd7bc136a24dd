"""What a rule may ask about the world an operation runs in.

All database reads here are read-only, bounded by a statement timeout, and
run inside a savepoint that is rolled back, so a failing read (a column the
pending set only adds later, say) leaves the connection as it was.  Offline
(``--sql``) there is no connection and every answer is "unknown" (None).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import text
from sqlalchemy.engine import Connection

from ..dialects import Database, database_for, database_named
from ..lost_connection import is_lost
from ..sql_text import escape_text_binds, named_dialect

#: statement timeout for the guard's own data checks
DATA_CHECK_TIMEOUT_MS = 5000
#: a table without statistics is counted up to this many rows ("at least" beyond)
COUNT_CAP = 100_000


@dataclass
class RuleContext:
    """Facts about the target database and the pending set."""

    dialect: str
    server_version: tuple[int, ...] | None = None
    connection: Connection | None = None
    #: below this many rows a lock or a rewrite is brief: such findings become warnings
    small_table_rows: int = 0
    #: (schema, table) created by an earlier operation of the same pending set
    created_tables: set[tuple[str | None, str]] = field(default_factory=set)
    #: (schema, table, column) added by an earlier operation of the same pending set
    created_columns: set[tuple[str | None, str, str]] = field(default_factory=set)
    #: lower-cased names of indexes the pending set creates on its new tables
    created_indexes: set[str] = field(default_factory=set)
    #: PostgreSQL: the guard sets lock_timeout itself before the migrations run
    lock_timeout_set: bool = False
    _rows: dict[str | None, dict[str, int]] = field(default_factory=dict)

    #: (schema, table, column) with a validated CHECK (col IS NOT NULL) added earlier in the
    #: pending set; NOT VALID ones wait in pending_not_null_checks (name -> column) until
    #: a VALIDATE CONSTRAINT
    not_null_checks: set[tuple[str | None, str, str]] = field(default_factory=set)
    pending_not_null_checks: dict[str, tuple[str | None, str, str]] = field(default_factory=dict)
    #: env.py's transaction_per_migration: locks end with each revision, not the upgrade
    transaction_per_migration: bool = False
    #: the connection's default schema: schema=None and schema="public" are one place
    default_schema: str | None = None
    #: (revision, schema, view) created by some operation of that revision: a drop of such a
    #: view is a re-creation (a changed definition, a column change under it), not a loss
    recreated_views: set[tuple[str, str | None, str]] = field(default_factory=set)

    @property
    def database(self) -> Database:
        """What the target database does differently (by the rules' name for it)."""
        return database_named(self.dialect)

    def schema_key(self, schema: str | None) -> str | None:
        return None if schema == self.default_schema else schema

    def is_new_table(self, schema: str | None, table: str | None) -> bool:
        return table is not None and (self.schema_key(schema), table) in self.created_tables

    def is_new_column(self, schema: str | None, table: str, column: str) -> bool:
        return (
            self.is_new_table(schema, table)
            or (self.schema_key(schema), table, column) in self.created_columns
        )

    def version_at_least(self, *version: int) -> bool:
        return self.server_version is not None and self.server_version >= version

    # -- data-aware facts ----------------------------------------------------

    def table_rows(self, schema: str | None, table: str) -> int | None:
        """Estimated rows (catalog statistics, one query per schema); None if unknown."""
        if self.connection is None:
            return None
        if schema not in self._rows:
            self._rows[schema] = self._read_row_estimates(schema)
        estimate = self._rows[schema].get(table)
        if estimate is None or estimate < 0:
            # never analysed (PostgreSQL reports -1), or no statistics: count, up to a cap
            limit = max(self.small_table_rows, COUNT_CAP)
            counted = self.scalar(
                f"SELECT count(*) FROM (SELECT 1 FROM {self.quote(schema, table)} LIMIT {limit + 1}) AS t"
            )
            return counted
        return estimate

    def is_small(self, schema: str | None, table: str | None) -> bool:
        """True when the table is known to hold fewer rows than ``small_table_rows``."""
        if table is None or self.small_table_rows <= 0:
            return False
        rows = self.table_rows(schema, table)
        return rows is not None and rows < self.small_table_rows

    def _read_row_estimates(self, schema: str | None) -> dict[str, int]:
        assert self.connection is not None
        query = database_for(self.connection.dialect).row_estimates_sql
        if query is None:
            return {}
        rows = self.rows(query, {"schema": schema})
        return {str(name): int(count) for name, count in rows or () if count is not None}

    def quote(self, schema: str | None, table: str, column: str | None = None) -> str:
        """The quoted name for SQL text run by :meth:`rows` (``text()``: ``:x`` escaped)."""
        return escape_text_binds(self.identifier(schema, table, column))

    def identifier(self, schema: str | None, table: str, column: str | None = None) -> str:
        """The quoted name as the database reads it (e.g. a bound value for to_regclass)."""
        assert self.connection is not None
        # the named twin's preparer writes % once; text() doubles it for the driver
        preparer = named_dialect(self.connection.dialect).identifier_preparer
        name = preparer.quote(table)
        if schema:
            name = f"{preparer.quote_schema(schema)}.{name}"
        return f"{name}.{preparer.quote(column)}" if column else name

    def scalar(self, sql: str, params: Mapping[str, Any] | None = None) -> int | None:
        rows = self.rows(sql, params)
        return int(rows[0][0]) if rows and rows[0][0] is not None else None

    def rows(
        self, sql: str, params: Mapping[str, Any] | None = None
    ) -> list[tuple[Any, ...]] | None:
        """Run a read-only query; None when it fails or times out (a lost connection raises)."""
        if self.connection is None:
            return None
        try:
            with self._bounded():
                return [tuple(r) for r in self.connection.execute(text(sql), dict(params or {}))]
        except Exception as error:
            if is_lost(error, self.connection):
                # not an unknown answer: nothing else can run on this connection
                raise
            return None

    @contextmanager
    def _bounded(self) -> Iterator[None]:
        assert self.connection is not None
        with read_only(self.connection):
            yield


@contextmanager
def read_only(connection: Connection) -> Iterator[None]:
    """A savepoint (or transaction) that is always rolled back, read-only where the
    database can make it so, with the data checks' statement timeout."""
    savepoint = connection.begin_nested() if connection.in_transaction() else connection.begin()
    try:
        with database_for(connection.dialect).bounded_reads(connection, DATA_CHECK_TIMEOUT_MS):
            yield
    finally:
        if savepoint.is_active:
            savepoint.rollback()
