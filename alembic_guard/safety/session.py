"""What the recording bind and the read scope ask of one revision's recording, as
protocols: :mod:`.recording` builds both and hands itself in, so neither imports it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

from alembic.operations import ops
from sqlalchemy.engine import Connection


class RecordingStopped(BaseException):
    """The recorder cannot answer what a migration asked; that revision's recording ends.

    A BaseException, so that a migration's own ``except Exception:`` around an
    operation cannot swallow it (it is remembered by the recorder all the same).
    """

    def __init__(self, reason: str, line: int) -> None:
        super().__init__(reason)
        self.reason = reason
        self.line = line


class Reads(Protocol):
    """Answers a read for real (read-only, rolled back), or falls back to recording it."""

    def run(
        self,
        execute: Callable[[Connection], Any],
        statement: Any,
        *,
        fallback: Callable[[], Any],
    ) -> Any: ...


class Recorder(Protocol):
    """One revision's recording, as the bind and the read scope see it."""

    #: the real connection reads are answered on (None: offline, no database)
    connection: Any

    @property
    def reads(self) -> Reads: ...

    def stop(self, reason: str) -> RecordingStopped: ...

    def note_read(self) -> None: ...

    def record_write(self, op: ops.MigrateOperation, parameters: str = "") -> None: ...
