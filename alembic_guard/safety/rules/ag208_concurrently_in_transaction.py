"""CREATE or DROP INDEX CONCURRENTLY inside the migration's transaction fails.

Why:
    PostgreSQL refuses ``CONCURRENTLY`` inside a transaction block ("cannot run
    inside a transaction block"), and Alembic runs migrations inside one. The
    migration stops half-way: on PostgreSQL its earlier statements roll back, but
    the deploy fails, and with ``transaction_per_migration`` the revisions before it
    stay applied. Both ``postgresql_concurrently=True`` and raw SQL are read.

Safe alternative:
    Run the concurrent statement inside ``op.get_context().autocommit_block()``,
    which commits the migration's transaction first and runs the block outside one.
    Keep such a migration to the index alone, since what ran before the block is
    committed by then.

Example:
    op.create_index("ix_orders_user_id", "orders", ["user_id"],
                    postgresql_concurrently=True)   # flagged: fails in the transaction

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
from ._ddl import kw_true
from ._raw_sql import statements

_EFFECT = (
    "outside op.get_context().autocommit_block(): PostgreSQL refuses it inside a "
    "transaction block, so the migration would fail half-way"
)


def check(record: RecordedOp, context: RuleContext) -> Iterator[Problem]:
    if record.in_autocommit_block:
        return
    op = record.op
    if isinstance(op, (ops.CreateIndexOp, ops.DropIndexOp)):
        if kw_true(op, "postgresql_concurrently"):
            verb = "creates" if isinstance(op, ops.CreateIndexOp) else "drops"
            yield Problem(f"{verb} index {op.index_name} CONCURRENTLY {_EFFECT}")
        return
    for statement in statements(record, context):
        if statement.kind in ("create_index", "drop_index") and statement.concurrently:
            yield Problem(f"runs {shorten(statement.text)} {_EFFECT}")


RULE = define(
    __doc__,
    code="AG208",
    name="concurrently-in-transaction",
    check=check,
    dialects=("postgresql",),
)
