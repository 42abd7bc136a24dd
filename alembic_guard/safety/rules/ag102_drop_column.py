"""Dropping a column deletes its values, and breaks running code that still reads it.

Why:
    The downgrade re-adds the column empty. During a deploy the old release still
    selects and inserts the column (SQLAlchemy lists every mapped column), so its
    queries fail until the rollout ends.

Safe alternative:
    First remove the column from the model (or mark it ``deferred``) and deploy; then
    drop it in a later migration, allowed with a reason once no release uses it.

Example:
    op.drop_column("users", "fax")   # flagged

    with alembic_guard.allow("AG102", reason="unused since release 41"):
        op.drop_column("users", "fax")
"""

from __future__ import annotations

from collections.abc import Iterator

from alembic.operations import ops

from ..context import RuleContext
from ..recording import RecordedOp
from . import Problem, define


def check(record: RecordedOp, context: RuleContext) -> Iterator[Problem]:
    op = record.op
    if not isinstance(op, ops.DropColumnOp):
        return
    if context.is_new_column(op.schema, op.table_name, op.column_name):
        return
    filled = None
    if context.connection is not None:
        filled = context.scalar(
            f"SELECT count(*) FROM {context.quote(op.schema, op.table_name)} "
            f"WHERE {context.quote(None, op.column_name)} IS NOT NULL"
        )
    held = f"; {filled} rows hold a value in it" if filled else ""
    yield Problem(f"drops column {op.table_name}.{op.column_name}{held}")


RULE = define(__doc__, code="AG102", name="drop-column", check=check)
