"""The reads a pending revision makes, run for real and always rolled back.

One scope per revision, opened at its first read: a savepoint (or a
transaction) on the migration's connection, read-only where the database can
make it so, with the data checks' statement timeout, rolled back when the
revision's recording ends.  Each statement runs in a savepoint of its own
inside it, so a read the database refuses (a table that does not exist yet)
leaves the scope usable and ends only that revision's recording.

What a read sees: the database as it was before the upgrade, except that a
table the pending set created or reshaped so far is read through a stand-in of
the same name (see :mod:`.pending`).  Rows an earlier pending write would have
changed are seen unchanged; the finding says so.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Connection
from sqlalchemy.engine.reflection import Inspector

from ..lost_connection import is_lost
from .bind import is_read_only_violation
from .context import read_only
from .pending import (
    PendingInspector,
    PendingSchema,
    ShadowTable,
    TableKey,
    from_database,
    with_stand_ins,
)
from .session import Recorder
from .sql import shorten


def _sql_of(statement: Any, connection: Connection | None) -> str:
    try:
        if connection is not None and hasattr(statement, "compile"):
            return str(statement.compile(dialect=connection.dialect))
        return str(getattr(statement, "text", statement))
    except Exception:
        return f"<{type(statement).__name__}>"


class ReadScope:
    """Answers one revision's reads from the database (or says why it cannot)."""

    def __init__(
        self,
        state: Recorder,
        connection: Connection | None,
        pending: PendingSchema,
        without_database: str,
    ) -> None:
        self._state = state
        self.connection = connection
        self.pending = pending
        #: why there is no database to read (lint, offline --sql)
        self._without_database = without_database
        self._stack: ExitStack | None = None

    # -- the scope -------------------------------------------------------------

    @contextmanager
    def block(self) -> Iterator[Connection]:
        """The connection inside the revision's scope, in a savepoint of its own."""
        connection = self.connection
        if connection is None:
            raise self.no_database("reads the database")
        if self._stack is None:
            stack = ExitStack()
            stack.enter_context(read_only(connection))
            self._stack = stack
        savepoint = connection.begin_nested()
        try:
            yield connection
        except BaseException:
            if savepoint.is_active and not connection.invalidated:
                savepoint.rollback()
            raise
        else:
            if savepoint.is_active:
                savepoint.commit()

    def close(self) -> None:
        """Roll back everything the revision's reads did."""
        stack, self._stack = self._stack, None
        if stack is not None:
            stack.close()

    def no_database(self, what: str) -> BaseException:
        return self._state.stop(f"{what}, and {self._without_database}")

    # -- answers -----------------------------------------------------------------

    def load(self, key: TableKey) -> ShadowTable | None:
        if self.connection is None:
            return None  # no database (lint): what the history so far created, nothing else
        with self.block() as connection:
            return from_database(Inspector._construct(Inspector._init_connection, connection), key)

    def inspector(self, bind: Any) -> PendingInspector:
        return PendingInspector.over(
            bind, self.connection, self.pending, self.block, self.no_database
        )

    def run(
        self,
        execute: Callable[[Connection], Any],
        statement: Any,
        *,
        fallback: Callable[[], Any],
    ) -> Any:
        """Run a read for real; a statement PostgreSQL finds to write is recorded instead."""
        sql = _sql_of(statement, self.connection)
        if self.connection is None:
            raise self.no_database(f"reads rows (`{shorten(sql, 70)}`)")
        self._state.note_read()
        connection = self.connection
        entries = self.pending.stand_ins(sql, connection.dialect, self.load)

        def stand_in(
            conn: Any, cursor: Any, text: str, params: Any, context: Any, many: bool
        ) -> Any:
            return with_stand_ins(text, entries), params

        try:
            with self.block():
                if entries:
                    event.listen(connection, "before_cursor_execute", stand_in, retval=True)
                try:
                    result = execute(connection)
                    # the rows must outlive the savepoint: buffer them now
                    if getattr(result, "returns_rows", False) and hasattr(
                        result, "cursor_strategy"
                    ):
                        result = _buffered(result)
                    return result
                finally:
                    if entries:
                        event.remove(connection, "before_cursor_execute", stand_in)
        except Exception as error:
            if is_lost(error, connection):
                raise
            if is_read_only_violation(error):
                return fallback()
            first = str(getattr(error, "orig", error)).strip().splitlines()
            raise self._state.stop(
                f"reads rows (`{shorten(sql, 70)}`), and the database refused the read: "
                f"{first[0] if first else type(error).__name__}"
                + (
                    " (a table the pending set creates with raw SQL cannot be read before it exists)"
                    if _MISSING_TABLE.search(first[0] if first else "")
                    else ""
                )
            ) from None


# PostgreSQL, MariaDB/MySQL and SQLite saying a table is not there
_MISSING_TABLE = re.compile(
    r"relation .* does not exist|table .* doesn't exist|no such table", re.IGNORECASE
)


def _buffered(result: Any) -> Any:
    """The same CursorResult with every row fetched now: SQLite's cursors read lazily, and
    the rows must outlive the savepoint the read ran in."""
    from sqlalchemy.engine.cursor import CursorFetchStrategy, FullyBufferedCursorFetchStrategy

    if type(result.cursor_strategy) is CursorFetchStrategy and result.cursor is not None:
        result.cursor_strategy = FullyBufferedCursorFetchStrategy(result.cursor)
    return result
