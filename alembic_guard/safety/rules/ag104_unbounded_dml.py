"""TRUNCATE, or a DELETE or UPDATE without a WHERE clause, changes every row of a table.

Why:
    ``TRUNCATE`` and an unqualified ``DELETE`` empty the table, and no downgrade
    brings the rows back. An unqualified ``UPDATE`` rewrites every row in one
    transaction: it locks them all until it commits, blocking the running
    release's writes, bloats the table and floods replication. It is also the
    classic typo of a forgotten ``WHERE``. Raw SQL strings, ``sa.text()`` and
    ``sa.update()``/``sa.delete()`` constructs passed to ``op.execute`` are all
    read; connected, the guard counts the rows the statement would touch.

Safe alternative:
    Restrict the statement with a ``WHERE`` clause naming the rows meant, and
    change large tables in batches (by primary key range, one transaction each)
    so no lock is held for long. If every row really is meant (a lookup table
    reloaded, a column backfilled on a small table), allow it with a reason.

Example:
    op.execute("UPDATE users SET plan = 'free'")   # flagged: would rewrite every row

    op.execute("UPDATE users SET plan = 'free' WHERE plan IS NULL")   # fine

    with alembic_guard.allow("AG104", reason="staging table, reloaded below"):
        op.execute("TRUNCATE import_batches")
"""

from __future__ import annotations

from collections.abc import Iterator

import sqlglot

from ..context import RuleContext
from ..recording import RecordedOp
from ..sql import Statement
from . import Problem, define
from ._raw_sql import is_new_table, statements

_VERBS = {
    "truncate": "truncates",
    "delete": "deletes every row of",
    "update": "updates every row of",
}


def _batched(statement: Statement, context: RuleContext) -> bool:
    """MySQL/MariaDB ``DELETE``/``UPDATE ... LIMIT n``: one batch, not every row."""
    if not context.database.limits_dml:
        return False
    try:
        tree = sqlglot.parse_one(statement.text, read="mysql")
    except Exception:
        return False
    return tree.args.get("limit") is not None


def _rows(context: RuleContext, tables: tuple[str, ...]) -> int | None:
    """Rows in the tables now (an exact count, bounded by the data-check timeout)."""
    if context.connection is None or not tables:
        return None
    total = 0
    for table in tables:
        counted = context.scalar(f"SELECT count(*) FROM {context.quote(None, table)}")
        if counted is None:
            return None
        total += counted
    return total


def check(record: RecordedOp, context: RuleContext) -> Iterator[Problem]:
    for statement in statements(record, context):
        if statement.kind not in _VERBS:
            continue
        if statement.kind != "truncate" and (statement.has_where or _batched(statement, context)):
            continue
        tables = tuple(t for t in statement.tables if t)
        if tables and all(is_new_table(context, t) for t in tables):
            continue
        target = ", ".join(tables) or "a table"
        message = f"{_VERBS[statement.kind]} {target}"
        if statement.kind != "truncate":
            message += " (no WHERE clause)"
        rows = _rows(context, tables)
        if rows is not None:
            verb = "rewrite" if statement.kind == "update" else "delete"
            message += f"; would {verb} {rows} rows"
        yield Problem(message)


RULE = define(__doc__, code="AG104", name="unbounded-dml", check=check)
