"""Run a migration's ``upgrade()`` with every operation recorded, none executed.

All ``op.xxx()`` calls go through :meth:`Operations.invoke`; the recorder
replaces it on a private :class:`Operations` instance installed as the
``alembic.op`` proxy.  ``op.batch_alter_table`` yields a recording batch,
``op.get_context()`` a view of the migration context whose
``autocommit_block()`` only marks the operations inside it, and
``op.get_bind()`` (also ``context.get_bind()``) a connection stand-in
(:mod:`.bind`): reads run for real, read-only and rolled back, writes are
recorded.  What the recorder cannot answer ends the recording of that one
revision: it becomes a :class:`NotRecordedOp`, which rule AG001 reports, and
the other revisions are recorded and judged as usual.
"""

from __future__ import annotations

import ast
import contextlib
import linecache
import sys
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

from alembic.operations import BatchOperations, Operations, ops
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspection

from ..errors import PreflightError
from .bind import RecordingConnection
from .pending import PendingSchema
from .reads import ReadScope
from .session import RecordingStopped
from .sql import shorten

#: why a revision's reads cannot be answered when there is no connection
NO_DATABASE_OFFLINE = "an offline (--sql) upgrade has no database to answer it"


@dataclass
class RecordedOp:
    """One operation a pending migration would perform."""

    op: ops.MigrateOperation
    revision: str
    path: str
    line: int
    in_batch: bool = False
    in_autocommit_block: bool = False
    #: rule code -> the reason it was allowed for this operation
    allowed: dict[str, str] = field(default_factory=dict)
    #: what the reader of a finding should know about how the revision was recorded
    note: str | None = None


class NotRecordedOp(ops.MigrateOperation):
    """The point where a revision's recording ended: what it asked, and why that had no answer.

    Operations recorded before it are judged as usual; what the revision does after
    it was not seen.
    """

    def __init__(self, reason: str) -> None:
        self.reason = reason

    def to_diff_tuple(self) -> tuple[Any, ...]:
        return ("not_recorded", self.reason)


#: the same write this often from one line ends the recording (a loop on the database's answer)
REPEATED_WRITE_LIMIT = 20


@dataclass
class _RecorderState:
    revision: str
    path: str
    pending: PendingSchema
    connection: Any = None
    records: list[RecordedOp] = field(default_factory=list)
    batch_depth: int = 0
    autocommit_depth: int = 0
    allowed: list[dict[str, str]] = field(default_factory=list)
    #: the first thing the recorder could not answer (the revision is not fully recorded)
    stopped: RecordingStopped | None = None
    stopped_at: int = 0
    #: line of the first read made after earlier pending operations (which did not run)
    stale_read_line: int | None = None
    #: line of the first read made after this revision's own recorded operations
    read_after_own_write: int | None = None
    without_database: str = NO_DATABASE_OFFLINE
    #: how often each (line, SQL, parameters) write was recorded
    repeated_writes: Counter[tuple[int, str, str]] = field(default_factory=Counter)
    reads: ReadScope = field(init=False)

    def __post_init__(self) -> None:
        self.reads = ReadScope(self, self.connection, self.pending, self.without_database)

    def call_site(self) -> int:
        """Line of the innermost frame that belongs to the migration file."""
        frame = sys._getframe(1)
        target = str(Path(self.path).resolve())
        name = Path(self.path).name
        while frame is not None:
            filename = frame.f_code.co_filename
            if filename == self.path or (
                filename.endswith(name) and str(Path(filename).resolve()) == target
            ):
                return frame.f_lineno
            frame = frame.f_back  # type: ignore[assignment]
        return 0

    def _allowed_now(self) -> dict[str, str]:
        allowed: dict[str, str] = {}
        for scope in self.allowed:
            allowed.update(scope)
        return allowed

    def record(self, op: ops.MigrateOperation) -> None:
        self.pending.apply(op)
        self.records.append(
            RecordedOp(
                op=op,
                revision=self.revision,
                path=self.path,
                line=self.call_site(),
                in_batch=self.batch_depth > 0,
                in_autocommit_block=self.autocommit_depth > 0,
                allowed=self._allowed_now(),
            )
        )

    def record_write(self, op: ops.MigrateOperation, parameters: str = "") -> None:
        """A write through the bind; the same statement from the same line (a loop over
        rows) is one operation.  The very same write (parameters too) over and over is a loop
        waiting for the database to change, which it does not while writes are recorded:
        the recording stops there rather than spin."""
        line = self.call_site()
        if isinstance(op, ops.ExecuteSQLOp):
            key = (line, sql_text(op.sqltext), parameters)
            self.repeated_writes[key] += 1
            if self.repeated_writes[key] >= REPEATED_WRITE_LIMIT:
                raise self.stop(
                    f"repeats the same write (`{shorten(sql_text(op.sqltext), 70)}`) "
                    f"{REPEATED_WRITE_LIMIT} times: a loop that waits for the database to "
                    "change, which it does not while its writes are recorded instead of run"
                )
        last = self.records[-1] if self.records else None
        if (
            last is not None
            and isinstance(op, ops.ExecuteSQLOp)
            and isinstance(last.op, ops.ExecuteSQLOp)
            and last.line == line
            and sql_text(last.op.sqltext) == sql_text(op.sqltext)
        ):
            return
        self.record(op)

    def note_read(self) -> None:
        if self.stale_read_line is None and self.pending.operations:
            self.stale_read_line = self.call_site()
        if self.read_after_own_write is None and self.records:
            self.read_after_own_write = self.call_site()

    def stop(self, reason: str) -> RecordingStopped:
        """The recorder cannot answer what the migration asks: end this revision's recording."""
        line = self.call_site()
        source = linecache.getline(self.path, line).strip() if line else ""
        where = f"line {line} (`{source}`)" if source else f"line {line}"
        stopped = RecordingStopped(f"{where} {reason}", line)
        if self.stopped is None:
            self.stopped = stopped
            self.stopped_at = len(self.records)
        return stopped


