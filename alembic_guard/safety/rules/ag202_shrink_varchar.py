"""Making a string column shorter fails on longer values, or cuts them, and rewrites the table.

Why:
    ``VARCHAR(20)`` to ``VARCHAR(5)`` (or ``TEXT`` to ``VARCHAR(5)``) must check
    every value. PostgreSQL rewrites the table under an ACCESS EXCLUSIVE lock and
    fails the whole migration on the first value that does not fit; MariaDB/MySQL
    copy the table and, in strict mode, fail the same way (without strict mode they
    silently cut the values). The running release may also still write values of the
    old length, which then fail. SQLite does not enforce lengths: there the finding
    is a warning. Connected, the guard counts the values that would not fit.

Safe alternative:
    Keep the length and validate it in the application. If the column really must
    shrink: fix or cut the long values in a migration of their own, add a new column
    of the shorter type, write both from the application, backfill, swap, and drop
    the old column in a later release.

Example:
    op.alter_column("users", "country", type_=sa.String(2),
                    existing_type=sa.String(64))   # flagged: 17 values would not fit

    with alembic_guard.allow("AG202", reason="all values are ISO codes, checked"):
        op.alter_column("users", "country", type_=sa.String(2), existing_type=sa.String(64))
"""

from __future__ import annotations

from collections.abc import Iterator

from alembic.operations import ops

from ..context import RuleContext
from ..recording import RecordedOp
from . import Problem, Severity, define
from ._ddl import is_mysql, lock_severity, old_type, string_shrink, type_sig


def _too_long(context: RuleContext, op: ops.AlterColumnOp, length: int) -> int | None:
    if context.connection is None:
        return None
    function = context.database.string_length_function
    return context.scalar(
        f"SELECT count(*) FROM {context.quote(op.schema, op.table_name)} "
        f"WHERE {function}({context.quote(None, op.column_name)}) > {int(length)}"
    )


def check(record: RecordedOp, context: RuleContext) -> Iterator[Problem]:
    op = record.op
    if not isinstance(op, ops.AlterColumnOp) or op.modify_type is None:
        return
    if context.is_new_column(op.schema, op.table_name, op.column_name):
        return
    new, old = type_sig(op.modify_type, context), old_type(op, context)
    if new is None or old is None or new.length is None or not string_shrink(old, new):
        return
    message = f"shrinks {op.table_name}.{op.column_name} from {old.text} to {new.text}"
    enforced = context.database.enforces_string_length
    if not enforced:
        if record.in_batch:
            message += ": recreates the table (batch mode)"
        message += " (SQLite does not enforce it: longer values stay as they are)"
    else:
        message += context.database.type_change_effect
    too_long = _too_long(context, op, new.length)
    severity: Severity | None
    if not enforced:
        severity = Severity.WARNING
    elif too_long:
        severity = None  # a failure is an error on a table of any size
    else:
        severity = lock_severity(context, (op.schema, op.table_name))
    if too_long:
        consequence = (
            "this would fail" if not is_mysql(context) else "strict mode fails, else they are cut"
        )
        if not enforced:
            consequence = "they would no longer match the declared type"
        message += f"; {too_long} values would not fit: {consequence}"
    elif too_long == 0 and enforced:
        message += "; no value is longer now, but the running release may still write longer ones"
    yield Problem(message, severity=severity)


RULE = define(__doc__, code="AG202", name="shrink-varchar", check=check)
