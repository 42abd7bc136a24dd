"""A PostgreSQL ``json`` column: ``jsonb`` is almost always what is meant.

Why:
    ``json`` stores the text as given and re-parses it on every read and every
    ``->`` lookup. It has no equality operator, so ``SELECT DISTINCT``, ``GROUP BY``,
    ``UNION``, ``UNIQUE`` and comparisons on the column fail, and it cannot be indexed
    with GIN. ``sa.JSON`` is ``json`` on PostgreSQL. Changing the type later rewrites
    the table under an exclusive lock, so the choice is best made now, on new tables
    too.

Safe alternative:
    Use ``sqlalchemy.dialects.postgresql.JSONB`` (or
    ``sa.JSON().with_variant(JSONB(), "postgresql")`` in portable models). Keep ``json``
    only when the exact text, key order and duplicate keys must be preserved.

Example:
    op.add_column("events", sa.Column("payload", sa.JSON()))   # warned

    op.add_column("events", sa.Column("payload", postgresql.JSONB()))
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from alembic.operations import ops
from sqlalchemy import JSON, Column
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.types import to_instance

from ..context import RuleContext
from ..recording import RecordedOp
from . import Problem, Severity, define
from ._raw_sql import sql_dialect

_JSON = re.compile(r"JSON(\[\])*")


def _json_type(type_: Any, context: RuleContext) -> str | None:
    """``json`` (or ``json[]``) when the type is that on PostgreSQL, else None."""
    if type_ is None:
        return None
    type_ = to_instance(type_)
    try:
        # what the column would really be: variants and TypeDecorators resolved
        name = str(type_.compile(dialect=sql_dialect(context))).strip()
    except Exception:
        return "json" if isinstance(type_, JSON) and not isinstance(type_, JSONB) else None
    return name.lower() if _JSON.fullmatch(name.upper()) else None


def _columns(op: ops.MigrateOperation) -> Iterator[tuple[str, str, Any]]:
    """(table, column, type) of each column an operation adds or retypes."""
    if isinstance(op, ops.AddColumnOp):
        yield op.table_name, op.column.name, op.column.type
    elif isinstance(op, ops.CreateTableOp):
        for column in op.columns:
            if isinstance(column, Column):
                yield op.table_name, column.name, column.type
    elif isinstance(op, ops.AlterColumnOp) and op.modify_type is not None:
        yield op.table_name, op.modify_name or op.column_name, op.modify_type


def check(record: RecordedOp, context: RuleContext) -> Iterator[Problem]:
    for table, column, type_ in _columns(record.op):
        found = _json_type(type_, context)
        if found is not None:
            yield Problem(f"column {table}.{column} would be {found}, not jsonb")


RULE = define(
    __doc__,
    code="AG303",
    name="json-not-jsonb",
    check=check,
    severity=Severity.WARNING,
    dialects=("postgresql",),
)