def sql_text(sqltext: Any) -> str:
    """Text of an op.execute argument, for messages and comparisons; a construct that
    compiles only for one dialect must not crash them."""
    if isinstance(sqltext, str):
        return sqltext
    try:
        return str(getattr(sqltext, "text", None) or sqltext)
    except Exception:
        return f"<{type(sqltext).__name__}>"


_active: list[_RecorderState] = []


def active_recorder() -> _RecorderState | None:
    """The recorder of the migration being inspected, if the pre-flight is running."""
    return _active[-1] if _active else None


@inspection._inspects(RecordingConnection)
def _inspect_recording_bind(bind: RecordingConnection) -> Any:
    # sa.inspect(op.get_bind()): the database's catalog with the pending set's changes
    state = cast(_RecorderState, bind._state)  # the recorder this module made it with
    return state.reads.inspector(bind)


class _RecordingContext:
    """The MigrationContext handed to ``op.get_context()``, without its way to the connection."""

    # nothing here can reach the connection: impl and environment_context could
    _passthrough = frozenset(
        {"dialect", "as_sql", "opts", "config", "script", "version_table", "version_table_schema"}
    )

    def __init__(self, state: _RecorderState, context: MigrationContext) -> None:
        self._state = state
        self._context = context
        self.bind = self.connection = RecordingConnection(state, context.dialect)

    @contextlib.contextmanager
    def autocommit_block(self) -> Iterator[None]:
        self._state.autocommit_depth += 1
        try:
            yield
        finally:
            self._state.autocommit_depth -= 1

    def execute(self, sql: Any, execution_options: Any = None) -> None:
        self._state.record(ops.ExecuteSQLOp(sql, execution_options=execution_options))

    def __getattr__(self, name: str) -> Any:
        if name in self._passthrough:
            return getattr(self._context, name)
        raise self._state.stop(
            f"calls op.get_context().{name}, which the recorder cannot answer without "
            f"running the migration"
        )


class _BatchTarget:
    """The little a BatchOperations needs from its impl to build operations."""

    def __init__(self, table_name: str, schema: str | None) -> None:
        self.table_name = table_name
        self.schema = schema


def _recording_operations(state: _RecorderState, context: MigrationContext) -> Operations:
    operations = Operations(context)
    recording_context = _RecordingContext(state, context)

    def invoke(operation: ops.MigrateOperation) -> None:
        state.record(operation)

    @contextlib.contextmanager
    def batch_alter_table(
        table_name: str, schema: str | None = None, **_: Any
    ) -> Iterator[BatchOperations]:
        batch = BatchOperations(context, impl=_BatchTarget(table_name, schema))  # type: ignore[arg-type]
        batch.invoke = invoke  # type: ignore[method-assign,assignment]
        state.batch_depth += 1
        try:
            yield batch
        finally:
            state.batch_depth -= 1

    operations.invoke = invoke  # type: ignore[method-assign,assignment]
    operations.batch_alter_table = batch_alter_table  # type: ignore[method-assign,assignment]
    operations.get_context = lambda: recording_context  # type: ignore[method-assign,assignment,return-value]
    operations.get_bind = lambda: recording_context.bind  # type: ignore[method-assign,assignment,return-value]
    return operations


@contextlib.contextmanager
def _environment_answering(
    state: _RecorderState, recording_context: _RecordingContext, context: MigrationContext
) -> Iterator[None]:
    """``from alembic import context``: ``context.get_bind()`` / ``get_context()`` /
    ``execute()`` answer as ``op`` does, and ``is_offline_mode()`` says whether the
    run is offline.  Without a running env.py (lint) a bare environment stands in."""
    import alembic.context as module
    from alembic.config import Config
    from alembic.runtime.environment import EnvironmentContext

    installed = getattr(module, "_proxy", None) is not None
    if not installed:
        environment = EnvironmentContext(Config(), None, as_sql=bool(context.as_sql))  # type: ignore[arg-type]
        environment._migration_context = context
        environment._install_proxy()
    names = ("get_bind", "get_context", "execute")
    saved = {name: module.__dict__.get(name) for name in names}
    module.__dict__.update(
        get_bind=lambda: recording_context.bind,
        get_context=lambda: recording_context,
        execute=lambda sql, execution_options=None: recording_context.execute(
            sql, execution_options
        ),
    )
    try:
        yield
    finally:
        if installed:
            module.__dict__.update(saved)
        else:
            module._proxy._remove_proxy()  # type: ignore[attr-defined]


