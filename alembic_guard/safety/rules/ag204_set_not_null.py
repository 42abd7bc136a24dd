"""Making an existing column NOT NULL scans the whole table under a lock, and fails on any NULL.

Why:
    PostgreSQL checks every row for ``SET NOT NULL`` while holding an ACCESS
    EXCLUSIVE lock, so the table is unreadable for the whole scan. MariaDB/MySQL
    rebuild the table; SQLite (batch mode) recreates it, a warning there. A single
    NULL fails the migration. Connected, the guard counts the NULLs. On PostgreSQL
    12 and later, a validated ``CHECK (col IS NOT NULL)`` already on the table lets
    ``SET NOT NULL`` skip the scan: then nothing is flagged.

Safe alternative:
    On PostgreSQL: add ``CHECK (col IS NOT NULL) NOT VALID`` (brief lock, no scan),
    then ``VALIDATE CONSTRAINT`` in a later migration (scans without blocking reads or
    writes), then ``SET NOT NULL``, which uses the check instead of scanning, and drop
    the check. Backfill the NULLs first, in batches. Elsewhere, backfill first and run
    it when the table is quiet, or keep the column nullable and enforce it in code.

Example:
    op.alter_column("users", "email", nullable=False)   # flagged: 12 rows are NULL

    # PostgreSQL, three migrations:
    op.create_check_constraint("users_email_not_null", "users", "email IS NOT NULL",
                               postgresql_not_valid=True)
    op.execute("ALTER TABLE users VALIDATE CONSTRAINT users_email_not_null")
    op.alter_column("users", "email", nullable=False)   # fine: the check is validated
    op.drop_constraint("users_email_not_null", "users", type_="check")
"""

from __future__ import annotations

from collections.abc import Iterator

from alembic.operations import ops

from ..context import RuleContext
from ..recording import RecordedOp
from . import Problem, Severity, define
from ._ddl import current_column, is_mysql, lock_severity


def _validated_not_null_check(context: RuleContext, op: ops.AlterColumnOp) -> bool:
    """PostgreSQL >= 12: a validated CHECK (col IS NOT NULL) that SET NOT NULL can use."""
    database = context.database
    if context.connection is None or not database.set_not_null_uses_checks(context.server_version):
        return False
    query = database.not_null_check_query(
        context.identifier(op.schema, op.table_name), op.column_name
    )
    return query is not None and bool(context.scalar(*query))


def check(record: RecordedOp, context: RuleContext) -> Iterator[Problem]:
    op = record.op
    if not isinstance(op, ops.AlterColumnOp) or op.modify_nullable is not False:
        return
    if op.existing_nullable is False:
        return  # already NOT NULL
    if context.is_new_column(op.schema, op.table_name, op.column_name):
        return
    # PostgreSQL >= 12 uses a validated CHECK (col IS NOT NULL) from earlier in this upgrade
    checked = (context.schema_key(op.schema), op.table_name, op.column_name)
    if (
        context.database.set_not_null_uses_checks(context.server_version)
        and checked in context.not_null_checks
    ):
        return
    if _validated_not_null_check(context, op):
        return
    current = current_column(context, op.schema, op.table_name, op.column_name)
    if current is not None and not current.nullable:
        return  # NOT NULL already: the database changes nothing
    message = f"sets {op.table_name}.{op.column_name} NOT NULL"
    if context.dialect == "postgresql":
        message += ": scans the whole table under an ACCESS EXCLUSIVE lock"
    elif is_mysql(context):
        message += ": rebuilds the table"
    else:
        message += ": recreates the table (batch mode)"
    nulls = None
    if context.connection is not None:
        nulls = context.scalar(
            f"SELECT count(*) FROM {context.quote(op.schema, op.table_name)} "
            f"WHERE {context.quote(None, op.column_name)} IS NULL"
        )
    severity: Severity | None
    if nulls:
        message += f"; {nulls} rows are NULL: this would fail"
        severity = None  # a failure is an error on a table of any size
    else:
        if nulls == 0:
            message += "; no row is NULL now"
        elif context.connection is None and op.existing_nullable is None:
            message += (
                " (whether it is NOT NULL already is not known here: say"
                " existing_nullable=False if it is)"
            )
        severity = (
            Severity.WARNING
            if context.dialect == "sqlite"
            else lock_severity(context, (op.schema, op.table_name))
        )
    yield Problem(message, severity=severity)


RULE = define(__doc__, code="AG204", name="set-not-null", check=check)
