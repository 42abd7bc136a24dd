"""Canonical forms of SQL expressions, so that equal rules compare equal.

Two layers:

* :func:`expression_key` -- a parse-based key (sqlglot) that ignores what
  never changes meaning: whitespace, keyword case, identifier quoting,
  redundant parentheses, casts the database adds (``'a'::character
  varying``, ``'-5'::integer``, ``'2020-01-01'::date``), ``BETWEEN`` vs
  ``>= AND <=``, ``IN (...)`` vs ``= ANY (ARRAY[...])``, ``!=`` vs ``<>``,
  how ``AND``/``OR`` are grouped, where a ``NOT`` stands (De Morgan), and
  MariaDB's own spellings.  It needs no database and never writes.
* :class:`Canonicalizer` -- asks the database for its own rendering of model
  expressions, in one batch, on scratch objects that never outlive the call
  (PostgreSQL: temporary tables inside a savepoint that is always rolled
  back; MariaDB/MySQL: temporary tables dropped at once).  It is only asked
  about the few expressions the parse key could not match.
"""

from __future__ import annotations

import logging
import re
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, ClassVar, cast

import sqlglot
from sqlalchemy import Table, bindparam, create_engine, text
from sqlalchemy.engine import Connection, Dialect
from sqlglot import exp
from sqlglot.errors import SqlglotError

from .errors import ConnectionLost, GuardError
from .lost_connection import is_lost

log = logging.getLogger(__name__)

#: SQLAlchemy dialect name -> sqlglot dialect name
_SQLGLOT_DIALECTS = {
    "postgresql": "postgres",
    "mysql": "mysql",
    "mariadb": "mysql",
    "sqlite": "sqlite",
}

_WHITESPACE = re.compile(r"\s+")


def squash(sql: str) -> str:
    """Whitespace folded and fully-enclosing parentheses removed."""
    sql = _WHITESPACE.sub(" ", sql).strip()
    while sql.startswith("(") and sql.endswith(")") and _encloses(sql):
        sql = sql[1:-1].strip()
    return sql


def _encloses(sql: str) -> bool:
    """True when the first parenthesis closes at the very end (quotes respected)."""
    depth = 0
    quote: str | None = None
    for index, char in enumerate(sql):
        if quote:
            if char == quote:
                quote = None
            continue
        if char in "'\"`":
            quote = char
        elif char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
            if depth == 0 and index != len(sql) - 1:
                return False
    return depth == 0


_STRING_TYPES = {
    exp.DataType.Type.TEXT,
    exp.DataType.Type.VARCHAR,
    exp.DataType.Type.CHAR,
    exp.DataType.Type.NCHAR,
    exp.DataType.Type.NVARCHAR,
    exp.DataType.Type.BPCHAR,
    exp.DataType.Type.NAME,
}


def _is_added_cast(node: exp.Expression) -> bool:
    """A cast the database writes by itself: to a string type (PostgreSQL's
    ``(s)::text``, ``'a'::character varying``, ``ARRAY[...]::text[]``) or a
    literal made numeric (``0::numeric``).  Other casts carry meaning and stay."""
    if not isinstance(node, exp.Cast):
        return False
    target = node.to
    if target.this == exp.DataType.Type.ARRAY and target.expressions:
        target = target.expressions[0]
    if target.this in _STRING_TYPES:
        return True
    return target.this == exp.DataType.Type.DECIMAL and isinstance(node.this, exp.Literal)


def _unwrap(node: exp.Expression) -> exp.Expression:
    while isinstance(node, exp.Paren) or _is_added_cast(node):
        node = cast(exp.Expression, node.this)
    return node


def _quantified_array(
    node: exp.Expression, quantifier: type[exp.Expression]
) -> list[exp.Expression] | None:
    """The items of ``ANY (ARRAY[...])`` (or ``ALL``), else None."""
    node = _unwrap(node)
    name = quantifier.__name__.upper()
    if isinstance(node, quantifier):
        inner = node.this
    elif isinstance(node, exp.Anonymous) and str(node.this).upper() == name and node.expressions:
        inner = node.expressions[0]
    else:
        return None
    inner = _unwrap(inner)
    return list(inner.expressions) if isinstance(inner, exp.Array) else None


def _as_membership(node: exp.Expression) -> exp.Expression | None:
    """``x = ANY (ARRAY[a, b])`` -> ``x IN (a, b)``; ``x <> ALL (...)`` -> ``NOT IN``."""
    if isinstance(node, exp.EQ):
        items = _quantified_array(node.expression, exp.Any)
        if items is not None:
            return exp.In(this=node.this.copy(), expressions=[i.copy() for i in items])
    if isinstance(node, exp.NEQ):
        items = _quantified_array(node.expression, exp.All)
        if items is not None:
            return exp.Not(
                this=exp.In(this=node.this.copy(), expressions=[i.copy() for i in items])
            )
    return None


