"""Dropping a table deletes every row in it, and breaks running code that still uses it.

Why:
    ``DROP TABLE`` cannot be undone by the downgrade: it re-creates an empty table.
    During a deploy the old release is still running and still reads and writes the
    table, so its requests fail between the migration and the end of the rollout.

Safe alternative:
    Stop using the table in a release first, deploy it, then drop the table in a later
    migration, allowed with a reason once it is verified unused (and backed up if its
    data may be needed).

Example:
    op.drop_table("legacy_events")   # flagged

    with alembic_guard.allow("AG101", reason="unused since release 41, backed up"):
        op.drop_table("legacy_events")   # allowed, still listed
"""

from __future__ import annotations

from collections.abc import Iterator

from alembic.operations import ops

from ..context import RuleContext
from ..recording import RecordedOp
from . import Problem, define


def check(record: RecordedOp, context: RuleContext) -> Iterator[Problem]:
    op = record.op
    if not isinstance(op, ops.DropTableOp) or context.is_new_table(op.schema, op.table_name):
        return
    rows = context.table_rows(op.schema, op.table_name)
    held = f"; it holds about {rows} rows" if rows else ""
    yield Problem(f"drops table {op.table_name}{held}")


RULE = define(__doc__, code="AG101", name="drop-table", check=check)
