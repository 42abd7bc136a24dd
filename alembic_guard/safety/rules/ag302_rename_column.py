"""Renaming a column breaks running code that still uses the old name.

Why:
    The migration runs before the new release is everywhere: until the rollout
    ends, the old release still selects and inserts the column under its old name
    (SQLAlchemy lists every mapped column in its queries), so its requests on the
    table fail. Raw SQL, views and reports that name the column break as well.
    Raw ``ALTER TABLE ... RENAME COLUMN`` (MySQL: ``CHANGE old new ...``) in
    ``op.execute`` is read too.

Safe alternative:
    Expand and contract: add the new column, write both columns in a release,
    backfill the new one, switch reads to it in the next release, and drop the old
    column in a later migration. Or keep the column name in the database and rename
    only the attribute: ``new_name = Column("old_name", ...)``.

Example:
    op.alter_column("users", "fax", new_column_name="fax_number")   # flagged

    op.add_column("users", sa.Column("fax_number", sa.String(40)))   # expand instead
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from alembic.operations import ops

from ..context import RuleContext
from ..recording import RecordedOp
from ..sql import Statement
from . import Problem, define
from ._raw_sql import ALTER_TABLE, NAME, is_new_column, statements, unquote

_RENAME = re.compile(
    rf"\bRENAME\s+(?:COLUMN\s+)?(?!(?:TO|AS|CONSTRAINT|INDEX|KEY)\b)(?P<old>{NAME})\s+TO\s+(?P<new>{NAME})",
    re.I,
)
# MySQL/MariaDB: CHANGE [COLUMN] old new <definition>
_CHANGE = re.compile(rf"\bCHANGE\s+(?:COLUMN\s+)?(?P<old>{NAME})\s+(?P<new>{NAME})", re.I)


def _raw_renames(statement: Statement) -> Iterator[tuple[str, str, str]]:
    """(table, old, new) for each column an ``ALTER TABLE`` statement renames."""
    if statement.kind not in ("alter_table", "other"):
        return
    alter = ALTER_TABLE.match(statement.text)
    if alter is None:
        return
    table = unquote(alter["table"])
    rest = statement.text[alter.end() :]
    for pattern in (_RENAME, _CHANGE):
        for match in pattern.finditer(rest):
            old, new = unquote(match["old"]), unquote(match["new"])
            if old.lower() != new.lower():
                yield table, old, new


def check(record: RecordedOp, context: RuleContext) -> Iterator[Problem]:
    op = record.op
    # Alembic's alter_column(new_column_name=...) and the guard's RenameColumnOp (a subclass)
    if isinstance(op, ops.AlterColumnOp):
        if op.modify_name is None or op.modify_name == op.column_name:
            return
        if context.is_new_column(op.schema, op.table_name, op.column_name):
            return
        yield Problem(
            f"renames column {op.table_name}.{op.column_name} to {op.modify_name}; "
            f"running code still uses {op.column_name}"
        )
        return
    for statement in statements(record, context):
        for table, old, new in _raw_renames(statement):
            if not is_new_column(context, table, old):
                yield Problem(
                    f"renames column {table}.{old} to {new} (raw SQL); running code still uses {old}"
                )


RULE = define(__doc__, code="AG302", name="rename-column", check=check)