_NUMBER_TYPES = {
    exp.DataType.Type.TINYINT,
    exp.DataType.Type.SMALLINT,
    exp.DataType.Type.INT,
    exp.DataType.Type.BIGINT,
    exp.DataType.Type.DECIMAL,
    exp.DataType.Type.DOUBLE,
    exp.DataType.Type.FLOAT,
}
_INTEGER_TYPES = {
    exp.DataType.Type.TINYINT,
    exp.DataType.Type.SMALLINT,
    exp.DataType.Type.INT,
    exp.DataType.Type.BIGINT,
}
_DATE_TYPES = {
    exp.DataType.Type.DATE,
    exp.DataType.Type.DATETIME,
    exp.DataType.Type.TIMESTAMP,
    exp.DataType.Type.TIME,
}
_NUMBER = re.compile(r"-?\d+(\.\d+)?$")


def _literal(node: exp.Expression) -> exp.Expression | None:
    """One spelling for a literal the database re-typed: ``'-137'::integer``,
    ``(10)::numeric`` and ``-137`` are the number; ``'2020-01-01'::date`` is the string
    (PostgreSQL types an untyped literal after the column it meets)."""
    if isinstance(node, exp.Neg):
        inner = _unwrap(cast(exp.Expression, node.this))
        if isinstance(inner, exp.Literal) and not inner.is_string and _NUMBER.match(inner.name):
            text = inner.name[1:] if inner.name.startswith("-") else "-" + inner.name
            return exp.Literal(this=text, is_string=False)
        return None
    if not isinstance(node, exp.Cast):
        return None
    inner = _unwrap(cast(exp.Expression, node.this))
    if not isinstance(inner, exp.Literal):
        return None
    if node.to.this in _NUMBER_TYPES and _NUMBER.match(inner.name):
        if "." in inner.name and node.to.this in _INTEGER_TYPES:
            return None  # '1.5'::integer is 2
        return exp.Literal(this=inner.name, is_string=False)
    if node.to.this in _DATE_TYPES and inner.is_string:
        return inner.copy()
    return None


def _flattened(node: exp.Expression) -> exp.Expression | None:
    """``a AND (b AND c)`` and ``(a AND b) AND c`` as one left-deep chain."""
    kind = type(node)
    operands: list[exp.Expression] = []
    pending = [node]
    while pending:
        item = pending.pop()
        while isinstance(item, exp.Paren):
            item = cast(exp.Expression, item.this)
        if type(item) is kind:
            pending.extend([item.expression, item.this])
        else:
            operands.append(item)
    chain = operands[0].copy()
    for operand in operands[1:]:
        chain = kind(this=chain, expression=operand.copy())
    return chain if repr(chain) != repr(node) else None


_INVERSE: dict[type[exp.Expression], type[exp.Expression]] = {
    exp.EQ: exp.NEQ,
    exp.NEQ: exp.EQ,
    exp.LT: exp.GTE,
    exp.GTE: exp.LT,
    exp.GT: exp.LTE,
    exp.LTE: exp.GT,
}


def _negation(node: exp.Expression) -> exp.Expression | None:
    """``NOT`` pushed down to the comparisons (De Morgan, ``NOT NOT x`` is ``x``,
    ``NOT (a < b)`` is ``a >= b``; all hold in three-valued logic too), as databases
    rewrite it: PostgreSQL stores ``x NOT BETWEEN a AND b`` as ``x < a OR x > b``,
    MariaDB ``NOT (p AND q)`` as ``NOT p OR NOT q``."""
    if isinstance(node, exp.Like) and node.args.get("negate"):
        return exp.Not(this=exp.Like(this=node.this.copy(), expression=node.expression.copy()))
    if not isinstance(node, exp.Not):
        return None
    inner = _unwrap(cast(exp.Expression, node.this))
    if isinstance(inner, exp.Not):
        return cast(exp.Expression, inner.this).copy()
    if isinstance(inner, (exp.And, exp.Or)):
        other = exp.Or if isinstance(inner, exp.And) else exp.And
        return other(
            this=exp.Not(this=inner.this.copy()), expression=exp.Not(this=inner.expression.copy())
        )
    if isinstance(inner, exp.Between):
        return exp.Or(
            this=exp.LT(this=inner.this.copy(), expression=inner.args["low"].copy()),
            expression=exp.GT(this=inner.this.copy(), expression=inner.args["high"].copy()),
        )
    inverse = _INVERSE.get(type(inner))
    quantified = isinstance(_unwrap(inner.expression), (exp.Any, exp.All)) or (
        isinstance(_unwrap(inner.expression), exp.Anonymous)
        and str(_unwrap(inner.expression).this).upper() in ("ANY", "ALL")
    )
    if inverse is not None and not quantified:
        return inverse(this=inner.this.copy(), expression=inner.expression.copy())
    return None


def _mysql_spelling(node: exp.Expression) -> exp.Expression | None:
    """MariaDB/MySQL store ``length`` as ``octet_length``, ``true`` as ``1``, a truth
    test ``NOT flag`` as ``flag = 0`` and ``NOT NOT flag`` as ``flag <> 0``."""
    if isinstance(node, exp.Anonymous) and str(node.this).lower() == "octet_length":
        return exp.Length(this=node.expressions[0].copy(), binary=True)  # as MySQL parses length()
    if isinstance(node, exp.Boolean):
        return exp.Literal(this="1" if node.this else "0", is_string=False)
    if isinstance(node, (exp.EQ, exp.NEQ)) and isinstance(_unwrap(node.this), exp.Column):
        right = _unwrap(node.expression)
        if isinstance(right, exp.Literal) and not right.is_string and right.name == "0":
            column = _unwrap(node.this).copy()
            return exp.Not(this=column) if isinstance(node, exp.EQ) else column
    return None


