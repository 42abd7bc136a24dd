"""A pending revision could not be recorded to its end, so part of it was not checked.

Why:
    The guard judges a revision by recording what its ``upgrade()`` would do, with
    nothing run: reads of the database are answered (read-only, rolled back), writes are
    recorded. When the migration asks for something the recorder cannot answer (the
    raw DBAPI connection, the result of a write, rows while linting without a
    database), or its ``upgrade()`` raises while being recorded, the recording of that
    revision stops there. Operations recorded before that point are judged as usual;
    whatever the revision does after it was not seen, and may hold any hazard. The
    other pending revisions are recorded and judged all the same.

Safe alternative:
    Read the revision from the reported line on, as the guard could not. If it is
    safe, allow this rule in the revision with a reason
    (``alembic_guard_allow = {"AG001": "reviewed: ..."}``). Where you can, let the
    migration ask only what the recorder answers: ``op.*`` operations, ``op.execute``
    for SQL, reads through ``op.get_bind()`` (``execute``, an ORM ``Session``,
    ``sa.inspect``). If the message shows the migration itself is wrong (a NameError,
    say), fix it: the real upgrade would fail the same way.

Example:
    def upgrade():
        raw = op.get_bind().connection   # flagged: the DBAPI connection is not offered
        raw.cursor().execute("UPDATE accounts SET plan = 'free'")

    alembic_guard_allow = {"AG001": "reviewed: one UPDATE of a 40-row table"}
"""

from __future__ import annotations

from collections.abc import Iterator

from ..context import RuleContext
from ..recording import NotRecordedOp, RecordedOp
from . import Problem, define


def check(record: RecordedOp, context: RuleContext) -> Iterator[Problem]:
    if isinstance(record.op, NotRecordedOp):
        yield Problem(
            f"the revision could not be recorded past this point: {record.op.reason}; "
            f"what it does after that was not checked"
        )


RULE = define(__doc__, code="AG001", name="revision-not-checked", check=check)
