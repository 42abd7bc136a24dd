"""Dropping an index without CONCURRENTLY takes an ACCESS EXCLUSIVE lock on its table.

Why:
    ``DROP INDEX`` is quick once it has its lock, but the lock it needs, ACCESS
    EXCLUSIVE on the table, waits for every running query on the table, and every
    query that arrives meanwhile queues behind it: a long report or an idle
    transaction turns a quick drop into an outage. ``DROP INDEX CONCURRENTLY`` waits
    without blocking anyone. Raw ``DROP INDEX`` SQL is read too.

Safe alternative:
    Drop it concurrently, outside the migration's transaction (PostgreSQL refuses
    ``CONCURRENTLY`` inside one, see AG208): ``postgresql_concurrently=True`` inside
    ``op.get_context().autocommit_block()``.

Example:
    op.drop_index("ix_orders_legacy", table_name="orders")   # flagged

    with op.get_context().autocommit_block():
        op.drop_index("ix_orders_legacy", table_name="orders",
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
from ._raw_sql import statements

_EFFECT = "waits for an ACCESS EXCLUSIVE lock on the table, and every query queues behind it"


def _table_of(context: RuleContext, schema: str | None, index: str) -> str | None:
    rows = context.rows(
        "SELECT tablename FROM pg_catalog.pg_indexes "
        "WHERE indexname = :index AND schemaname = coalesce(:schema, current_schema())",
        {"index": index, "schema": schema},
    )
    return str(rows[0][0]) if rows else None


def check(record: RecordedOp, context: RuleContext) -> Iterator[Problem]:
    op = record.op
    if isinstance(op, ops.DropIndexOp):
        if kw_true(op, "postgresql_concurrently"):
            return
        if str(op.index_name).lower() in context.created_indexes:
            return
        table = op.table_name or _table_of(context, op.schema, str(op.index_name))
        if context.is_new_table(op.schema, table):
            return
        on = f" on {table}" if table else ""
        yield Problem(
            f"drops index {op.index_name}{on} without CONCURRENTLY: {_EFFECT}",
            severity=lock_severity(context, (op.schema, table)) if table else None,
        )
        return
    for statement in statements(record, context):
        if statement.kind == "drop_index" and not statement.concurrently:
            if statement.tables and all(i in context.created_indexes for i in statement.tables):
                continue  # an index of a table the pending set creates: nobody waits on it
            yield Problem(f"runs {shorten(statement.text)} without CONCURRENTLY: {_EFFECT}")


RULE = define(
    __doc__,
    code="AG207",
    name="drop-index-blocking",
    check=check,
    dialects=("postgresql",),
)