def _single_membership(node: exp.Expression) -> exp.Expression | None:
    """``x IN (1)`` is ``x = 1`` and ``x NOT IN (1)`` is ``x <> 1``, as PostgreSQL stores them."""
    negated = isinstance(node, exp.Not)
    inner = _unwrap(cast(exp.Expression, node.this)) if negated else node
    if not isinstance(inner, exp.In) or len(inner.expressions) != 1 or inner.args.get("query"):
        return None
    kind = exp.NEQ if negated else exp.EQ
    return kind(this=inner.this.copy(), expression=inner.expressions[0].copy())


def _normalize(node: exp.Expression, mysql: bool = False) -> exp.Expression:
    literal = _literal(node)
    if literal is not None:
        return literal
    if isinstance(node, exp.Paren) or _is_added_cast(node):
        return cast(exp.Expression, node.this)
    if isinstance(node, (exp.And, exp.Or)):
        return _flattened(node) or node
    rewritten = _single_membership(node) or _negation(node)
    if rewritten is None and mysql:
        rewritten = _mysql_spelling(node)
    if rewritten is not None:
        return rewritten
    if isinstance(node, exp.Between):
        return exp.And(
            this=exp.GTE(this=node.this.copy(), expression=node.args["low"].copy()),
            expression=exp.LTE(this=node.this.copy(), expression=node.args["high"].copy()),
        )
    membership = _as_membership(node)
    if membership is not None:
        return membership
    if isinstance(node, exp.Identifier):
        # unquoted names fold to lower case; the result is marked quoted so that
        # the fixed-point loop below does not fold a quoted "Name" on its next pass
        # (MySQL/MariaDB column names are case-insensitive even when quoted)
        folded = mysql or not node.args.get("quoted")
        return exp.Identifier(this=node.name.lower() if folded else node.name, quoted=True)
    if isinstance(node, exp.Anonymous):
        node.set("this", str(node.this).lower())
    return node


def _simplify(node: exp.Expression) -> exp.Expression:
    if _is_added_cast(node):
        return cast(exp.Expression, node.this)
    return _as_membership(node) or node


def source_variants(sql: str, dialect: str) -> list[str]:
    """Other spellings of a database-rendered expression that may re-create it exactly.

    PostgreSQL's rendering is not always a fixed point (re-parsing
    ``(ARRAY[...])::text[]`` pushes the cast into the elements); the form a
    user would have written (``s IN ('a', 'b')``) usually is.  Callers keep
    a variant only after the database confirmed it renders back to ``sql``.
    """
    read = _SQLGLOT_DIALECTS.get(dialect)
    try:
        tree = sqlglot.parse_one(sql, read=read)
    except (SqlglotError, ValueError, RecursionError):
        return []
    simplified = sql
    for _ in range(8):  # a rewrite can expose another: repeat to a fixed point
        tree = tree.transform(_simplify, copy=False)
        rendered = tree.sql(dialect=read)
        if rendered == simplified:
            break
        simplified = rendered
    return [simplified] if simplified != sql else []


def with_columns_renamed(sql: str, mapping: dict[str, str], dialect: str) -> str:
    """``sql`` with the columns named in ``mapping`` (old -> new) renamed."""
    if not mapping:
        return sql
    read = _SQLGLOT_DIALECTS.get(dialect)
    try:
        tree = sqlglot.parse_one(sql, read=read)
    except (SqlglotError, ValueError, RecursionError):
        return sql
    lowered = {old.lower(): new for old, new in mapping.items()}
    for column in tree.find_all(exp.Column):
        new = lowered.get(column.name.lower())
        if new is not None:
            column.set("this", exp.Identifier(this=new, quoted=True))
    return tree.sql(dialect=read)


def referenced_columns(sql: str, dialect: str) -> frozenset[str]:
    """Lower-cased names of the columns an expression reads (empty if unparsable)."""
    try:
        tree = sqlglot.parse_one(sql, read=_SQLGLOT_DIALECTS.get(dialect))
    except (SqlglotError, ValueError, RecursionError):
        return frozenset()
    return frozenset(column.name.lower() for column in tree.find_all(exp.Column))


@lru_cache(maxsize=65536)
def expression_key(sql: str, dialect: str) -> str | None:
    """A key equal for expressions the database treats as the same; None if unparsable."""
    read = _SQLGLOT_DIALECTS.get(dialect)
    try:
        tree = sqlglot.parse_one(sql, read=read)
    except (SqlglotError, ValueError, RecursionError):
        return None
    previous = None
    fold_all_names = read == "mysql"
    # a rewrite can expose another (a cast inside a BETWEEN bound, a NOT pushed down
    # through nested ANDs): repeat to a fixed point
    for _ in range(32):
        tree = tree.transform(lambda node: _normalize(node, fold_all_names), copy=False)
        key = repr(tree)
        if key == previous:
            break
        previous = key
    return previous


