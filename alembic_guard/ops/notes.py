"""Explanations written into generated scripts as comments.

A comparator or rule attaches text to the operation it concerns with
:func:`add_note`; when the script is rendered, the wiring's
``process_revision_directives`` hook places a :class:`GuardNoteOp` right
before each such operation.  A note is an empty :class:`OpContainer`, so
``UpgradeOps.as_diffs()`` (what ``alembic check`` reads) never counts it.
"""

from __future__ import annotations

from collections.abc import Iterable

from alembic.autogenerate import renderers
from alembic.autogenerate.api import AutogenContext
from alembic.operations import ops

# an attribute, not op.info: CreateTableOp.info is the table's own info dict
NOTES_ATTRIBUTE = "_alembic_guard_notes"
PREFIX = "# alembic_guard: "


def add_note(op: ops.MigrateOperation, text: str) -> None:
    """Attach an explanation to ``op``; it is rendered as a comment above it."""
    notes: list[str] = op.__dict__.setdefault(NOTES_ATTRIBUTE, [])
    if text not in notes:
        notes.append(text)


def notes_of(op: ops.MigrateOperation) -> list[str]:
    return list(op.__dict__.get(NOTES_ATTRIBUTE, ()))


class GuardNoteOp(ops.OpContainer):
    """Comment lines in a generated script; never a schema change."""

    def __init__(
        self, lines: Iterable[str], *, standalone: bool = False, placed: bool = False
    ) -> None:
        super().__init__(ops=())
        self.lines = list(lines)
        # a container holding nothing but notes still needs a statement
        self.standalone = standalone
        #: put there by place_notes (and taken away by remove_notes), not by a comparator
        self.placed = placed

    def reverse(self) -> GuardNoteOp:
        return GuardNoteOp(self.lines, standalone=self.standalone, placed=self.placed)

    def is_empty(self) -> bool:
        # a note alone does not make a migration worth writing
        return True


class IndexTakenOverOp(GuardNoteOp):
    """MySQL/MariaDB drop the index they made for a foreign key as soon as another index
    covers it: nothing to run in the upgrade (a comment says so), and the downgrade
    creates that index again before it drops the covering one (else: 1553)."""

    def __init__(
        self, index_name: str, table_name: str, columns: list[str], schema: str | None = None
    ) -> None:
        super().__init__(
            [
                f"the database drops its own index {index_name} of {table_name} now: the new "
                f"index covers the foreign key; the downgrade creates it again first"
            ]
        )
        self.index_name = index_name
        self.table_name = table_name
        self.columns = columns
        self.schema = schema

    def reverse(self) -> ops.CreateIndexOp:  # type: ignore[override]
        return ops.CreateIndexOp(self.index_name, self.table_name, self.columns, schema=self.schema)


@renderers.dispatch_for(GuardNoteOp)
def _render_note(autogen_context: AutogenContext, op: GuardNoteOp) -> list[str]:
    lines = []
    for text in op.lines:
        for part in text.splitlines() or [""]:
            lines.append((PREFIX + part).rstrip())
    if op.standalone:
        lines.append("pass")
    return lines


def _is_note(op: ops.MigrateOperation) -> bool:
    return isinstance(op, GuardNoteOp)


def place_notes(container: ops.OpContainer) -> None:
    """Insert a GuardNoteOp before every op carrying notes, recursively."""
    placed: list[ops.MigrateOperation] = []
    for op in container.ops:
        if _is_note(op):
            placed.append(op)
            continue
        texts = notes_of(op)
        if texts:
            placed.append(GuardNoteOp(texts, placed=True))
        if isinstance(op, ops.OpContainer):
            place_notes(op)
        placed.append(op)
    container.ops = placed
    if placed and all(_is_note(op) for op in placed):
        last = placed[-1]
        assert isinstance(last, GuardNoteOp)
        last.standalone = True


def remove_notes(container: ops.OpContainer) -> None:
    """Drop previously placed notes (the hook may run more than once)."""
    container.ops = [op for op in container.ops if not (isinstance(op, GuardNoteOp) and op.placed)]
    for op in container.ops:
        if isinstance(op, ops.OpContainer):
            remove_notes(op)
