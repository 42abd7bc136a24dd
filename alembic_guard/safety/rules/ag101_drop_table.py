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
from ._raw_sql import is_new_table, statements


def check(record: RecordedOp, context: RuleContext) -> Iterator[Problem]:
    op = record.op
    if isinstance(op, ops.DropTableOp):
        targets = [(op.schema, op.table_name)]
    else:  # DROP TABLE in op.execute
        targets = [
            (None, table)
            for statement in statements(record, context)
            if statement.kind == "drop_table"
            for table in statement.tables
        ]
    for schema, table in targets:
        if context.is_new_table(schema, table) or is_new_table(context, table):
            continue
        rows = context.table_rows(schema, table)
        held = f"; it holds about {rows} rows" if rows else ""
        yield Problem(f"drops table {table}{held}")


RULE = define(__doc__, code="AG101", name="drop-table", check=check)