def _qualifier_stripped(node: exp.Expression) -> exp.Expression:
    """Views: ``items.price`` and ``price`` are one column in a one-table SELECT."""
    if isinstance(node, exp.Column):
        return exp.Column(this=node.this)
    if isinstance(node, exp.Table):
        return exp.Table(this=node.this)
    return node


def _view_spelling(node: exp.Expression) -> exp.Expression:
    """How databases re-spell a stored SELECT: ``price AS price``, ``INNER JOIN``,
    MariaDB's ``count(0)`` for ``count(*)``."""
    if (
        isinstance(node, exp.Alias)
        and isinstance(node.this, exp.Column)
        and node.this.name.lower() == node.alias.lower()
    ):
        return node.this
    if isinstance(node, exp.Join) and str(node.args.get("kind") or "").upper() == "INNER":
        node.set("kind", None)
    if (
        isinstance(node, exp.Count)
        and isinstance(node.this, exp.Literal)
        and not node.this.is_string
    ):
        return exp.Count(this=exp.Star())
    return node


def _unparenthesised_joins(node: exp.Expression) -> exp.Expression:
    """``FROM (a JOIN b ON ...)``, as PostgreSQL writes joins back, is ``FROM a JOIN b ON ...``."""
    if not isinstance(node, exp.Select):
        return node
    source = node.args.get("from_") or node.args.get("from")
    if not isinstance(source, exp.From):
        return node
    inner = source.this
    if (
        isinstance(inner, exp.Subquery)
        and not inner.alias
        and isinstance(inner.this, exp.Table)
        and inner.this.args.get("joins")
    ):
        table = inner.this
        joins = list(table.args["joins"])
        table.set("joins", None)
        source.set("this", table)
        node.set("joins", joins + list(node.args.get("joins") or []))
    return node


@lru_cache(maxsize=16384)
def view_key(sql: str, dialect: str) -> str | None:
    """A parse-based key for a view's SELECT, for when the database cannot canonicalise.

    Beyond :func:`expression_key` it ignores table qualifiers on columns and
    tables and ``AS`` aliases equal to the column's own name, which is how
    PostgreSQL and MySQL write back a SELECT.  None if unparsable.
    """
    read = _SQLGLOT_DIALECTS.get(dialect)
    try:
        tree = sqlglot.parse_one(sql, read=read)
    except (SqlglotError, ValueError, RecursionError):
        return None
    single_table = len({t.name.lower() for t in tree.find_all(exp.Table)}) <= 1
    previous = None
    for _ in range(32):
        tree = tree.transform(_unparenthesised_joins, copy=False)
        tree = tree.transform(_view_spelling, copy=False)
        tree = tree.transform(lambda node: _normalize(node, read == "mysql"), copy=False)
        if single_table:
            tree = tree.transform(_qualifier_stripped, copy=False)
        # a pass can change the tree without changing its text (a name marked quoted)
        state = repr(tree)
        if state == previous:
            break
        previous = state
    return tree.sql()  # not repr(): a moved join leaves empty arguments behind


def referenced_relations(
    sql: str, dialect: str, strict: bool = False
) -> dict[tuple[str | None, str], frozenset[str]]:
    """Tables and views a SELECT reads, with the column names it reads from each.

    An unqualified column of a SELECT over several relations is counted for
    each of them (a conservative answer to "may this view read t.c?"), or,
    with ``strict``, for none of them (a sure answer to "does it read t.c?").
    """
    read = _SQLGLOT_DIALECTS.get(dialect)
    try:
        tree = sqlglot.parse_one(sql, read=read)
    except (SqlglotError, ValueError, RecursionError):
        return {}
    ctes = {cte.alias_or_name.lower() for cte in tree.find_all(exp.CTE)}
    aliases: dict[str, tuple[str | None, str]] = {}
    found: dict[tuple[str | None, str], set[str]] = {}
    for table in tree.find_all(exp.Table):
        if not table.name or (not table.db and table.name.lower() in ctes):
            continue
        key = (table.db or None, table.name)
        found.setdefault(key, set())
        aliases[table.alias_or_name.lower()] = key
        aliases[table.name.lower()] = key
    for column in tree.find_all(exp.Column):
        owner = aliases.get(column.table.lower()) if column.table else None
        if owner is None and strict and len(found) > 1:
            continue
        for key in [owner] if owner else list(found):
            found[key].add(column.name)
    return {key: frozenset(columns) for key, columns in found.items()}


