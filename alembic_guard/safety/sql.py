"""Raw SQL from ``op.execute`` -> classified statements, for the rules.

PostgreSQL SQL is parsed with pglast (PostgreSQL's own parser); other
dialects with sqlglot.  SQLAlchemy constructs (``sa.text``, ``sa.update``,
...) are compiled for the dialect first, and ``update()``/``delete()``
constructs are also read directly (their WHERE clause).  Parsing never
executes anything.
"""

from __future__ import annotations

import re
import warnings
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import sqlglot
from sqlalchemy.engine import Dialect
from sqlalchemy.exc import SAWarning
from sqlalchemy.sql.dml import Delete, Update
from sqlalchemy.sql.elements import TextClause
from sqlglot import exp
from sqlglot.errors import SqlglotError

from ..dialects import database_for


@dataclass(frozen=True)
class Statement:
    """One SQL statement, as much as the rules need to know of it.

    ``kind`` is one of: drop_table, drop_view, drop_materialized_view, drop_schema,
    drop_sequence, drop_type, drop_index, drop_other, truncate, delete, update, insert,
    create_index, alter_table, set, select, other.
    """

    kind: str
    text: str
    has_where: bool = False
    concurrently: bool = False
    #: lower-cased table names the statement targets (best effort)
    tables: tuple[str, ...] = ()
    #: MySQL ALTER TABLE ... ALGORITHM=COPY
    forces_copy: bool = False


class UnparsableSQL(Exception):
    """The SQL could not be parsed; the message says where."""


_TEXT_BIND = re.compile(r"(?<![:\w\\]):\w+(?!:)")
_DRIVER_BIND = re.compile(r"%\(\w+\)s|%s|\?")


def _placeholder(dialect: Dialect) -> str:
    return database_for(dialect).sql_placeholder


def _placeholders(pattern: re.Pattern[str], text: str, dialect: Dialect) -> str:
    """Each parameter as a placeholder the parser reads: $1, $2, ... (numbered, as a
    message quoting the statement should show them) on PostgreSQL."""
    if _placeholder(dialect) != "$1":
        return pattern.sub(_placeholder(dialect), text)
    numbers = iter(range(1, 1 << 30))
    return pattern.sub(lambda _: f"${next(numbers)}", text)


def shorten(text: str, limit: int = 80) -> str:
    """One line of a statement, for a message."""
    line = " ".join(text.split())
    return line if len(line) <= limit else line[: limit - 3] + "..."


def statement_text(sqltext: Any, dialect: Dialect) -> str:
    """The SQL an ``ExecuteSQLOp`` would send, as text (parameters as placeholders)."""
    if isinstance(sqltext, str):
        return sqltext
    if isinstance(sqltext, TextClause):
        return _placeholders(_TEXT_BIND, sqltext.text, dialect)
    try:
        with warnings.catch_warnings():
            # a write recorded from the bind carries no values: NULL literals are expected
            warnings.simplefilter("ignore", SAWarning)
            return str(sqltext.compile(dialect=dialect, compile_kwargs={"literal_binds": True}))
    except Exception:  # a value with no literal form: a placeholder does as well
        return _placeholders(_DRIVER_BIND, str(sqltext.compile(dialect=dialect)), dialect)


def classify(sqltext: Any, dialect: Dialect) -> list[Statement]:
    """The statements of an ``op.execute`` argument; raises :class:`UnparsableSQL`."""
    if isinstance(sqltext, (Update, Delete)):
        kind = "update" if isinstance(sqltext, Update) else "delete"
        table = str(getattr(sqltext.table, "name", "")).lower()
        return [
            Statement(
                kind=kind,
                text=statement_text(sqltext, dialect),
                has_where=sqltext.whereclause is not None,
                tables=(table,) if table else (),
            )
        ]
    text = statement_text(sqltext, dialect)
    if database_for(dialect).sql_parser == "pglast":
        return list(_classify_postgresql(text))
    return list(_classify_other(text, dialect.name))


_PG_DROP_KINDS = {
    "OBJECT_TABLE": "drop_table",
    "OBJECT_VIEW": "drop_view",
    "OBJECT_MATVIEW": "drop_materialized_view",
    "OBJECT_SCHEMA": "drop_schema",
    "OBJECT_SEQUENCE": "drop_sequence",
    "OBJECT_TYPE": "drop_type",
    "OBJECT_DOMAIN": "drop_type",
    "OBJECT_INDEX": "drop_index",
}


