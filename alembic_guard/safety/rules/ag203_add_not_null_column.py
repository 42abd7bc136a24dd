"""Adding a NOT NULL column without a server default fails on a table with rows, and breaks the running release's inserts.

Why:
    Existing rows have no value for the new column: PostgreSQL and SQLite refuse the
    ``ADD COLUMN`` as soon as the table holds a row (MariaDB/MySQL fill in the type's
    implicit default, ``0`` or ``''``, which is rarely what was meant). Even on an
    empty table, the release still running during the deploy does not know the
    column: its ``INSERT`` statements leave it out and fail. A default set only in
    the model (``default=``) is not a server default and helps neither. Identity and
    computed columns, and an autoincrementing integer primary key (SERIAL,
    AUTO_INCREMENT), fill themselves and are not flagged. Connected, the guard says
    how many rows the table holds.

Safe alternative:
    Add the column nullable, backfill it (in batches, in a migration of its own),
    deploy code that always writes it, then make it NOT NULL (see AG204 for doing
    that without a long lock). Or give it a constant ``server_default``: on
    PostgreSQL 11 and later that needs no rewrite.

Example:
    op.add_column("users", sa.Column("plan", sa.String(20), nullable=False))   # flagged

    op.add_column("users", sa.Column("plan", sa.String(20), nullable=False,
                                     server_default="free"))   # fine
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import sqlalchemy as sa
from alembic.operations import ops

from ..context import RuleContext
from ..recording import RecordedOp
from . import Problem, define
from ._ddl import is_mysql, row_count


def _is_integer(type_: Any) -> bool:
    return isinstance(type_, sa.Integer) or any(
        isinstance(variant, sa.Integer)
        for variant in getattr(type_, "_variant_mapping", {}).values()
    )


def check(record: RecordedOp, context: RuleContext) -> Iterator[Problem]:
    op = record.op
    if not isinstance(op, ops.AddColumnOp) or context.is_new_table(op.schema, op.table_name):
        return
    column = op.column
    if column.nullable is not False or column.server_default is not None:
        return
    if column.identity is not None or column.computed is not None:
        return
    if column.primary_key and column.autoincrement is True and _is_integer(column.type):
        return  # SERIAL / AUTO_INCREMENT / SQLite's rowid: it numbers the rows itself
    message = f"adds NOT NULL column {op.table_name}.{column.name} without a server default"
    rows = row_count(context, op.schema, op.table_name)
    if rows == "0 rows":
        message += "; the table is empty now, but the running release's inserts would fail"
    elif rows is not None:
        if is_mysql(context):
            effect = "they would get the type's implicit default"
        else:
            effect = "adding it would fail"
        message += (
            f"; {op.table_name} holds {rows}: {effect}, and the running release's inserts "
            f"would fail"
        )
    else:
        message += ": fails on a table with rows, and the running release's inserts would fail"
    yield Problem(message)


RULE = define(__doc__, code="AG203", name="add-not-null-column-without-default", check=check)
