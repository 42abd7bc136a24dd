"""Parse keys for SQL expressions and view definitions (sqlglot), so that equal rules
compare equal without a database: whitespace, keyword case, identifier quoting,
redundant parentheses, casts the database adds (``'a'::character varying``,
``'-5'::integer``, ``'2020-01-01'::date``), ``BETWEEN`` vs ``>= AND <=``, ``IN (...)``
vs ``= ANY (ARRAY[...])``, ``!=`` vs ``<>``, how ``AND``/``OR`` are grouped, where a
``NOT`` stands (De Morgan), and MariaDB's own spellings are ignored.

This is the read-only fallback: it never connects and never writes.  Asking the
database for its own rendering (``Canonicalizer``) lives with each database in
:mod:`alembic_guard.dialects`.
"""

from __future__ import annotations

import logging
import re
from functools import lru_cache
from typing import cast

import sqlglot
from sqlglot import exp
from sqlglot.errors import SqlglotError

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