def star_relations(sql: str, dialect: str) -> set[tuple[str | None, str]]:
    """The relations a SELECT takes every column of (``*``, ``t.*``): the database
    expands the star when the view is made, so a column added later is not in it."""
    read = _SQLGLOT_DIALECTS.get(dialect)
    try:
        tree = sqlglot.parse_one(sql, read=read)
    except (SqlglotError, ValueError, RecursionError):
        return set()
    found: set[tuple[str | None, str]] = set()
    for select in tree.find_all(exp.Select):
        tables = [t for t in select.find_all(exp.Table) if t.name]
        by_alias = {t.alias_or_name.lower(): t for t in tables} | {
            t.name.lower(): t for t in tables
        }
        for expression in select.expressions:
            if isinstance(expression, exp.Star):
                found.update((t.db or None, t.name) for t in tables)
            elif isinstance(expression, exp.Column) and isinstance(expression.this, exp.Star):
                table = by_alias.get(expression.table.lower())
                if table is not None:
                    found.add((table.db or None, table.name))
    return found


@dataclass(frozen=True)
class ScratchRequest:
    """Ask the database to render ``sql`` as a CHECK on a copy of ``table``."""

    table: Table
    sql: str


@dataclass(frozen=True)
class ViewRequest:
    """Ask the database how it stores a view defined as ``sql``.

    Requests come in dependency order; ``schema`` None is the default schema.
    """

    name: str
    schema: str | None
    sql: str


@dataclass(frozen=True)
class CanonicalView:
    """A view definition as the database would store it, and its columns where known."""

    definition: str
    columns: tuple[tuple[str, str], ...] = ()
    #: the database's message where it refused to make the view
    rejected: str | None = None

    @classmethod
    def refused(cls, error: BaseException) -> CanonicalView:
        message = " ".join(str(getattr(error, "orig", None) or error).split())
        return cls("", rejected=message.split(" [SQL:")[0])


class CannotCanonicalize(Exception):
    """The database could not be asked (read-only, no privilege, unsupported)."""


_registry: dict[str, type[Canonicalizer]] = {}


class Canonicalizer:
    """Per-dialect: render model CHECK expressions the way the database stores them."""

    dialect_name: ClassVar[str] = "default"

    def __init_subclass__(cls) -> None:
        _registry[cls.dialect_name] = cls

    def __init__(self, connection: Connection) -> None:
        self.connection = connection

    def check_definitions(self, requests: Sequence[ScratchRequest]) -> list[str | None]:
        """The database's text for each request (None where it has no rendering of its own).

        The default: the database keeps CHECK text as written (SQLite), so
        there is nothing to ask and parsing decides.
        """
        return [None] * len(requests)

    def view_definitions(self, requests: Sequence[ViewRequest]) -> list[CanonicalView | None]:
        """The database's stored text for each view definition (None where unknown).

        The default: the database keeps a view's text as written (SQLite).
        """
        return [CanonicalView(request.sql.strip().rstrip(";").strip()) for request in requests]

    @staticmethod
    def group_by_table(
        requests: Sequence[ScratchRequest],
    ) -> tuple[dict[int, list[int]], dict[int, Table]]:
        """Request indexes per model table (one scratch table each), and the tables."""
        groups: dict[int, list[int]] = {}
        tables: dict[int, Table] = {}
        for index, request in enumerate(requests):
            groups.setdefault(id(request.table), []).append(index)
            tables[id(request.table)] = request.table
        return groups, tables

    def quote(self, name: str) -> str:
        """``name`` quoted for scratch DDL, which goes through :func:`driver_sql` (that
        doubles ``%`` for format-style drivers, so the quoting must write it once)."""
        return named_dialect(self.connection.dialect).identifier_preparer.quote(name)

    def scratch_columns(self, table: Table) -> str:
        dialect = self.connection.dialect
        return ", ".join(
            f"{self.quote(column.name)} {column.type.compile(dialect=dialect)}"
            for column in table.columns
        )


def canonicalizer_for(connection: Connection) -> Canonicalizer:
    cls = _registry.get(connection.dialect.name, Canonicalizer)
    return cls(connection)


_SCRATCH = "alembic_guard_scratch_{}"
_TEXT_BIND = re.compile(r"(?<![:\w\\]):(\w+)(?!:)")


def driver_sql(connection: Connection, statement: str) -> str:
    """``statement`` made safe for ``exec_driver_sql``: format-style drivers read ``%``."""
    if connection.dialect.paramstyle in ("format", "pyformat"):
        return statement.replace("%", "%%")
    return statement


def named_dialect(dialect: Dialect) -> Dialect:
    """A named-paramstyle twin of ``dialect``: its compiler writes ``%`` once, as the
    database reads it (format-style drivers' compilers double it).  It copies what the
    compilers read of a connected dialect: MariaDB-ness and the server version."""
    return _named_twin(
        cast(Any, type(dialect)),
        bool(getattr(dialect, "is_mariadb", False)),
        dialect.server_version_info,
    )


@lru_cache(maxsize=64)
def _named_twin(
    dialect_class: Any, is_mariadb: bool, server_version: tuple[Any, ...] | None
) -> Dialect:
    # cached: it is asked for every rendered expression and scratch statement of a run
    plain = dialect_class(paramstyle="named")
    if is_mariadb:
        plain.is_mariadb = True
    plain.server_version_info = server_version
    return cast(Dialect, plain)


def escape_text_binds(sql: str) -> str:
    """``sql`` made safe for ``sqlalchemy.text()`` (and ``op.execute``): ``:name`` is a bind there."""
    return _TEXT_BIND.sub(lambda m: "\\:" + m.group(1), sql)


