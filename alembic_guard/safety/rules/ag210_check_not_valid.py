"""Adding a CHECK constraint to an existing table scans every row under an ACCESS EXCLUSIVE lock.

Why:
    ``ADD CONSTRAINT ... CHECK`` verifies every existing row while holding an ACCESS
    EXCLUSIVE lock: nothing reads or writes the table until the scan ends. A single
    row that violates the condition fails the migration; connected, the guard
    counts them.

Safe alternative:
    Add it with ``postgresql_not_valid=True`` (only new and updated rows are checked,
    the lock is brief), then in a later migration run
    ``ALTER TABLE ... VALIDATE CONSTRAINT ...``, which scans under a lock that lets
    reads and writes go on. Fix the violating rows before validating.

Example:
    op.create_check_constraint("ck_orders_amount", "orders", "amount >= 0")   # flagged

    op.create_check_constraint("ck_orders_amount", "orders", "amount >= 0",
                               postgresql_not_valid=True)   # fine
    op.execute("ALTER TABLE orders VALIDATE CONSTRAINT ck_orders_amount")   # later migration
"""

from __future__ import annotations

from collections.abc import Iterator

from alembic.operations import ops
from sqlalchemy.sql.elements import ClauseElement

from ..context import RuleContext
from ..recording import RecordedOp
from . import Problem, define
from ._ddl import kw_true, lock_severity
from ._raw_sql import sql_dialect


def _condition_sql(op: ops.CreateCheckConstraintOp, context: RuleContext) -> str | None:
    condition = op.condition
    if isinstance(condition, str):
        return condition
    if isinstance(condition, ClauseElement):
        try:
            compiled = condition.compile(
                dialect=sql_dialect(context), compile_kwargs={"literal_binds": True}
            )
            return str(compiled)
        except Exception:
            return None
    return None


def _violations(context: RuleContext, op: ops.CreateCheckConstraintOp) -> int | None:
    """Rows for which the condition is false (NULL passes a CHECK)."""
    if context.connection is None:
        return None
    condition = _condition_sql(op, context)
    if condition is None:
        return None
    return context.scalar(
        f"SELECT count(*) FROM {context.quote(op.schema, op.table_name)} WHERE NOT ({condition})"
    )


def check(record: RecordedOp, context: RuleContext) -> Iterator[Problem]:
    op = record.op
    if not isinstance(op, ops.CreateCheckConstraintOp) or kw_true(op, "postgresql_not_valid"):
        return
    if context.is_new_table(op.schema, op.table_name):
        return
    name = f"{op.constraint_name} " if op.constraint_name else ""
    message = (
        f"adds check constraint {name}on {op.table_name} without NOT VALID: scans the table "
        f"under an ACCESS EXCLUSIVE lock"
    )
    violations = _violations(context, op)
    if violations:
        yield Problem(f"{message}; {violations} rows violate it: adding it would fail")
        return
    if violations == 0:
        message += "; no row violates it now"
    yield Problem(message, severity=lock_severity(context, (op.schema, op.table_name)))


RULE = define(
    __doc__,
    code="AG210",
    name="check-not-valid",
    check=check,
    dialects=("postgresql",),
)
