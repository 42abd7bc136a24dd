"""Raw SQL the database's parser cannot read: the guard cannot check it.

Why:
    The rules that read ``op.execute`` SQL (drops, unbounded DML, index builds,
    renames, backfills, table copies) parse it with the target database's grammar
    (PostgreSQL's own parser, sqlglot for the others). SQL that does not parse is
    passed over by all of them, so a ``DROP``, an unbounded
    ``UPDATE`` or a table rewrite inside it would go unreviewed; and SQL with a
    syntax error fails half-way through the deploy anyway.

Safe alternative:
    Fix the SQL (the message quotes the parser's error), or express the change with
    Alembic operations the guard understands. If the SQL is valid for the server but
    beyond the parser, review it by hand and allow it with a reason.

Example:
    op.execute("UPDATE users SET plan = 'free' WERE id = 1")   # flagged: syntax error

    with alembic_guard.allow("AG401", reason="reviewed: server-specific syntax"):
        op.execute(vendor_specific_sql)
"""

from __future__ import annotations

from collections.abc import Iterator

from ..context import RuleContext
from ..recording import RecordedOp
from . import Problem, define
from ._raw_sql import parse


def check(record: RecordedOp, context: RuleContext) -> Iterator[Problem]:
    _, error = parse(record, context)
    if error is not None:
        yield Problem(f"unreviewed raw SQL: the {context.dialect} parser cannot read it ({error})")


RULE = define(__doc__, code="AG401", name="unparseable-sql", check=check)