_CHECK_DEF = re.compile(r"^CHECK *\((.+)\)( NO INHERIT)?( NOT VALID)?$", re.DOTALL)


def parse_pg_check(definition: str) -> tuple[str, bool, bool]:
    """``pg_get_constraintdef`` text -> (expression, no_inherit, not_valid)."""
    match = _CHECK_DEF.match(definition.strip())
    if match is None:
        return definition, False, False
    return match.group(1), bool(match.group(2)), bool(match.group(3))


@contextmanager
def rolled_back(connection: Connection) -> Iterator[None]:
    """A savepoint (or transaction) that is always rolled back, whatever happens inside."""
    scope = connection.begin_nested() if connection.in_transaction() else connection.begin()
    try:
        yield
    finally:
        if scope.is_active:
            scope.rollback()


class PostgresqlCanonicalizer(Canonicalizer):
    dialect_name = "postgresql"

    def check_definitions(self, requests: Sequence[ScratchRequest]) -> list[str | None]:
        groups, tables = self.group_by_table(requests)
        results: list[str | None] = [None] * len(requests)
        try:
            with rolled_back(self.connection):
                created: list[str] = []
                for number, (key, indexes) in enumerate(groups.items()):
                    scratch = _SCRATCH.format(number)
                    checks = ", ".join(
                        f"CONSTRAINT {self.quote(f'ck_{i}')} CHECK ({requests[i].sql})"
                        for i in indexes
                    )
                    statement = (
                        f"CREATE TEMPORARY TABLE {scratch} "
                        f"({self.scratch_columns(tables[key])}, {checks}) ON COMMIT DROP"
                    )
                    try:
                        with rolled_back_on_error(self.connection):
                            self.connection.exec_driver_sql(driver_sql(self.connection, statement))
                        created.append(scratch)
                    except Exception as exc:  # one bad expression spoils only its table
                        raise_if_lost(self.connection, exc)
                        if _is_privilege_error(exc):
                            raise CannotCanonicalize(str(exc).splitlines()[0]) from None
                        log.info("alembic_guard: database rejected scratch %s: %s", scratch, exc)
                if created:
                    rows = self.connection.execute(
                        text(
                            "SELECT con.conname, pg_catalog.pg_get_constraintdef(con.oid) "
                            "FROM pg_catalog.pg_constraint con "
                            "JOIN pg_catalog.pg_class c ON c.oid = con.conrelid "
                            "WHERE c.relnamespace = pg_catalog.pg_my_temp_schema() "
                            "AND c.relname = ANY(:names) AND con.contype = 'c'"
                        ),
                        {"names": created},
                    )
                    for name, definition in rows:
                        results[int(name[3:])] = parse_pg_check(definition)[0]
        except (CannotCanonicalize, GuardError):
            raise
        except Exception as exc:
            raise_if_lost(self.connection, exc)
            raise CannotCanonicalize(str(exc).splitlines()[0]) from None
        return results

    def view_definitions(self, requests: Sequence[ViewRequest]) -> list[CanonicalView | None]:
        """Temporary views, in dependency order, inside a savepoint that is always rolled back.

        A view of the default schema gets its own name in ``pg_temp`` (searched
        first), so a view reading another declared view reads the new
        definition, and ``pg_get_viewdef`` writes names as it would for the
        real view.  Other schemas' views get scratch names.
        """
        names = [
            request.name if request.schema is None else _SCRATCH_VIEW.format(index)
            for index, request in enumerate(requests)
        ]
        if len(set(names)) != len(names):
            raise CannotCanonicalize("two declared views share a name")
        statements = [
            driver_sql(
                self.connection,
                f"CREATE TEMPORARY VIEW {self.quote(name)} AS {request.sql}",
            )
            for name, request in zip(names, requests, strict=True)
        ]
        results: list[CanonicalView | None] = [None] * len(requests)
        try:
            with rolled_back(self.connection):
                try:
                    # one round trip for all of them; on any error, one at a time
                    with rolled_back_on_error(self.connection):
                        self.connection.exec_driver_sql(";\n".join(statements))
                except Exception as exc:
                    raise_if_lost(self.connection, exc)
                    if _is_privilege_error(exc):
                        raise CannotCanonicalize(str(exc).splitlines()[0]) from None
                    for index, statement in enumerate(statements):
                        try:
                            with rolled_back_on_error(self.connection):
                                self.connection.exec_driver_sql(statement)
                        except Exception as one:
                            raise_if_lost(self.connection, one)
                            log.info("alembic_guard: database rejected scratch view: %s", one)
                            results[index] = CanonicalView.refused(one)
                rows = self.connection.execute(
                    text(
                        "SELECT c.relname, pg_catalog.pg_get_viewdef(c.oid, false), "
                        "ARRAY(SELECT a.attname FROM pg_catalog.pg_attribute a "
                        "WHERE a.attrelid = c.oid AND a.attnum > 0 ORDER BY a.attnum), "
                        "ARRAY(SELECT pg_catalog.format_type(a.atttypid, a.atttypmod) "
                        "FROM pg_catalog.pg_attribute a "
                        "WHERE a.attrelid = c.oid AND a.attnum > 0 ORDER BY a.attnum) "
                        "FROM pg_catalog.pg_class c "
                        "WHERE c.relnamespace = pg_catalog.pg_my_temp_schema() "
                        "AND c.relkind = 'v' AND c.relname = ANY(:names)"
                    ),
                    {"names": names},
                ).all()
        except (CannotCanonicalize, GuardError):
            raise
        except Exception as exc:
            raise_if_lost(self.connection, exc)
            raise CannotCanonicalize(str(exc).splitlines()[0]) from None
        position = {name: index for index, name in enumerate(names)}
        for name, definition, column_names, types in rows:
            results[position[name]] = CanonicalView(
                definition.strip().rstrip(";").strip(),
                tuple(zip(column_names, types, strict=True)),
            )
        return results


