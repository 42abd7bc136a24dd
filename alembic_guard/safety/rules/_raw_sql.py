"""What the raw-SQL rules share: an ``op.execute`` argument as classified statements.

Every rule that reads raw SQL skips what does not parse; AG401 reports it,
once.  The SQLAlchemy dialect is the connection's when there is one, else a
dialect object of the target's name (offline ``--sql`` has no connection).
"""

from __future__ import annotations

import re
from functools import lru_cache

from alembic.operations import ops
from sqlalchemy import create_mock_engine
from sqlalchemy.engine import Dialect

from ..context import RuleContext
from ..recording import RecordedOp
from ..sql import Statement, UnparsableSQL, classify


@lru_cache(maxsize=8)
def _dialect_named(name: str) -> Dialect:
    # a mock engine builds the dialect as create_engine would ("mariadb" included),
    # without importing a driver
    return create_mock_engine(f"{name}://", lambda *_, **__: None).dialect


def sql_dialect(context: RuleContext) -> Dialect:
    """The SQLAlchemy dialect the target speaks."""
    if context.connection is not None:
        return context.connection.dialect
    return _dialect_named(context.dialect)


def parse(record: RecordedOp, context: RuleContext) -> tuple[tuple[Statement, ...], str | None]:
    """The statements of a recorded ``op.execute`` and, when it cannot be read, why.

    Anything but an ``ExecuteSQLOp`` has no statements and no error.
    """
    op = record.op
    if not isinstance(op, ops.ExecuteSQLOp):
        return (), None
    try:
        return tuple(classify(op.sqltext, sql_dialect(context))), None
    except UnparsableSQL as error:
        return (), str(error) or "syntax error"
    except Exception as error:  # a construct that does not even compile for the dialect
        return (), f"cannot be compiled for {context.dialect}: {type(error).__name__}: {error}"


def statements(record: RecordedOp, context: RuleContext) -> tuple[Statement, ...]:
    """The statements of a recorded ``op.execute``; none when it does not parse."""
    return parse(record, context)[0]


def is_new_table(context: RuleContext, table: str) -> bool:
    """Whether a raw statement's (lower-cased, unqualified) table was created earlier
    in the pending set."""
    return any(name.lower() == table for _, name in context.created_tables)


def is_new_column(context: RuleContext, table: str, column: str) -> bool:
    table, column = table.lower(), column.lower()
    return is_new_table(context, table) or any(
        name.lower() == table and added.lower() == column
        for _, name, added in context.created_columns
    )


#: an identifier, quoted ("..", `..`, [..]) or bare
NAME = r'(?:"[^"]+"|`[^`]+`|\[[^\]]+\]|[\w$]+)'
#: the start of an ``ALTER TABLE`` statement, naming its table
ALTER_TABLE = re.compile(
    rf"^\s*ALTER\s+TABLE\s+(?:IF\s+EXISTS\s+)?(?:ONLY\s+)?(?P<table>{NAME}(?:\s*\.\s*{NAME})*)",
    re.I,
)


def unquote(name: str) -> str:
    """The last part of a possibly qualified, possibly quoted identifier."""
    parts = re.findall(NAME, name)
    name = parts[-1] if parts else name.strip()
    return name[1:-1] if name[:1] in '"`[' else name
