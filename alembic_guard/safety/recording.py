"""Run a migration's ``upgrade()`` with every operation recorded, none executed.

All ``op.xxx()`` calls go through :meth:`Operations.invoke`; the recorder
replaces it on a private :class:`Operations` instance installed as the
``alembic.op`` proxy.  ``op.batch_alter_table`` yields a recording batch,
``op.get_context()`` a read-only view of the migration context whose
``autocommit_block()`` only marks the operations inside it, and
``op.get_bind()`` a connection stand-in that records ``execute()`` calls as
SQL operations and returns no rows.  Anything else a migration asks of the
database stops the pre-flight with a message naming the file and line,
because answering it would mean running the migration.
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from alembic.operations import BatchOperations, Operations, ops
from alembic.runtime.migration import MigrationContext

from ..errors import PreflightError


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


@dataclass
class _RecorderState:
    revision: str
    path: str
    records: list[RecordedOp] = field(default_factory=list)
    batch_depth: int = 0
    autocommit_depth: int = 0
    allowed: list[dict[str, str]] = field(default_factory=list)

    def call_site(self) -> int:
        """Line of the innermost frame that belongs to the migration file."""
        frame = sys._getframe(1)
        target = str(Path(self.path).resolve())
        while frame is not None:
            filename = frame.f_code.co_filename
            if filename == self.path or str(Path(filename).resolve()) == target:
                return frame.f_lineno
            frame = frame.f_back  # type: ignore[assignment]
        return 0

    def record(self, op: ops.MigrateOperation) -> None:
        allowed: dict[str, str] = {}
        for scope in self.allowed:
            allowed.update(scope)
        self.records.append(
            RecordedOp(
                op=op,
                revision=self.revision,
                path=self.path,
                line=self.call_site(),
                in_batch=self.batch_depth > 0,
                in_autocommit_block=self.autocommit_depth > 0,
                allowed=allowed,
            )
        )


_active: list[_RecorderState] = []


def active_recorder() -> _RecorderState | None:
    """The recorder of the migration being inspected, if the pre-flight is running."""
    return _active[-1] if _active else None


class _EmptyResult:
    """What a recorded ``bind.execute()`` returns: a result with no rows."""

    rowcount = 0

    def __iter__(self) -> Iterator[Any]:
        return iter(())

    def fetchall(self) -> list[Any]:
        return []

    def all(self) -> list[Any]:
        return []

    def fetchone(self) -> None:
        return None

    def first(self) -> None:
        return None

    def scalar(self) -> None:
        return None

    def scalar_one_or_none(self) -> None:
        return None

    def one_or_none(self) -> None:
        return None

    def scalars(self) -> _EmptyResult:
        return self

    def mappings(self) -> _EmptyResult:
        return self

    def close(self) -> None:
        return None

    def __getattr__(self, name: str) -> Any:
        recorder = active_recorder()
        where = (
            f"revision {recorder.revision} ({recorder.path}, line {recorder.call_site()})"
            if recorder is not None
            else "a pending revision"
        )
        raise PreflightError(
            f"Cannot pre-flight {where}: the migration reads a result of op.get_bind() "
            f"(.{name}); during the pre-flight nothing runs, so there are no rows to read. "
            f"Once the migration is reviewed, `alembic -x guard=warn upgrade ...` runs it "
            f"without the check."
        )


class _RecordingBind:
    """Stand-in for ``op.get_bind()``: statements are recorded, not sent."""

    def __init__(self, state: _RecorderState, context: MigrationContext) -> None:
        self._state = state
        self.dialect = context.dialect

    def execute(self, statement: Any, parameters: Any = None, **_: Any) -> _EmptyResult:
        self._state.record(ops.ExecuteSQLOp(statement))
        return _EmptyResult()

    exec_driver_sql = execute

    def __getattr__(self, name: str) -> Any:
        line = self._state.call_site()
        raise PreflightError(
            f"Cannot pre-flight revision {self._state.revision} ({self._state.path}, "
            f"line {line}): the migration uses op.get_bind().{name}, which would need the "
            f"database while nothing may run yet. Use op.execute() for SQL so the pre-flight "
            f"can see it, or, once the migration is reviewed, run `alembic -x guard=warn "
            f"upgrade ...`."
        )


class _RecordingContext:
    """Read-only view of the MigrationContext handed to ``op.get_context()``."""

    # nothing here can reach the connection: impl and environment_context could
    _passthrough = frozenset({"dialect", "as_sql", "opts", "config", "script"})

    def __init__(self, state: _RecorderState, context: MigrationContext) -> None:
        self._state = state
        self._context = context
        self.bind = self.connection = _RecordingBind(state, context)

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
        line = self._state.call_site()
        raise PreflightError(
            f"Cannot pre-flight revision {self._state.revision} ({self._state.path}, "
            f"line {line}): the migration calls op.get_context().{name}, which the "
            f"pre-flight cannot answer without running it."
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


def record_upgrade(
    script: Any,
    context: MigrationContext,
    allowed: dict[str, str] | None = None,
    arguments: dict[str, Any] | None = None,
) -> list[RecordedOp]:
    """Record every operation of ``script.module.upgrade()``; execute nothing.

    ``allowed`` (rule code -> reason) applies to every operation of the revision.
    """
    state = _RecorderState(revision=script.revision, path=script.path)
    if allowed:
        state.allowed.append(dict(allowed))
    operations = _recording_operations(state, context)
    operations._install_proxy()
    _active.append(state)
    try:
        # the keyword arguments env.py passes to run_migrations (multidb: engine_name)
        script.module.upgrade(**(arguments or {}))
    except PreflightError:
        raise
    except Exception as exc:
        line = _traceback_line(exc, script.path)
        raise PreflightError(
            f"Cannot pre-flight revision {script.revision} ({script.path}, line {line}): "
            f"its upgrade() raised {type(exc).__name__}: {exc}. Nothing was run. Once the "
            f"migration is reviewed, `alembic -x guard=warn upgrade ...` runs it without the check."
        ) from None
    finally:
        _active.pop()
        operations._remove_proxy()
    return state.records


def _traceback_line(exc: BaseException, path: str) -> int:
    line = 0
    tb = exc.__traceback__
    while tb is not None:
        if tb.tb_frame.f_code.co_filename == path:
            line = tb.tb_lineno
        tb = tb.tb_next
    return line
