"""``op.get_bind()`` during the pre-flight: reads are answered, writes are recorded.

Real migrations read the database to decide what to write: an ORM session on
the bind, ``SELECT count(*)``, ``sa.inspect(bind)``, ``bind.engine.name``.
:class:`RecordingConnection` stands in for the connection.  A statement that
only reads (a ``SELECT``, ``SHOW``, ``EXPLAIN`` without ``ANALYZE``...) is run
for real in the revision's read scope, a read-only transaction or savepoint
that is always rolled back (see :mod:`.reads`); every other statement is
recorded as an operation and answered with a result that says how many rows
it was given.  What the stand-in cannot answer stops the recording of that one
revision (:class:`RecordingStopped`), never the pre-flight.
"""

from __future__ import annotations

import contextlib
import itertools
import re
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from alembic.operations import ops
from sqlalchemy import exc as sa_exc
from sqlalchemy import schema as sa_schema
from sqlalchemy.engine import Dialect, make_url
from sqlalchemy.engine.url import URL
from sqlalchemy.sql.elements import TextClause

from .session import Recorder

#: statements that only read, by their first keyword
_READ_KEYWORDS = frozenset(
    {"select", "with", "show", "explain", "values", "table", "describe", "desc"}
)
_FIRST_WORD = re.compile(r"^\s*(?:(?:--[^\n]*\n|/\*.*?\*/)\s*)*\(?\s*(\w+)", re.S)
_WRITING = re.compile(
    r"\b(insert|update|delete|merge|into|analyze|for\s+update|for\s+share)\b", re.I
)
_PRAGMA_SET = re.compile(r"^\s*pragma\s+[\w.]+\s*=", re.I)


def sql_reads_only(text: str) -> bool:
    """Whether raw SQL only reads: the recorder may run it for real (read-only, rolled back).

    Conservative: a ``SELECT ... INTO`` (creates a table on PostgreSQL), a
    data-modifying ``WITH``, ``EXPLAIN ANALYZE`` (runs the statement) and a
    locking read count as writes, and so are recorded.
    """
    match = _FIRST_WORD.match(text)
    if match is None:
        return False
    word = match.group(1).lower()
    if word == "pragma":
        return not _PRAGMA_SET.match(text)
    if word not in _READ_KEYWORDS:
        return False
    return _WRITING.search(_without_literals(text)) is None


def _without_literals(text: str) -> str:
    return re.sub(r"'(?:[^']|'')*'", "''", text)


def statement_reads_only(statement: Any) -> bool:
    if isinstance(statement, str):
        return sql_reads_only(statement)
    if isinstance(statement, TextClause):
        return sql_reads_only(statement.text)
    if getattr(statement, "is_select", False):
        # select(), union(), text().columns(); a locking select waits for writers
        return getattr(statement, "_for_update_arg", None) is None
    return False


def _parameter_sets(parameters: Any) -> list[Mapping[str, Any]]:
    if parameters is None:
        return []
    if isinstance(parameters, Mapping):
        return [parameters]
    if isinstance(parameters, Sequence) and not isinstance(parameters, (str, bytes)):
        return [p for p in parameters if isinstance(p, Mapping)] or [{}] * len(parameters)
    return [{}]


def recorded_operation(statement: Any) -> ops.MigrateOperation:
    """The Alembic operation a write through the bind amounts to."""
    if isinstance(statement, sa_schema.CreateTable):
        return ops.CreateTableOp.from_table(statement.element)
    if isinstance(statement, sa_schema.DropTable):
        return ops.DropTableOp.from_table(statement.element)
    if isinstance(statement, sa_schema.CreateIndex):
        return ops.CreateIndexOp.from_index(statement.element)
    if isinstance(statement, sa_schema.DropIndex):
        return ops.DropIndexOp.from_index(statement.element)
    return ops.ExecuteSQLOp(statement)