_SCRATCH_VIEW = "alembic_guard_scratch_view_{}"


def _own_connection(connection: Connection) -> Connection:
    """A second session to the same database, outside the caller's pool: a caller's pool
    may hold one connection only (and that one is busy with this comparison).  The new
    pool has the same creation arguments and pool events (``Pool.recreate``)."""
    engine = create_engine(connection.engine.url, pool=connection.engine.pool.recreate())
    return engine.connect()


@contextmanager
def rolled_back_on_error(connection: Connection) -> Iterator[None]:
    """A savepoint kept on success, rolled back (and the error re-raised) on failure."""
    savepoint = connection.begin_nested()
    try:
        yield
    except BaseException:
        savepoint.rollback()
        raise
    else:
        savepoint.commit()


def raise_if_lost(connection: Connection, exc: Exception, left: str = "") -> None:
    """A dead connection (killed, server gone) is not a refusal to fall back from: every
    later query would fail too.  Say so in one paragraph; ``left`` names what stayed."""
    if not is_lost(exc, connection):
        return
    raise ConnectionLost(
        f"alembic_guard lost the database connection while it asked the database how it "
        f"writes the models' CHECK expressions and views ({str(exc).splitlines()[0]}). "
        + (
            left
            or "Nothing was changed: the scratch objects it uses for that live only inside "
            "the lost session."
        )
        + " Run the command again once the database is reachable."
    ) from None


def _is_privilege_error(exc: Exception) -> bool:
    message = str(exc).lower()
    return any(
        marker in message
        for marker in (
            "read-only",
            "read only",
            "permission denied",
            "access denied",
            "command denied",
        )
    )


_MYSQL_CHECK = re.compile(r"CONSTRAINT `((?:[^`]|``)+)` CHECK \((.*)\)\s*,?\s*$")