def _pg_names(node: Any) -> tuple[str, ...]:
    names = []
    for item in node or ():
        relation = getattr(item, "relation", item)
        name = getattr(relation, "relname", None)
        if name:
            names.append(str(name).lower())
        elif isinstance(item, tuple):
            parts = [getattr(p, "sval", str(p)) for p in item]
            names.append(str(parts[-1]).lower())
    return tuple(names)


@lru_cache(maxsize=4096)
def _classify_postgresql(text: str) -> tuple[Statement, ...]:
    from pglast import enums, parse_sql
    from pglast.parser import ParseError

    try:
        parsed = parse_sql(text)
    except ParseError as error:
        raise UnparsableSQL(str(error)) from None
    statements = []
    for raw in parsed:
        node: Any = raw.stmt
        name = type(node).__name__
        location = raw.stmt_location or 0
        length = raw.stmt_len or len(text) - location
        piece = text[location : location + length].strip()
        if name == "DropStmt":
            kind = _PG_DROP_KINDS.get(enums.ObjectType(node.removeType).name, "drop_other")
            statements.append(
                Statement(
                    kind, piece, concurrently=bool(node.concurrent), tables=_pg_names(node.objects)
                )
            )
        elif name == "TruncateStmt":
            statements.append(Statement("truncate", piece, tables=_pg_names(node.relations)))
        elif name in ("DeleteStmt", "UpdateStmt"):
            statements.append(
                Statement(
                    "delete" if name == "DeleteStmt" else "update",
                    piece,
                    has_where=node.whereClause is not None,
                    tables=_pg_names([node.relation]),
                )
            )
        elif name == "InsertStmt":
            statements.append(Statement("insert", piece, tables=_pg_names([node.relation])))
        elif name == "IndexStmt":
            statements.append(
                Statement(
                    "create_index",
                    piece,
                    concurrently=bool(node.concurrent),
                    tables=_pg_names([node.relation]),
                )
            )
        elif name == "AlterTableStmt":
            statements.append(Statement("alter_table", piece, tables=_pg_names([node.relation])))
        elif name == "VariableSetStmt":
            statements.append(Statement("set", piece))
        elif name == "SelectStmt":
            statements.append(Statement("select", piece))
        else:
            statements.append(Statement("other", piece))
    return tuple(statements)


_SQLGLOT = {"mysql": "mysql", "mariadb": "mysql", "sqlite": "sqlite"}
_COPY = re.compile(r"\bALGORITHM\s*=?\s*COPY\b", re.I)


@lru_cache(maxsize=4096)
def _classify_other(text: str, dialect: str) -> tuple[Statement, ...]:
    try:
        trees = sqlglot.parse(text, read=_SQLGLOT.get(dialect))
    except (SqlglotError, ValueError) as error:
        raise UnparsableSQL(str(error).splitlines()[0]) from None
    statements = []
    for tree in trees:
        if tree is None:
            continue
        piece = tree.sql(dialect=_SQLGLOT.get(dialect))
        tables = tuple(t.name.lower() for t in tree.find_all(exp.Table))
        if isinstance(tree, exp.Drop):
            kind = {
                "TABLE": "drop_table",
                "VIEW": "drop_view",
                "SCHEMA": "drop_schema",
                "DATABASE": "drop_schema",
                "SEQUENCE": "drop_sequence",
                "TYPE": "drop_type",
                "INDEX": "drop_index",
            }.get(str(tree.args.get("kind") or "").upper(), "drop_other")
            statements.append(Statement(kind, piece, tables=tables))
        elif isinstance(tree, exp.TruncateTable):
            statements.append(Statement("truncate", piece, tables=tables))
        elif isinstance(tree, (exp.Delete, exp.Update)):
            statements.append(
                Statement(
                    "delete" if isinstance(tree, exp.Delete) else "update",
                    piece,
                    has_where=tree.args.get("where") is not None,
                    tables=tables[:1],
                )
            )
        elif isinstance(tree, exp.Insert):
            statements.append(Statement("insert", piece, tables=tables[:1]))
        elif isinstance(tree, exp.Create) and str(tree.args.get("kind") or "").upper() == "INDEX":
            statements.append(Statement("create_index", piece, tables=tables))
        elif isinstance(tree, exp.Alter):
            statements.append(
                Statement(
                    "alter_table", piece, tables=tables[:1], forces_copy=bool(_COPY.search(text))
                )
            )
        elif isinstance(tree, exp.Set):
            statements.append(Statement("set", piece))
        elif isinstance(tree, exp.Select):
            statements.append(Statement("select", piece))
        else:
            statements.append(Statement("other", piece))
    return tuple(statements)