class _WriteContext:
    """What the ORM reads of a write's execution context after a flush."""

    def __init__(
        self, statement: Any, parameter_sets: list[Mapping[str, Any]], dialect: Dialect
    ) -> None:
        self.compiled = None
        self.compiled_parameters: list[dict[str, Any]] = [dict(p) for p in parameter_sets] or [{}]
        self.executemany = len(parameter_sets) > 1
        self.isinsert = bool(getattr(statement, "is_insert", False))
        # DML only: the ORM reads compiled parameters of its INSERT/UPDATE; DDL has none
        if getattr(statement, "is_dml", False):
            keys = list(parameter_sets[0]) if parameter_sets else []
            compiled = statement.compile(
                dialect=dialect, column_keys=keys, for_executemany=self.executemany
            )
            self.compiled = compiled
            self.compiled_parameters = [compiled.construct_params(p) for p in parameter_sets] or [
                compiled.construct_params()
            ]


class WriteResult:
    """The result of a recorded write: it matched the rows it was given, returned none.

    ``rowcount`` is the number of parameter sets, so that an ORM flush (which
    checks that each UPDATE matched its row) goes on.  Primary keys of inserted
    rows are made up (negative numbers): the rows are never written, and the
    ORM needs an identity for each object a migration adds.
    """

    returns_rows = False
    returned_defaults = None
    returned_defaults_rows = None

    _fake_keys = itertools.count(-1, -1)

    def __init__(self, state: Recorder, statement: Any, parameters: Any, dialect: Dialect) -> None:
        self._state = state
        self._statement = statement
        self._sets = _parameter_sets(parameters)
        # an UPDATE/DELETE construct matched one row per parameter set (an ORM flush checks
        # that); SQL text changed nothing, as it did not run: a loop repeating a batched
        # UPDATE until no row changes ends after one round
        self.rowcount = len(self._sets) if getattr(statement, "is_dml", False) else 0
        self.context = _WriteContext(statement, self._sets, dialect)

    @property
    def inserted_primary_key_rows(self) -> list[tuple[Any, ...]]:
        table = getattr(self._statement, "table", None)
        columns = list(getattr(table, "primary_key", ()))
        if not columns:
            return [() for _ in range(max(self.rowcount, 1))]
        rows = []
        for parameters in self.context.compiled_parameters:
            rows.append(
                tuple(
                    parameters.get(column.key)
                    if parameters.get(column.key) is not None
                    else next(self._fake_keys)
                    for column in columns
                )
            )
        return rows

    @property
    def inserted_primary_key(self) -> tuple[Any, ...]:
        return self.inserted_primary_key_rows[0]

    def __iter__(self) -> Iterator[Any]:
        return iter(())

    def fetchall(self) -> list[Any]:
        return []

    all = fetchall

    def fetchmany(self, size: int | None = None) -> list[Any]:
        return []

    def fetchone(self) -> None:
        return None

    first = scalar = one_or_none = scalar_one_or_none = fetchone

    def scalars(self, index: int = 0) -> WriteResult:
        return self

    def mappings(self) -> WriteResult:
        return self

    def close(self) -> None:
        return None

    def __enter__(self) -> WriteResult:
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def __getattr__(self, name: str) -> Any:
        raise self._state.stop(
            f"reads .{name} of the result of a write (a write is recorded during the "
            f"pre-flight, not run, so it has no result to read)"
        )


class _RecordedTransaction:
    """``bind.begin()`` / a session's transaction: nothing to commit, writes are recorded."""

    is_active = True

    def commit(self) -> None:
        self.is_active = False

    def rollback(self) -> None:
        self.is_active = False

    close = rollback

    def __enter__(self) -> _RecordedTransaction:
        return self

    def __exit__(self, *exc: object) -> None:
        self.is_active = False


class RecordingEngine:
    """``op.get_bind().engine``: the dialect and URL; connecting gives the same stand-in."""

    def __init__(self, bind: RecordingConnection, url: URL) -> None:
        self._bind = bind
        self.dialect = bind.dialect
        self.url = url

    @property
    def name(self) -> str:
        return str(self.dialect.name)

    @property
    def driver(self) -> str:
        return str(self.dialect.driver)

    def connect(self) -> RecordingConnection:
        return self._bind

    @contextlib.contextmanager
    def begin(self) -> Iterator[RecordingConnection]:
        yield self._bind

    def dispose(self, close: bool = True) -> None:
        return None

    def __getattr__(self, name: str) -> Any:
        raise self._bind._state.stop(
            f"uses op.get_bind().engine.{name}, which the recorder does not offer "
            f"(it answers .name, .dialect, .url, .connect() and .begin())"
        )


