"""Creating an index without CONCURRENTLY blocks every write to the table while it builds.

Why:
    A plain ``CREATE INDEX`` holds a SHARE lock on the table until the build ends
    (and, inside the migration's transaction, until the commit): reads go on, but
    every ``INSERT``, ``UPDATE`` and ``DELETE`` waits, for minutes on a large table.
    ``CREATE INDEX CONCURRENTLY`` builds it without blocking writes. Raw
    ``CREATE INDEX`` SQL is read too. Unique indexes made with ``op.create_index``
    are left to AG211 add-unique-or-primary-key, which also counts duplicates.

Safe alternative:
    Build it concurrently, outside the migration's transaction (PostgreSQL refuses
    ``CONCURRENTLY`` inside one, see AG208): ``postgresql_concurrently=True`` inside
    ``op.get_context().autocommit_block()``. If a concurrent build fails it leaves an
    INVALID index: drop it and try again.

Example:
    op.create_index("ix_orders_user_id", "orders", ["user_id"])   # flagged

    with op.get_context().autocommit_block():
        op.create_index("ix_orders_user_id", "orders", ["user_id"],
                        postgresql_concurrently=True)   # fine
"""

from __future__ import annotations

from collections.abc import Iterator

from alembic.operations import ops

from ..context import RuleContext
from ..recording import RecordedOp
from ..sql import shorten
from . import Problem, define
from ._ddl import kw_true, lock_severity
from ._raw_sql import is_new_table, statements

_EFFECT = "holds a SHARE lock that blocks writes to the table while the index builds"


def check(record: RecordedOp, context: RuleContext) -> Iterator[Problem]:
    op = record.op
    if isinstance(op, ops.CreateIndexOp):
        if op.unique or kw_true(op, "postgresql_concurrently"):
            return
        if context.is_new_table(op.schema, op.table_name):
            return
        yield Problem(
            f"creates index {op.index_name} on {op.table_name} without CONCURRENTLY: {_EFFECT}",
            severity=lock_severity(context, (op.schema, op.table_name)),
        )
        return
    for statement in statements(record, context):
        if statement.kind != "create_index" or statement.concurrently:
            continue
        tables = [t for t in statement.tables if t]
        if tables and all(is_new_table(context, t) for t in tables):
            continue
        yield Problem(
            f"runs {shorten(statement.text)} without CONCURRENTLY: {_EFFECT}",
            severity=lock_severity(context, *((None, t) for t in tables)),
        )


RULE = define(
    __doc__,
    code="AG206",
    name="create-index-blocking",
    check=check,
    dialects=("postgresql",),
)