def record_upgrade(
    script: Any,
    context: MigrationContext,
    allowed: dict[str, str] | None = None,
    arguments: dict[str, Any] | None = None,
    *,
    pending: PendingSchema | None = None,
    without_database: str = NO_DATABASE_OFFLINE,
) -> list[RecordedOp]:
    """Record every operation of ``script.module.upgrade()``; execute nothing.

    ``allowed`` (rule code -> reason) applies to every operation of the revision.
    ``pending`` carries what earlier revisions of the same run recorded, so that
    reads and inspection see the tables they create.  A revision whose
    recording ends early ends with a :class:`NotRecordedOp`.
    """
    connection = None if context.as_sql else context.connection
    state = _RecorderState(
        revision=script.revision,
        path=script.path,
        pending=pending
        if pending is not None
        else PendingSchema(context.dialect.default_schema_name),
        connection=connection,
        without_database=without_database,
    )
    if allowed:
        state.allowed.append(dict(allowed))
    operations = _recording_operations(state, context)
    recording_context = operations.get_context()
    operations._install_proxy()
    _active.append(state)
    try:
        with _environment_answering(state, recording_context, context):  # type: ignore[arg-type]
            # the keyword arguments env.py passes to run_migrations (multidb: engine_name)
            script.module.upgrade(**(arguments or {}))
    except PreflightError:
        raise
    except RecordingStopped:
        pass  # state.stopped holds it
    except Exception as exc:
        if state.stopped is None and _own_final_check(exc, script.path, state):
            pass  # every operation was recorded; only its check of them could not run
        elif state.stopped is None:
            line = _traceback_line(exc, script.path)
            source = linecache.getline(script.path, line).strip() if line else ""
            why = (
                f" after it read the database at line {state.read_after_own_write}, following "
                "its own operations, which were recorded, not run: a migration that checks "
                "the effect of its own writes sees the database without them; review the "
                "revision by hand"
                if state.read_after_own_write is not None
                else " while it was recorded (if the migration is wrong, fix it; if it failed "
                "on an answer the recorder gave, review the revision by hand)"
            )
            state.stopped = RecordingStopped(
                f"its upgrade() raised {type(exc).__name__}: {exc}"
                + (f" at line {line} (`{source}`)" if source else f" at line {line}")
                + why,
                line,
            )
            state.stopped_at = len(state.records)
    finally:
        _active.pop()
        operations._remove_proxy()
        state.reads.close()
    records = state.records
    if state.stopped is not None:
        records.insert(
            state.stopped_at,
            RecordedOp(
                op=NotRecordedOp(state.stopped.reason),
                revision=script.revision,
                path=script.path,
                line=state.stopped.line,
                allowed=dict(allowed or {}),
            ),
        )
    if state.stale_read_line is not None:
        note = (
            f"its reads of the database (from line {state.stale_read_line}) saw the tables as "
            f"the pending set leaves them, but the rows as they were before the upgrade: "
            f"the {state.pending.operations} earlier pending operations were recorded, not run"
        )
        for record in records:
            record.note = note
    return records


def _own_final_check(exc: BaseException, path: str, state: _RecorderState) -> bool:
    """Whether ``upgrade()`` raised in its own last statement, checking what its recorded
    writes did (``if not index_is_valid(): raise ...`` after creating it).  The writes were
    recorded, not run, so the check fails; but nothing follows it, so nothing went unseen."""
    if state.read_after_own_write is None:
        return False
    tb = exc.__traceback__
    frame_line = 0
    while tb is not None:
        code = tb.tb_frame.f_code
        if code.co_filename == path:
            if code.co_name != "upgrade":
                return False  # raised in a helper, or deeper
            frame_line = tb.tb_lineno
        tb = tb.tb_next
    if not frame_line or frame_line < state.read_after_own_write:
        return False
    try:
        tree = ast.parse(Path(path).read_text(encoding="utf-8"))
    except (OSError, SyntaxError, ValueError):
        return False
    upgrade = next(
        (n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == "upgrade"), None
    )
    return upgrade is not None and _raise_is_last(upgrade.body, frame_line)


def _raise_is_last(body: list[ast.stmt], line: int) -> bool:
    """A ``raise`` at ``line`` is the last thing ``body`` does: it is the last statement, or
    sits in the last statement's if/with/try body, all the way down (never in a loop)."""
    if not body:
        return False
    last = body[-1]
    if isinstance(last, ast.Raise):
        return last.lineno == line
    if isinstance(last, ast.If):
        return _raise_is_last(last.body, line) or _raise_is_last(last.orelse, line)
    if isinstance(last, ast.With):
        return _raise_is_last(last.body, line)
    return False


def _traceback_line(exc: BaseException, path: str) -> int:
    line = 0
    tb = exc.__traceback__
    while tb is not None:
        if tb.tb_frame.f_code.co_filename == path:
            line = tb.tb_lineno
        tb = tb.tb_next
    return line