class RecordingConnection:
    """Stand-in for ``op.get_bind()`` while a pending revision is recorded."""

    def __init__(self, state: Recorder, dialect: Dialect) -> None:
        self._state = state
        self.dialect = dialect
        real = state.connection
        url = real.engine.url if real is not None else make_url(f"{dialect.name}://")
        self.engine = RecordingEngine(self, url)
        self.info: dict[Any, Any] = real.info if real is not None else {}
        self.closed = False
        self.invalidated = False

    # -- statements ------------------------------------------------------------

    def execute(
        self,
        statement: Any,
        parameters: Any = None,
        *,
        execution_options: Mapping[str, Any] | None = None,
    ) -> Any:
        if isinstance(statement, str):
            statement = TextClause(statement)
        if statement_reads_only(statement):
            return self._state.reads.run(
                lambda connection: connection.execute(
                    statement, parameters, execution_options=execution_options or {}
                ),
                statement,
                fallback=lambda: self._write(statement, parameters),
            )
        return self._write(statement, parameters)

    def exec_driver_sql(
        self, statement: str, parameters: Any = None, execution_options: Any = None
    ) -> Any:
        if sql_reads_only(statement):
            return self._state.reads.run(
                lambda connection: connection.exec_driver_sql(
                    statement, parameters, execution_options=execution_options or {}
                ),
                TextClause(statement),
                fallback=lambda: self._write(TextClause(statement), parameters),
            )
        return self._write(TextClause(statement), parameters)

    def scalar(self, statement: Any, parameters: Any = None, **kw: Any) -> Any:
        return self.execute(statement, parameters, **kw).scalar()

    def scalars(self, statement: Any, parameters: Any = None, **kw: Any) -> Any:
        return self.execute(statement, parameters, **kw).scalars()

    def _write(self, statement: Any, parameters: Any) -> WriteResult:
        self._state.record_write(recorded_operation(statement), repr(parameters))
        return WriteResult(self._state, statement, parameters, self.dialect)

    def _run_ddl_visitor(self, visitorcallable: Any, element: Any, **kwargs: Any) -> None:
        # metadata.create_all(bind), Enum(...).create(bind): the checkfirst probes are
        # reads, the CREATE statements writes
        visitorcallable(self.dialect, self, **kwargs).traverse_single(element)

    def schema_for_object(self, element: Any) -> str | None:
        real = self._state.connection
        if real is not None:
            return real.schema_for_object(element)  # type: ignore[no-any-return]
        return getattr(element, "schema", None)

    # -- transactions and connections: nothing to begin or end -----------------

    def begin(self) -> _RecordedTransaction:
        return _RecordedTransaction()

    begin_nested = begin

    def in_transaction(self) -> bool:
        return False

    def in_nested_transaction(self) -> bool:
        return False

    def get_transaction(self) -> None:
        return None

    def commit(self) -> None:
        return None

    rollback = close = commit

    def connect(self) -> RecordingConnection:
        return self

    def execution_options(self, **_: Any) -> RecordingConnection:
        return self

    def get_execution_options(self) -> dict[str, Any]:
        return {}

    def __enter__(self) -> RecordingConnection:
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def __getattr__(self, name: str) -> Any:
        what = (
            f"the connection's internals (.{name})"
            if name.startswith("_")
            else f"op.get_bind().{name}"
        )
        raise self._state.stop(
            f"uses {what}, which the recorder does not offer (it answers reads, records "
            f"writes, and gives .dialect, .engine and sa.inspect())"
        )


def is_read_only_violation(error: BaseException) -> bool:
    """PostgreSQL refused a statement in the read-only scope: it writes after all."""
    original = getattr(error, "orig", None)
    code = getattr(original, "sqlstate", None) or getattr(original, "pgcode", None)
    return isinstance(error, sa_exc.DBAPIError) and code == "25006"
