"""A MariaDB/MySQL table copy (ALGORITHM=COPY, or an enum changed other than by appending) blocks writes throughout.

Why:
    With ``ALGORITHM=COPY`` MariaDB/MySQL build a new copy of the table row by row
    and swap it in; writes to the table wait for the whole copy, which on a large
    table takes minutes to hours and needs the table's size again in free disk. An
    ``ENUM`` whose values are reordered, renamed or removed is copied the same way:
    only values appended at the end are an instant, catalog-only change. Raw
    ``ALTER TABLE ... ALGORITHM=COPY`` SQL and ``op.alter_column`` on an enum (its
    current values from ``existing_type`` or, connected, the database) are read.

Safe alternative:
    Ask for ``ALGORITHM=INSTANT`` or ``ALGORITHM=INPLACE, LOCK=NONE``: the server then
    refuses, instead of silently copying, what it cannot do online. Append new enum
    values at the end and leave unused ones in place. For what really needs a copy,
    use an online schema change tool (gh-ost, pt-online-schema-change).

Example:
    op.alter_column("orders", "status", type_=sa.Enum("new", "paid", "sent"),
                    existing_type=sa.Enum("new", "sent"))   # flagged: "paid" inserted

    op.alter_column("orders", "status", type_=sa.Enum("new", "sent", "paid"),
                    existing_type=sa.Enum("new", "sent"))   # fine: appended
"""

from __future__ import annotations

from collections.abc import Iterator

from alembic.operations import ops

from ..context import RuleContext
from ..recording import RecordedOp
from ..sql import shorten
from . import Problem, define
from ._ddl import lock_severity, old_type, type_sig
from ._raw_sql import is_new_table, statements


def check(record: RecordedOp, context: RuleContext) -> Iterator[Problem]:
    op = record.op
    if isinstance(op, ops.AlterColumnOp):
        if op.modify_type is None:
            return
        if context.is_new_column(op.schema, op.table_name, op.column_name):
            return
        new = type_sig(op.modify_type, context)
        if new is None or new.enums is None:
            return
        old = old_type(op, context)
        if old is None or old.enums is None or new.enums[: len(old.enums)] == old.enums:
            return
        yield Problem(
            f"changes enum {op.table_name}.{op.column_name} from {old.text} to {new.text} "
            f"other than by appending values: copies the table, blocking writes until it ends",
            severity=lock_severity(context, (op.schema, op.table_name)),
        )
        return
    for statement in statements(record, context):
        if not statement.forces_copy:
            continue
        tables = [t for t in statement.tables if t]
        if tables and all(is_new_table(context, t) for t in tables):
            continue
        yield Problem(
            f"runs {shorten(statement.text)}: ALGORITHM=COPY copies the table, blocking "
            f"writes until it ends",
            severity=lock_severity(context, *((None, t) for t in tables)),
        )


RULE = define(
    __doc__,
    code="AG214",
    name="mysql-table-copy",
    check=check,
    dialects=("mysql",),
)
