"""A new unique constraint, primary key or unique index on an existing table is built under a lock, and fails on duplicates.

Why:
    The index is built from every row before the constraint exists. On PostgreSQL
    ``ADD CONSTRAINT ... UNIQUE``/``PRIMARY KEY`` holds an ACCESS EXCLUSIVE lock for
    the whole build (nothing reads or writes the table) and a plain
    ``CREATE UNIQUE INDEX`` a SHARE lock (writes wait). MariaDB/MySQL build it online
    (a primary key rebuilds the table) and SQLite locks the database: there the
    finding is a warning once the guard has checked there are no duplicates. On
    every database one duplicated value fails the migration, a concurrent build
    included; connected, the guard counts them (and NULLs in a new primary key).

Safe alternative:
    Remove the duplicates first. On PostgreSQL build the index concurrently, then
    attach it as the constraint, which is instant:
    ``CREATE UNIQUE INDEX CONCURRENTLY ...`` (``op.create_index(..., unique=True,
    postgresql_concurrently=True)`` inside ``op.get_context().autocommit_block()``),
    then ``ALTER TABLE ... ADD CONSTRAINT ... UNIQUE USING INDEX ...`` (or
    ``PRIMARY KEY USING INDEX``) in raw SQL.

Example:
    op.create_unique_constraint("uq_users_email", "users", ["email"])   # flagged: 4 values occur more than once

    with op.get_context().autocommit_block():
        op.create_index("uq_users_email", "users", ["email"], unique=True,
                        postgresql_concurrently=True)
    op.execute("ALTER TABLE users ADD CONSTRAINT uq_users_email UNIQUE USING INDEX uq_users_email")
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

import sqlalchemy as sa
from alembic.operations import ops

from ...lost_connection import is_lost
from ..context import RuleContext, read_only
from ..recording import RecordedOp
from . import Problem, Severity, define
from ._ddl import is_mysql, kw_true, lock_severity


def _duplicates(
    context: RuleContext, schema: str | None, table: str, columns: Sequence[str]
) -> int | None:
    """Distinct values (non-null) that occur more than once."""
    keys = ", ".join(context.quote(None, c) for c in columns)
    present = " AND ".join(f"{context.quote(None, c)} IS NOT NULL" for c in columns)
    return context.scalar(
        f"SELECT count(*) FROM (SELECT 1 FROM {context.quote(schema, table)} WHERE {present} "
        f"GROUP BY {keys} HAVING count(*) > 1) AS d"
    )


def _nulls(
    context: RuleContext, schema: str | None, table: str, columns: Sequence[str]
) -> int | None:
    absent = " OR ".join(f"{context.quote(None, c)} IS NULL" for c in columns)
    return context.scalar(f"SELECT count(*) FROM {context.quote(schema, table)} WHERE {absent}")


def _holds_a_key(
    context: RuleContext, schema: str | None, table: str, columns: Sequence[str]
) -> bool:
    """Whether the new key's columns include all of a key the table already has: rows that
    are unique on a part are unique on the whole, so nothing can be duplicated (the count
    cannot run when the pending set adds one of the columns)."""
    if context.connection is None:
        return False
    wanted = {c.lower() for c in columns}
    try:
        with read_only(context.connection):
            inspector = sa.inspect(context.connection)
            keys: list[Sequence[str | None] | None] = [
                inspector.get_pk_constraint(table, schema=schema).get("constrained_columns")
            ]
            keys += [u["column_names"] for u in inspector.get_unique_constraints(table, schema)]
            keys += [i["column_names"] for i in inspector.get_indexes(table, schema) if i["unique"]]
    except Exception as error:
        if is_lost(error, context.connection):
            raise
        return False
    return any(key and None not in key and {str(c).lower() for c in key} <= wanted for key in keys)


def _what(op: Any) -> str:
    if isinstance(op, ops.CreatePrimaryKeyOp):
        return "primary key"
    if isinstance(op, ops.CreateUniqueConstraintOp):
        return "unique constraint"
    return "unique index"


def check(record: RecordedOp, context: RuleContext) -> Iterator[Problem]:
    op = record.op
    if isinstance(op, ops.CreateIndexOp):
        if not op.unique:
            return
        name, columns = str(op.index_name or ""), list(op.columns)
    elif isinstance(op, (ops.CreateUniqueConstraintOp, ops.CreatePrimaryKeyOp)):
        name, columns = str(op.constraint_name or ""), list(op.columns)
    else:
        return
    schema, table = op.schema, op.table_name
    if context.is_new_table(schema, table):
        return
    concurrent = isinstance(op, ops.CreateIndexOp) and kw_true(op, "postgresql_concurrently")
    names = [c for c in columns if isinstance(c, str)]
    duplicates = nulls = None
    if context.connection is not None and names and len(names) == len(columns):
        duplicates = _duplicates(context, schema, table, names)
        if isinstance(op, ops.CreatePrimaryKeyOp):
            nulls = _nulls(context, schema, table, names)
        if duplicates is None and _holds_a_key(context, schema, table, names):
            duplicates = 0
    label = f"{_what(op)} {name + ' ' if name else ''}on {table}({', '.join(map(str, columns))})"
    failures = []
    if duplicates:
        failures.append(f"{duplicates} values occur more than once")
    if nulls:
        failures.append(f"{nulls} rows are NULL in the key")
    if failures:
        yield Problem(f"adds {label}; {' and '.join(failures)}: it would fail")
        return
    if concurrent and context.database.builds_indexes_concurrently:
        return
    if context.dialect == "postgresql":
        if isinstance(op, ops.CreateIndexOp):
            effect = "builds it under a SHARE lock that blocks writes"
        else:
            effect = "builds its index under an ACCESS EXCLUSIVE lock"
    elif is_mysql(context):
        effect = (
            "rebuilds the table" if isinstance(op, ops.CreatePrimaryKeyOp) else "builds its index"
        )
    else:
        effect = "recreates the table (batch mode)" if record.in_batch else "builds its index"
    message = f"adds {label}: {effect}"
    checked = duplicates == 0 and (nulls == 0 or not isinstance(op, ops.CreatePrimaryKeyOp))
    if checked:
        message += "; no duplicates now"
    elif context.connection is None:
        message += "; it fails if any value occurs more than once"
    severity = lock_severity(context, (schema, table))
    if context.dialect != "postgresql" and checked:
        severity = Severity.WARNING
    yield Problem(message, severity=severity)


RULE = define(__doc__, code="AG211", name="add-unique-or-primary-key", check=check)
