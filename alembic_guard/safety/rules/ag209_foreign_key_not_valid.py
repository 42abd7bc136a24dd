"""Adding a foreign key to an existing table checks every row while both tables are locked.

Why:
    ``ADD FOREIGN KEY`` takes a SHARE ROW EXCLUSIVE lock on the table and on the
    table it references, then scans the whole table for rows without a match:
    writes to both tables wait until the scan ends. A single row without a match
    fails the migration; connected, the guard counts them.

Safe alternative:
    Add it with ``postgresql_not_valid=True`` (only new rows are checked, the lock is
    brief), then in a later migration run ``ALTER TABLE ... VALIDATE CONSTRAINT ...``,
    which scans under a lock that lets reads and writes go on. Fix or delete the rows
    without a match before validating.

Example:
    op.create_foreign_key("fk_orders_user", "orders", "users",
                          ["user_id"], ["id"])   # flagged: 3 rows have no match

    op.create_foreign_key("fk_orders_user", "orders", "users", ["user_id"], ["id"],
                          postgresql_not_valid=True)   # fine
    op.execute("ALTER TABLE orders VALIDATE CONSTRAINT fk_orders_user")   # later migration
"""

from __future__ import annotations

from collections.abc import Iterator

from alembic.operations import ops

from ..context import RuleContext
from ..recording import RecordedOp
from . import Problem, define
from ._ddl import kw_true, lock_severity


def _orphans(context: RuleContext, op: ops.CreateForeignKeyOp) -> int | None:
    """Rows whose (non-null) key has no match in the referenced table."""
    if context.connection is None or not op.local_cols:
        return None
    if len(op.local_cols) != len(op.remote_cols):
        return None
    local = [context.quote(None, "s", c) for c in op.local_cols]
    remote = [context.quote(None, "r", c) for c in op.remote_cols]
    present = " AND ".join(f"{c} IS NOT NULL" for c in local)
    match = " AND ".join(f"{r} = {c}" for r, c in zip(remote, local, strict=True))
    return context.scalar(
        f"SELECT count(*) FROM {context.quote(op.kw.get('source_schema'), op.source_table)} AS s "
        f"WHERE {present} AND NOT EXISTS (SELECT 1 FROM "
        f"{context.quote(op.kw.get('referent_schema'), op.referent_table)} AS r WHERE {match})"
    )


def check(record: RecordedOp, context: RuleContext) -> Iterator[Problem]:
    op = record.op
    if not isinstance(op, ops.CreateForeignKeyOp) or kw_true(op, "postgresql_not_valid"):
        return
    schema, referent_schema = op.kw.get("source_schema"), op.kw.get("referent_schema")
    if context.is_new_table(schema, op.source_table):
        return
    name = f"{op.constraint_name} " if op.constraint_name else ""
    message = (
        f"adds foreign key {name}from {op.source_table}({', '.join(op.local_cols)}) to "
        f"{op.referent_table} without NOT VALID: scans {op.source_table} while writes to "
        f"both tables wait (SHARE ROW EXCLUSIVE)"
    )
    orphans = _orphans(context, op)
    if orphans:
        yield Problem(f"{message}; {orphans} rows have no match: adding it would fail")
        return
    if orphans == 0:
        message += "; every row has a match now"
    yield Problem(
        message,
        severity=lock_severity(
            context, (schema, op.source_table), (referent_schema, op.referent_table)
        ),
    )


RULE = define(
    __doc__,
    code="AG209",
    name="foreign-key-not-valid",
    check=check,
    dialects=("postgresql",),
)
