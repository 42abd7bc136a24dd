"""Adding a column whose default is volatile (a new value per row) rewrites the table under a lock.

Why:
    A constant default is stored once in the catalog (PostgreSQL 11 and later,
    MariaDB/MySQL instant ``ADD COLUMN``) and the table is not touched. A volatile
    default must be computed for every existing row: PostgreSQL rewrites the table
    under an ACCESS EXCLUSIVE lock, MariaDB/MySQL copy it. Volatile here:
    ``random()``, ``gen_random_uuid()``, ``uuid_generate_v1()``/``v1mc()``/``v4()``,
    ``uuidv4()``, ``uuidv7()``, ``clock_timestamp()``, ``timeofday()``, ``nextval()``
    (and identity columns), ``uuid()``, ``uuid_short()``, ``sys_guid()``, ``rand()``,
    ``sysdate()``; connected to PostgreSQL, any function ``pg_proc`` marks volatile.
    Not volatile: ``now()``, ``CURRENT_TIMESTAMP``, ``CURRENT_DATE``,
    ``LOCALTIMESTAMP``, ``transaction_timestamp()``, ``statement_timestamp()``
    (PostgreSQL evaluates them once for the whole statement), and constants. Before
    PostgreSQL 11 every non-null default on ``ADD COLUMN`` rewrites the table, so
    there any default is flagged. Changing the default of an existing column
    (``alter_column(server_default=...)``) only affects later inserts and is not
    flagged.

Safe alternative:
    Add the column without a default (or with a constant one), set the volatile
    default afterwards with ``alter_column(server_default=...)`` so new rows get it,
    and backfill the existing rows in batches in a separate migration.

Example:
    op.add_column("orders", sa.Column("token", sa.Uuid(),
                  server_default=sa.text("gen_random_uuid()")))   # flagged: rewrites orders

    op.add_column("orders", sa.Column("token", sa.Uuid()))
    op.alter_column("orders", "token", server_default=sa.text("gen_random_uuid()"))   # fine
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from alembic.operations import ops
from sqlalchemy.schema import DefaultClause
from sqlalchemy.sql.elements import ClauseElement, TextClause

from ..context import RuleContext
from ..recording import RecordedOp
from . import Problem, define
from ._ddl import is_mysql, lock_severity
from ._raw_sql import sql_dialect

#: functions returning a new value per call (documented above)
VOLATILE = frozenset(
    {
        "random",
        "gen_random_uuid",
        "uuid_generate_v1",
        "uuid_generate_v1mc",
        "uuid_generate_v4",
        "uuidv4",
        "uuidv7",
        "clock_timestamp",
        "timeofday",
        "nextval",
        "uuid",
        "uuid_short",
        "sys_guid",
        "rand",
        "sysdate",
    }
)
_CALL = re.compile(r"\b([a-z_][a-z0-9_]*)\s*\(", re.I)


def _default_sql(default: Any, context: RuleContext) -> str | None:
    """The SQL of a server default; None when it is a plain constant or not SQL."""
    if not isinstance(default, DefaultClause):
        return None
    arg = default.arg
    if isinstance(arg, str):
        return None  # rendered as a quoted literal
    if isinstance(arg, TextClause):
        return arg.text
    if isinstance(arg, ClauseElement):
        try:
            return str(arg.compile(dialect=sql_dialect(context)))
        except Exception:
            return None
    return None


def _volatile_calls(sql: str, context: RuleContext) -> list[str]:
    names = sorted({name.lower() for name in _CALL.findall(sql)})
    if not names:
        return []
    query = context.database.volatile_functions_query(names)
    if query is not None and context.connection is not None:
        rows = context.rows(*query)
        if rows is not None:
            return sorted({str(row[0]) for row in rows} | (set(names) & VOLATILE))
    return [name for name in names if name in VOLATILE]


def check(record: RecordedOp, context: RuleContext) -> Iterator[Problem]:
    op = record.op
    if not isinstance(op, ops.AddColumnOp) or context.is_new_table(op.schema, op.table_name):
        return
    column = op.column
    where = f"{op.table_name}.{column.name}"
    if context.dialect == "postgresql":
        effect = "rewrites the table under an ACCESS EXCLUSIVE lock"
    elif is_mysql(context):
        effect = "copies the table"
    else:
        effect = "rewrites the table"
    severity = lock_severity(context, (op.schema, op.table_name))
    sql = _default_sql(column.server_default, context)
    volatile = _volatile_calls(sql, context) if sql else []
    if column.identity is not None and not volatile:
        volatile = ["an identity sequence"]
    if volatile:
        calls = ", ".join(f"{v}()" if " " not in v else v for v in volatile)
        yield Problem(
            f"adds {where} with a volatile default ({calls}): every existing row gets its "
            f"own value, which {effect}",
            severity=severity,
        )
        return
    if (
        context.database.rewrites_for_any_default(context.server_version)
        and column.server_default is not None
    ):
        version = ".".join(str(part) for part in (context.server_version or ())[:2])
        yield Problem(
            f"adds {where} with a default on PostgreSQL {version}: before 11 any default "
            f"{effect} to store it in every row",
            severity=severity,
        )


RULE = define(
    __doc__,
    code="AG205",
    name="volatile-default",
    check=check,
    dialects=("postgresql", "mysql"),
)
