"""Hypothesis strategies: random CHECK expressions, view definitions and schema pairs.

The SQL grammar is typed (integer, numeric, text, boolean and date expressions over
named columns), so every expression drawn is valid on PostgreSQL, MariaDB and SQLite
alike; parentheses are random, so precedence traps (``a + b * 2``, ``NOT x OR y``,
``x BETWEEN 1 AND 2 AND y``) come up without being written by hand.  String literals
avoid ``:`` (``text()`` would read a bind) and ``\\`` (MySQL escapes with it).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from hypothesis import strategies as st

CMP = ("=", "<>", "<", "<=", ">", ">=")
STRING_ALPHABET = "abxyz _'%é"


@dataclass(frozen=True)
class Scope:
    """The columns an expression may read, by type, as they are to be written."""

    ints: tuple[str, ...]
    nums: tuple[str, ...]
    texts: tuple[str, ...]
    bools: tuple[str, ...]
    dates: tuple[str, ...]

    @property
    def every(self) -> tuple[str, ...]:
        return self.ints + self.nums + self.texts + self.bools + self.dates


#: the columns of the CHECK table (tests.reliability.test_properties.check_table)
CHECK_SCOPE = Scope(("a", "b"), ("price",), ("name",), ("flag",), ("d",))


def quoted(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _maybe_parens(draw: st.DrawFn, sql: str) -> str:
    return f"({sql})" if draw(st.booleans()) else sql


int_literals = st.integers(-1000, 1000).map(str)
decimal_literals = st.one_of(
    st.sampled_from(["0", "1.50", "-2.25", "0.01", "10", "99.99", "100.00", "-0.5"]),
    st.builds(lambda i, c: f"{i}.{c:02d}", st.integers(-500, 500), st.integers(0, 99)),
)
string_literals = st.text(STRING_ALPHABET, max_size=6).map(quoted)
like_patterns = st.text(STRING_ALPHABET + "%_", max_size=6).map(quoted)
date_literals = st.dates(date(1900, 1, 1), date(2199, 12, 31)).map(lambda d: quoted(d.isoformat()))


@st.composite
def int_expr(draw: st.DrawFn, scope: Scope, depth: int = 2) -> str:
    atoms = [
        st.sampled_from(scope.ints),
        int_literals,
        st.sampled_from(scope.ints).map(lambda c: f"coalesce({c}, 0)"),
    ]
    if scope.texts:
        atoms.append(st.sampled_from(scope.texts).map(lambda c: f"length({c})"))
    if depth <= 0:
        return draw(st.one_of(*atoms))
    kind = draw(st.sampled_from(["atom", "atom", "binary", "binary", "minus", "case", "abs"]))
    if kind == "atom":
        return draw(st.one_of(*atoms))
    if kind == "binary":
        left = draw(int_expr(scope, depth - 1))
        right = draw(int_expr(scope, depth - 1))
        return _maybe_parens(draw, f"{left} {draw(st.sampled_from('+-*'))} {right}")
    if kind == "minus":  # never "--": that starts a comment
        return "-" + draw(
            st.one_of(
                st.sampled_from(scope.ints), int_expr(scope, depth - 1).map(lambda s: f"({s})")
            )
        )
    if kind == "abs":
        return f"abs({draw(int_expr(scope, depth - 1))})"
    condition = draw(predicate(scope, depth - 1))
    then, other = draw(int_expr(scope, depth - 1)), draw(int_expr(scope, depth - 1))
    return f"CASE WHEN {condition} THEN {then} ELSE {other} END"


@st.composite
def num_expr(draw: st.DrawFn, scope: Scope) -> str:
    column = draw(st.sampled_from(scope.nums))
    forms = [
        column,
        f"{column} * {draw(st.integers(1, 5))}",
        f"{column} - {draw(decimal_literals)}",
        f"coalesce({column}, 0)",
    ]
    if scope.ints:
        forms.append(f"CAST({draw(st.sampled_from(scope.ints))} AS DECIMAL(10, 2))")
    return draw(st.sampled_from(forms))


@st.composite
def text_expr(draw: st.DrawFn, scope: Scope) -> str:
    column = draw(st.sampled_from(scope.texts))
    return draw(
        st.sampled_from([column, f"lower({column})", f"upper({column})", f"coalesce({column}, '')"])
    )


@st.composite
def simple_predicate(draw: st.DrawFn, scope: Scope, depth: int) -> str:
    kinds = ["null"]
    if scope.ints:
        kinds += ["int cmp", "int between", "int in"]
    if scope.nums:
        kinds += ["num cmp", "num between"]
    if scope.texts:
        kinds += ["text cmp", "like", "text in"]
    if scope.bools:
        kinds += ["bool"]
    if scope.dates:
        kinds += ["date cmp", "date between"]
    kind = draw(st.sampled_from(kinds))
    negated = "NOT " if draw(st.booleans()) else ""
    if kind == "int cmp":
        left, right = draw(int_expr(scope, depth)), draw(int_expr(scope, depth - 1))
        return f"{left} {draw(st.sampled_from(CMP))} {right}"
    if kind == "int between":
        low, high = sorted(draw(st.lists(st.integers(-100, 100), min_size=2, max_size=2)))
        return f"{draw(int_expr(scope, depth - 1))} {negated}BETWEEN {low} AND {high}"
    if kind == "int in":
        items = draw(st.lists(int_literals, min_size=1, max_size=4))
        return f"{draw(st.sampled_from(scope.ints))} {negated}IN ({', '.join(items)})"
    if kind == "null":
        return f"{draw(st.sampled_from(scope.every))} IS {negated}NULL"
    if kind == "num cmp":
        return f"{draw(num_expr(scope))} {draw(st.sampled_from(CMP))} {draw(decimal_literals)}"
    if kind == "num between":
        low, high = draw(decimal_literals), draw(decimal_literals)
        return f"{draw(st.sampled_from(scope.nums))} {negated}BETWEEN {low} AND {high}"
    if kind == "text cmp":
        return f"{draw(text_expr(scope))} {draw(st.sampled_from(CMP))} {draw(string_literals)}"
    if kind == "like":
        return f"{draw(text_expr(scope))} {negated}LIKE {draw(like_patterns)}"
    if kind == "text in":
        items = draw(st.lists(string_literals, min_size=1, max_size=3))
        return f"{draw(st.sampled_from(scope.texts))} {negated}IN ({', '.join(items)})"
    if kind == "bool":
        column = draw(st.sampled_from(scope.bools))
        return draw(st.sampled_from([column, f"NOT {column}", f"{column} = true"]))
    if kind == "date cmp":
        return f"{draw(st.sampled_from(scope.dates))} {draw(st.sampled_from(CMP))} {draw(date_literals)}"
    low, high = sorted([draw(date_literals), draw(date_literals)])
    return f"{draw(st.sampled_from(scope.dates))} {negated}BETWEEN {low} AND {high}"


@st.composite
def predicate(draw: st.DrawFn, scope: Scope, depth: int = 2) -> str:
    """A boolean expression: comparisons, BETWEEN, IN, IS NULL, LIKE, combined with
    AND / OR / NOT under random parentheses."""
    if depth <= 0:
        return draw(simple_predicate(scope, 0))
    kind = draw(st.sampled_from(["simple", "simple", "and", "or", "not"]))
    if kind == "simple":
        return draw(simple_predicate(scope, depth - 1))
    if kind == "not":
        return f"NOT ({draw(predicate(scope, depth - 1))})"
    left, right = draw(predicate(scope, depth - 1)), draw(predicate(scope, depth - 1))
    return _maybe_parens(draw, f"{left} {kind.upper()} {right}")


@dataclass(frozen=True)
class CheckSpec:
    """One CHECK of the CHECK table: ``name`` None is unnamed; ``column`` puts it on a column."""

    sql: str
    name: str | None = None
    column: str | None = None


@st.composite
def check_specs(draw: st.DrawFn, min_size: int = 3, max_size: int = 5) -> list[CheckSpec]:
    count = draw(st.integers(min_size, max_size))
    specs = []
    free = list(CHECK_SCOPE.every)
    for number in range(count):
        how = draw(
            st.sampled_from(["named", "unnamed", "column"] if free else ["named", "unnamed"])
        )
        name = f"ck_t_{number}" if how == "named" else None
        if how == "column":
            # MariaDB: one unnamed CHECK per column, reading that column only
            column = draw(st.sampled_from(free))
            free.remove(column)
            sql = draw(predicate(_only(CHECK_SCOPE, column)))
            specs.append(CheckSpec(sql, name=name, column=column))
        else:
            specs.append(CheckSpec(draw(predicate(CHECK_SCOPE)), name=name))
    return specs


def _only(scope: Scope, column: str) -> Scope:
    def keep(columns: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(c for c in columns if c == column)

    return Scope(
        keep(scope.ints), keep(scope.nums), keep(scope.texts), keep(scope.bools), keep(scope.dates)
    )


# -- views ------------------------------------------------------------------------

T1 = {
    "id": "int",
    "a": "int",
    "b": "int",
    "price": "num",
    "name": "text",
    "flag": "bool",
    "d": "date",
}
T2 = {"id": "int", "t1_id": "int", "qty": "int", "label": "text"}


def view_scope(qualifier: str | None, join: bool) -> Scope:
    def refs(columns: dict[str, str], table: str, kind: str) -> tuple[str, ...]:
        prefix = f"{table}." if qualifier or join else ""
        return tuple(f"{prefix}{name}" for name, k in columns.items() if k == kind)

    def of(kind: str) -> tuple[str, ...]:
        found = refs(T1, qualifier or "t1", kind)
        return found + (refs(T2, "t2", kind) if join else ())

    return Scope(of("int"), of("num"), of("text"), of("bool"), of("date"))


@dataclass(frozen=True)
class ViewSpec:
    sql: str
    constructs: frozenset[str] = field(default_factory=frozenset)


@st.composite
def view_definitions(draw: st.DrawFn, allow: frozenset[str] | None = None) -> ViewSpec:
    """A SELECT over t1 (or t1 JOIN t2) with aliases, optional WHERE, GROUP BY, DISTINCT.

    ``allow`` limits the optional constructs drawn (for the parse-mode comparison);
    ``constructs`` says which the definition uses."""
    options = allow if allow is not None else frozenset(VIEW_CONSTRUCTS)
    used: set[str] = set()

    def want(construct: str) -> bool:
        if construct in options and draw(st.booleans()):
            used.add(construct)
            return True
        return False

    join = want("join")
    qualified = join or want("qualified")
    scope = view_scope("t1" if qualified else None, join)
    source = "t1 JOIN t2 ON t2.t1_id = t1.id" if join else "t1"
    items: list[str] = []
    group_by: list[str] = []
    if want("group by"):
        keys = draw(
            st.lists(st.sampled_from(scope.ints + scope.texts), min_size=1, max_size=2, unique=True)
        )
        group_by = keys
        items = [
            f"{key} AS g{number}" if join or want("alias") else key
            for number, key in enumerate(keys)
        ]
        items.append("count(*) AS n")
        items.append(f"sum({draw(st.sampled_from(scope.ints + scope.nums))}) AS total")
    else:
        columns = draw(st.lists(st.sampled_from(scope.every), min_size=1, max_size=4, unique=True))
        for number, column in enumerate(columns):
            # join: t1.id and t2.id would both be named id
            items.append(f"{column} AS c{number}" if join or want("alias") else column)
        if want("expressions"):
            items.append(f"{draw(int_expr(scope, 1))} AS e_int")
            items.append(f"{draw(text_expr(scope))} AS e_text")
        if want("case"):
            items.append(f"CASE WHEN {draw(predicate(scope, 1))} THEN 1 ELSE 0 END AS e_case")
    distinct = "DISTINCT " if want("distinct") else ""
    sql = f"SELECT {distinct}{', '.join(items)} FROM {source}"
    if want("where"):
        sql += f" WHERE {draw(predicate(scope, 2))}"
    if group_by:
        sql += f" GROUP BY {', '.join(group_by)}"
    return ViewSpec(sql, frozenset(used))


VIEW_CONSTRUCTS = (
    "join",
    "qualified",
    "group by",
    "alias",
    "expressions",
    "case",
    "distinct",
    "where",
)


# -- schema pairs for rename detection ------------------------------------------------

#: names of objects that exist before use the letters a-m, names of new unrelated objects
#: n-z: no letter trigram (and no letter) in common, so an unrelated pair has no name
#: similarity at all, and whatever the detector proposes comes from the definitions
OLD_LETTERS = "abcdefghijklm"
NEW_LETTERS = "nopqrstuvwxyz"
TYPES = ("integer", "bigint", "varchar40", "varchar80", "text", "numeric", "boolean", "date")
DEFAULTS = {
    "integer": ("0", "1"),
    "bigint": ("0",),
    "varchar40": ("'x'",),
    "varchar80": ("'x'",),
    "text": ("'x'",),
    "numeric": ("0",),
    "boolean": ("false",),
    "date": (),
}


@dataclass(frozen=True)
class ColumnDef:
    name: str
    type: str
    nullable: bool = True
    default: str | None = None
    index: bool = False
    unique: bool = False

    def renamed(self, name: str) -> ColumnDef:
        return ColumnDef(name, self.type, self.nullable, self.default, self.index, self.unique)

    @property
    def definition(self) -> tuple[object, ...]:
        return (self.type, self.nullable, self.default, self.index, self.unique)


@dataclass(frozen=True)
class TableDef:
    """A table: an ``id`` integer primary key, then ``columns``."""

    name: str
    columns: tuple[ColumnDef, ...]


@dataclass(frozen=True)
class SchemaPair:
    old: tuple[TableDef, ...]
    new: tuple[TableDef, ...]
    #: (old table, new table)
    table_renames: frozenset[tuple[str, str]]
    #: (table, old column, new column)
    column_renames: frozenset[tuple[str, str, str]]


class _Names:
    """Unique names of one alphabet: a random stem and a two-letter serial number
    (the serial alone makes them unique)."""

    def __init__(self, draw: st.DrawFn, letters: str) -> None:
        self.draw, self.letters, self.count = draw, letters, 0

    def __call__(self) -> str:
        base = len(self.letters)
        serial = self.letters[self.count // base % base] + self.letters[self.count % base]
        self.count += 1
        return self.draw(st.text(self.letters, min_size=1, max_size=8)) + serial


@st.composite
def _column(draw: st.DrawFn, name: str) -> ColumnDef:
    type_ = draw(st.sampled_from(TYPES))
    default = draw(st.sampled_from((None, *DEFAULTS[type_])))
    index, unique = draw(
        st.sampled_from([(False, False), (False, False), (True, False), (False, True)])
    )
    return ColumnDef(name, type_, draw(st.booleans()), default, index, unique)


@st.composite
def schema_pairs(draw: st.DrawFn, max_tables: int = 4) -> SchemaPair:
    """An old schema and a new one: tables kept (with columns dropped, added and renamed),
    dropped, added and renamed; the true renames are listed."""
    old_name = _Names(draw, OLD_LETTERS)
    # one name is used once in the whole schema: two tables never share a column
    # definition by chance (``id`` aside)
    new_name = _Names(draw, NEW_LETTERS)
    old: list[TableDef] = []
    new: list[TableDef] = []
    table_renames: set[tuple[str, str]] = set()
    column_renames: set[tuple[str, str, str]] = set()
    for _ in range(draw(st.integers(1, max_tables))):
        name = old_name()
        # at least one column besides id: two tables of a lone id are alike in every way
        count = draw(st.integers(1, 5))
        columns = tuple(draw(_column(old_name())) for _ in range(count))
        old.append(TableDef(name, columns))
        fate = draw(st.sampled_from(["kept", "kept", "dropped", "renamed"]))
        if fate == "dropped":
            continue
        if fate == "renamed":
            target = new_name()
            table_renames.add((name, target))
            new.append(TableDef(target, columns))
            continue
        kept: list[ColumnDef] = []
        for column in columns:
            change = draw(st.sampled_from(["same", "same", "dropped", "renamed"]))
            if change == "same":
                kept.append(column)
            elif change == "renamed":
                target = new_name()
                column_renames.add((name, column.name, target))
                kept.append(column.renamed(target))
        for _ in range(draw(st.integers(0, 2))):
            kept.insert(draw(st.integers(0, len(kept))), draw(_column(new_name())))
        if not kept:
            kept.append(draw(_column(new_name())))
        new.append(TableDef(name, tuple(kept)))
    for _ in range(draw(st.integers(0, 2))):
        count = draw(st.integers(1, 4))
        new.append(TableDef(new_name(), tuple(draw(_column(new_name())) for _ in range(count))))
    return SchemaPair(tuple(old), tuple(new), frozenset(table_renames), frozenset(column_renames))
