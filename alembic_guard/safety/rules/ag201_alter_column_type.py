"""Changing a column's type rewrites the whole table while it is locked.

Why:
    On PostgreSQL ``ALTER COLUMN ... TYPE`` rewrites every row (and rebuilds every
    index) under an ACCESS EXCLUSIVE lock: no query, not even a ``SELECT``, gets
    through until it ends. MariaDB/MySQL copy the table, and SQLite (batch mode)
    recreates it, which on SQLite is a warning. Changes that need no rewrite are not
    flagged. On PostgreSQL: the same type; ``varchar(n)`` to ``varchar(m)`` with
    m >= n, to unbounded ``varchar`` or to ``text``; ``text`` to unbounded
    ``varchar``; ``numeric(p, s)`` to ``numeric(q, s)`` with q >= p, or to unbounded
    ``numeric``. On MariaDB 10.4 and later a ``varchar`` made longer is instant; on
    MySQL only while its length keeps the same length prefix (both sides below 64
    characters, or both 64 and above, counting 4 bytes a character). Strings made
    shorter are left to AG202 shrink-varchar, which counts the values that would not
    fit, and MariaDB/MySQL enum changes to AG214 mysql-table-copy.

Safe alternative:
    Add a new column of the new type, write both columns from the application,
    backfill the new one in batches, switch reads to it, then drop the old column
    in a later release. For a widening, pick a binary-compatible change from the
    list above (``varchar`` to ``text`` on PostgreSQL, say).

Example:
    op.alter_column("orders", "amount", type_=sa.BigInteger(),
                    existing_type=sa.Integer())   # flagged: rewrites orders

    op.alter_column("users", "name", type_=sa.String(200),
                    existing_type=sa.String(100))   # fine on PostgreSQL: no rewrite
"""

from __future__ import annotations

from collections.abc import Iterator

from alembic.operations import ops

from ...column_types import TypeSig
from ..context import RuleContext
from ..recording import RecordedOp
from . import Problem, Severity, define
from ._ddl import (
    is_mariadb,
    is_mysql,
    lock_severity,
    old_type,
    string_shrink,
    type_sig,
)


def _same(old: TypeSig, new: TypeSig) -> bool:
    return (old.name, old.length, old.scale, old.enums) == (
        new.name,
        new.length,
        new.scale,
        new.enums,
    )


def check(record: RecordedOp, context: RuleContext) -> Iterator[Problem]:
    op = record.op
    if not isinstance(op, ops.AlterColumnOp) or op.modify_type is None:
        return
    if context.is_new_column(op.schema, op.table_name, op.column_name):
        return
    new = type_sig(op.modify_type, context)
    old = old_type(op, context)
    if new is not None and old is not None:
        if _same(old, new) or string_shrink(old, new):
            return
        if context.database.changes_type_in_place(
            old, new, context.server_version, mariadb=is_mariadb(context)
        ):
            return
    column = f"{op.table_name}.{op.column_name}"
    change = (
        f"from {old.text} to {new.text}"
        if old and new
        else f"to {new.text if new else op.modify_type}"
    )
    if context.dialect == "postgresql":
        effect = "rewrites the table under an ACCESS EXCLUSIVE lock"
    elif is_mysql(context):
        effect = "copies the table, blocking writes until it ends"
    else:
        effect = "recreates the table (batch mode)"
    message = f"changes the type of {column} {change}: {effect}"
    if old is None:
        message += " (the current type is not known here, so no rewrite-free change was recognised)"
    elif context.connection is None:
        message += " (judged from existing_type: the database's current type was not read here)"
    severity = Severity.WARNING if context.dialect == "sqlite" else None
    yield Problem(message, severity=severity or lock_severity(context, (op.schema, op.table_name)))


RULE = define(__doc__, code="AG201", name="alter-column-type", check=check)