class MysqlCanonicalizer(Canonicalizer):
    dialect_name = "mysql"

    def check_definitions(self, requests: Sequence[ScratchRequest]) -> list[str | None]:
        groups, tables = self.group_by_table(requests)
        results: list[str | None] = [None] * len(requests)
        quote = self.quote
        for number, (key, indexes) in enumerate(groups.items()):
            scratch = quote(_SCRATCH.format(number))
            checks = ", ".join(
                f"CONSTRAINT {quote(f'ck_{i}')} CHECK ({requests[i].sql})" for i in indexes
            )
            try:
                # temporary tables: session-private, no implicit commit, dropped at once
                self.connection.exec_driver_sql(
                    driver_sql(
                        self.connection,
                        f"CREATE TEMPORARY TABLE {scratch} ({self.scratch_columns(tables[key])}, {checks})",
                    )
                )
            except Exception as exc:
                raise_if_lost(self.connection, exc)
                if _is_privilege_error(exc):
                    raise CannotCanonicalize(str(exc).splitlines()[0]) from None
                log.info("alembic_guard: database rejected scratch %s: %s", scratch, exc)
                continue
            try:
                row = self.connection.exec_driver_sql(f"SHOW CREATE TABLE {scratch}").one()
            except Exception as exc:
                raise_if_lost(self.connection, exc)  # the temporary table went with the session
                raise
            finally:
                if not self.connection.invalidated:
                    self.connection.exec_driver_sql(f"DROP TEMPORARY TABLE IF EXISTS {scratch}")
            for line in str(row[1]).splitlines():
                match = _MYSQL_CHECK.search(line.strip())
                if match and match.group(1).startswith("ck_"):
                    results[int(match.group(1)[3:])] = match.group(2)
        return results

    def view_definitions(self, requests: Sequence[ViewRequest]) -> list[CanonicalView | None]:
        """Scratch views (MySQL has no temporary views), read back in one query and
        dropped in the same call whatever happens.

        They are made on a connection of their own: CREATE VIEW commits implicitly,
        which would commit the caller's transaction and end its savepoints.  Only
        where the caller's session may write, though: a temporary table (no implicit
        commit) is refused in a read-only transaction.  Their names are the run's
        own, so two runs on one database never meet.
        """
        token = uuid.uuid4().hex[:8]
        probe = self.quote(f"alembic_guard_probe_{token}")
        try:
            database, read_only, sql_mode = self.connection.exec_driver_sql(
                "SELECT DATABASE(), @@global.read_only, @@session.sql_mode"
            ).one()
            if read_only:
                # a replica: temporary tables are allowed there, but a privileged role's
                # scratch views would be real writes (and stray binlog transactions)
                raise CannotCanonicalize("the server is read-only (read_only = ON)")
            self.connection.exec_driver_sql(f"CREATE TEMPORARY TABLE {probe} (x INTEGER)")
            self.connection.exec_driver_sql(f"DROP TEMPORARY TABLE {probe}")
            scratch = _own_connection(self.connection)
        except CannotCanonicalize:
            raise
        except Exception as exc:
            raise_if_lost(self.connection, exc)
            raise CannotCanonicalize(str(exc).splitlines()[0]) from None
        created: dict[str, int] = {}
        try:
            if database is not None:
                scratch.exec_driver_sql(f"USE {self.quote(str(database))}")
            # the caller's sql_mode (ANSI_QUOTES, say) decides how the definitions parse
            scratch.execute(text("SET SESSION sql_mode = :mode"), {"mode": sql_mode})
            return self._scratch_views(scratch, requests, token, created)
        finally:
            left = self._drop_views(scratch, database, created)
            scratch.close()
            scratch.engine.dispose()
            if left:
                raise GuardError(
                    f"alembic_guard could not drop its scratch views {', '.join(left)} "
                    f"(the database connection was lost); drop them with: "
                    f"DROP VIEW IF EXISTS {', '.join(left)}"
                )

    def _scratch_views(
        self,
        scratch: Connection,
        requests: Sequence[ViewRequest],
        token: str,
        created: dict[str, int],
    ) -> list[CanonicalView | None]:
        from .catalog import strip_database

        results: list[CanonicalView | None] = [None] * len(requests)
        quote = self.quote
        for index, request in enumerate(requests):
            name = _SCRATCH_VIEW.format(f"{token}_{index}")
            # listed before it is made: a view the server made but whose confirmation
            # was lost with the connection is dropped (IF EXISTS) too
            created[name] = index
            try:
                scratch.exec_driver_sql(
                    driver_sql(scratch, f"CREATE VIEW {quote(name)} AS {request.sql}")
                )
            except Exception as exc:
                raise_if_lost(scratch, exc, _DROPPED_ELSEWHERE)
                del created[name]
                if _is_privilege_error(exc):
                    raise CannotCanonicalize(str(exc).splitlines()[0]) from None
                log.info("alembic_guard: database rejected scratch view: %s", exc)
                results[index] = CanonicalView.refused(exc)
                continue
        if created:
            try:
                rows = scratch.execute(
                    text(
                        "SELECT TABLE_SCHEMA, TABLE_NAME, VIEW_DEFINITION "
                        "FROM information_schema.VIEWS "
                        "WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME IN :names"
                    ).bindparams(bindparam("names", expanding=True)),
                    {"names": list(created)},
                ).all()
            except Exception as exc:
                raise_if_lost(scratch, exc, _DROPPED_ELSEWHERE)
                raise
            for database, name, definition in rows:
                results[created[name]] = CanonicalView(strip_database(definition, database))
        return results

    def _drop_views(
        self, scratch: Connection, database: object, created: dict[str, int]
    ) -> list[str]:
        """Drop the scratch views, on a new connection if theirs was lost; returns the
        (qualified, quoted) names of those it could not drop."""
        if not created:
            return []
        prefix = f"{self.quote(str(database))}." if database is not None else ""
        names = [prefix + self.quote(name) for name in created]
        statement = "DROP VIEW IF EXISTS " + ", ".join(names)
        try:
            if not scratch.invalidated:
                scratch.exec_driver_sql(statement)
                return []
            scratch.close()  # gives its pool slot back for the new connection
            with scratch.engine.connect() as fresh:
                fresh.exec_driver_sql(statement)
            return []
        except Exception as exc:
            log.warning("alembic_guard: could not drop scratch views: %s", exc)
            return names


_DROPPED_ELSEWHERE = (
    "The scratch views it had created were dropped on a new connection; nothing else was changed."
)


class MariadbCanonicalizer(MysqlCanonicalizer):
    dialect_name = "mariadb"


class SqliteCanonicalizer(Canonicalizer):
    """SQLite keeps a view's text as written; it checks the names a view reads only when
    the view is used, so each definition is prepared as a query that reads no row."""

    dialect_name = "sqlite"

    def view_definitions(self, requests: Sequence[ViewRequest]) -> list[CanonicalView | None]:
        results: list[CanonicalView | None] = []
        for request in requests:
            sql = request.sql.strip().rstrip(";").strip()
            if request.schema is not None:
                # an attached database's view reads its own database's tables: a query
                # from main would resolve its names elsewhere
                results.append(CanonicalView(sql))
                continue
            try:
                self.connection.exec_driver_sql(f"SELECT * FROM ({sql}) LIMIT 0").close()
            except Exception as exc:
                raise_if_lost(self.connection, exc)
                results.append(CanonicalView.refused(exc))
                continue
            results.append(CanonicalView(sql))
        return results
