"""Renaming a table breaks running code that still uses the old name.

Why:
    The migration runs before the new release is everywhere: until the rollout
    ends, the old release still reads and writes the table under its old name and
    every one of its queries on it fails. So do raw SQL, reports, views of other
    applications and grants that name the table, and a rollback of the code alone
    does not bring the old name back. Raw ``ALTER TABLE ... RENAME TO`` and MySQL's
    ``RENAME TABLE`` in ``op.execute`` are read too.

Safe alternative:
    Expand and contract: create the table under the new name (or rename it and
    create a view under the old name as a shim, where the database can write through
    a simple view), deploy code that uses the new name, and drop the old table or the
    shim in a later migration. Or keep the old table name and set
    ``__tablename__`` / ``Table("old_name", ...)`` in the model.

Example:
    op.rename_table("customer", "client")   # flagged

    with alembic_guard.allow("AG301", reason="view shim keeps the old name until release 42"):
        op.rename_table("customer", "client")
        op.execute("CREATE VIEW customer AS SELECT * FROM client")
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from alembic.operations import ops

from ..context import RuleContext
from ..recording import RecordedOp
from ..sql import Statement
from . import Problem, define
from ._raw_sql import ALTER_TABLE, NAME, is_new_table, statements, unquote

_QUALIFIED = rf"{NAME}(?:\s*\.\s*{NAME})*"
# ALTER TABLE old RENAME [TO|AS] new  (sqlglot writes MySQL's without TO)
_RENAME_TO = re.compile(rf"^\s+RENAME\s+(?:(?:TO|AS)\s+)?(?P<new>{_QUALIFIED})\s*;?\s*$", re.I)
# MySQL/MariaDB: RENAME TABLE a TO b[, c TO d ...]
_RENAME_TABLE = re.compile(r"^\s*RENAME\s+TABLES?\s+", re.I)
_PAIR = re.compile(rf"(?P<old>{_QUALIFIED})\s+TO\s+(?P<new>{_QUALIFIED})", re.I)


def _raw_renames(statement: Statement) -> Iterator[tuple[str, str]]:
    """(old, new) for each table a raw statement renames."""
    if statement.kind not in ("alter_table", "other"):
        return
    alter = ALTER_TABLE.match(statement.text)
    if alter is not None:
        rename = _RENAME_TO.match(statement.text[alter.end() :])
        if rename is not None:
            yield unquote(alter["table"]), unquote(rename["new"])
        return
    start = _RENAME_TABLE.match(statement.text)
    if start is not None:
        for pair in _PAIR.finditer(statement.text[start.end() :]):
            yield unquote(pair["old"]), unquote(pair["new"])


def check(record: RecordedOp, context: RuleContext) -> Iterator[Problem]:
    op = record.op
    # the guard's RenameTableOp subclasses Alembic's
    if isinstance(op, ops.RenameTableOp):
        if not context.is_new_table(op.schema, op.table_name):
            yield Problem(
                f"renames table {op.table_name} to {op.new_table_name}; running code still "
                f"uses {op.table_name}"
            )
        return
    for statement in statements(record, context):
        for old, new in _raw_renames(statement):
            if not is_new_table(context, old.lower()):
                yield Problem(
                    f"renames table {old} to {new} (raw SQL); running code still uses {old}"
                )


RULE = define(__doc__, code="AG301", name="rename-table", check=check)
