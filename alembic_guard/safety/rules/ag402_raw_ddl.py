"""A raw ``ALTER TABLE`` on an existing table is not judged by the guard's rules.

Why:
    The rules read Alembic operations; in ``op.execute`` SQL they recognise drops,
    unbounded DML, index builds, renames, backfills and MySQL table copies, but not
    the subcommands of ``ALTER TABLE`` (``DROP COLUMN``, ``ALTER COLUMN ... TYPE``,
    ``SET NOT NULL``, ``ADD CONSTRAINT``...). Those can lose data, rewrite the table
    or hold an ACCESS EXCLUSIVE lock, and would pass unreviewed.

Safe alternative:
    ``ALTER TABLE ... VALIDATE CONSTRAINT`` and ``... ADD CONSTRAINT ... USING INDEX``,
    the second steps the other rules recommend, are not flagged. Otherwise express the
    change with Alembic operations (``op.drop_column``,
    ``op.alter_column``, ``op.create_check_constraint(..., postgresql_not_valid=True)``),
    which the specific rules judge; or review the SQL and allow it with a reason.

Example:
    op.execute("ALTER TABLE users ALTER COLUMN plan SET NOT NULL")   # flagged

    with alembic_guard.allow("AG402", reason="reviewed: users has 40 rows, no NULLs"):
        op.execute("ALTER TABLE users ALTER COLUMN plan SET NOT NULL")
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from ..context import RuleContext
from ..recording import RecordedOp
from ..sql import shorten
from . import Problem, define
from ._raw_sql import is_new_table, statements

#: judged elsewhere: renames (AG301, AG302) and MySQL table copies (AG214)
_JUDGED = re.compile(r"\bRENAME\b|\bALGORITHM\s*=?\s*COPY\b", re.I)
#: the safe second steps the other rules recommend: VALIDATE CONSTRAINT (SHARE UPDATE
#: EXCLUSIVE, reads and writes go on) and ADD CONSTRAINT ... USING INDEX (no index build)
_SAFE_STEP = re.compile(
    r"^\s*ALTER\s+TABLE\s+[^;]*\b(VALIDATE\s+CONSTRAINT|USING\s+INDEX)\b[^,;]*$", re.I | re.S
)


def check(record: RecordedOp, context: RuleContext) -> Iterator[Problem]:
    for statement in statements(record, context):
        if statement.kind != "alter_table" or _JUDGED.search(statement.text):
            continue
        if _SAFE_STEP.search(statement.text):
            continue
        if statement.tables and all(is_new_table(context, t) for t in statement.tables):
            continue
        yield Problem(
            f"runs {shorten(statement.text)}: the guard does not judge ALTER TABLE "
            f"subcommands in raw SQL"
        )


RULE = define(__doc__, code="AG402", name="raw-ddl", check=check)
