"""The changes a schema-evolution step draws: each takes the next schema (a copy of the
current one), a chooser and the dialect, changes the schema as a user would edit the
models, and says what it did; None when it does not apply to this schema."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Protocol

from tests.evolution.model import TYPES, WIDER, Check, Col, Key, Schema, Table, ViewSpec


class Chooser(Protocol):
    def pick(self, options: Sequence[Any]) -> Any: ...
    def flag(self) -> bool: ...


Change = Callable[[Schema, Chooser, str], str | None]
CHANGES: dict[str, Change] = {}


def change(function: Change) -> Change:
    CHANGES[function.__name__] = function
    return function


def _table(schema: Schema, choose: Chooser) -> Table | None:
    return (
        choose.pick(sorted(schema.tables.values(), key=lambda t: t.id)) if schema.tables else None
    )


def _free_key(table: Table, col: Col, unique: bool) -> bool:
    """One key of a kind per column: a naming convention derives its name from the column."""
    return not any(k.cols == [col.id] and k.unique == unique for k in table.keys)


@change
def add_column(schema: Schema, choose: Chooser, dialect: str) -> str | None:
    table = _table(schema, choose)
    if table is None:
        return None
    name = schema.free_column_name(table, choose.pick)
    if name is None:
        return None
    kind = choose.pick(sorted(TYPES))
    default = choose.pick([None, "1" if kind in ("int", "bigint") else "a"])
    filled = table.rows > 0
    table.cols.append(
        Col(
            schema.new_id(),
            name,
            kind,
            default=default,
            populated=default is not None or not filled,
            distinct=default is None or not filled,
        )
    )
    return (
        f"add column {schema.label(table)}.{name} {kind}{f' default {default}' if default else ''}"
    )


@change
def drop_column(schema: Schema, choose: Chooser, dialect: str) -> str | None:
    table = _table(schema, choose)
    # a NOT NULL column's downgrade would add it back NOT NULL to a table with rows
    droppable = [c for c in table.cols if c.nullable] if table else []
    if not table or not droppable:
        return None
    column = choose.pick(droppable)
    schema.column_left_views(table, column.id)
    table.cols.remove(column)
    table.checks = [c for c in table.checks if c.col != column.id]
    table.keys = [k for k in table.keys if column.id not in k.cols]
    return f"drop column {schema.label(table)}.{column.name}"


@change
def rename_column(schema: Schema, choose: Chooser, dialect: str) -> str | None:
    table = _table(schema, choose)
    if table is None or not table.cols:
        return None
    column = choose.pick(table.cols)
    name = schema.free_column_name(table, choose.pick)
    if name is None:
        return None
    old, column.name, column.renamed_from = column.name, name, column.name
    return f"rename column {schema.label(table)}.{old} -> {name}"


@change
def rename_table(schema: Schema, choose: Chooser, dialect: str) -> str | None:
    table = _table(schema, choose)
    name = schema.free_table_name(choose.pick, table.other) if table else None
    if table is None or name is None:
        return None
    old, table.name, table.renamed_from = schema.label(table), name, table.name
    return f"rename table {old} -> {name}"


@change
def add_table(schema: Schema, choose: Chooser, dialect: str) -> str | None:
    other = schema.other_schema is not None and choose.flag()
    name = schema.free_table_name(choose.pick, other)
    if name is None or len(schema.tables) >= 5:
        return None
    table = Table(schema.new_id(), name, [], other=other)
    for _ in range(choose.pick([1, 2, 3])):
        column = schema.free_column_name(table, choose.pick)
        assert column is not None
        table.cols.append(Col(schema.new_id(), column, choose.pick(sorted(TYPES))))
    targets = [t for t in schema.tables.values() if schema.may_reference(table, t, dialect)]
    if targets and choose.flag():
        target = choose.pick(sorted(targets, key=lambda t: t.id))
        column = schema.free_column_name(table, choose.pick)
        assert column is not None
        table.cols.append(
            Col(schema.new_id(), column, "int", references=target.id, populated=False)
        )
    numeric = [c for c in table.cols if c.numeric and c.references is None]
    if numeric and choose.flag():
        _new_check(schema, choose, table, choose.pick(numeric))
    schema.tables[table.id] = table
    return f"add table {schema.label(table)}"


@change
def drop_table(schema: Schema, choose: Chooser, dialect: str) -> str | None:
    if len(schema.tables) < 2:
        return None
    table = _table(schema, choose)
    assert table is not None
    for other in schema.tables.values():
        for column in other.cols:
            if column.references == table.id:
                column.references = None  # the user drops the foreign keys into it first
    for view_id in schema.views_of_table(table.id):
        schema.drop_view(view_id)
    del schema.tables[table.id]
    return f"drop table {schema.label(table)}"


@change
def change_type(schema: Schema, choose: Chooser, dialect: str) -> str | None:
    table = _table(schema, choose)
    # MariaDB wants a foreign key's columns of one type
    columns = [c for c in table.cols if c.references is None] if table else []
    if not table or not columns:
        return None
    column = choose.pick(columns)
    old, column.kind = column.kind, WIDER[column.kind]
    return f"change type of {schema.label(table)}.{column.name} {old} -> {column.kind}"


@change
def change_nullability(schema: Schema, choose: Chooser, dialect: str) -> str | None:
    table = _table(schema, choose)
    columns = (
        [c for c in table.cols if c.references is None and (c.populated or not c.nullable)]
        if table
        else []
    )
    if not table or not columns:
        return None
    column = choose.pick(columns)
    column.nullable = not column.nullable
    return f"{schema.label(table)}.{column.name} {'nullable' if column.nullable else 'not null'}"


@change
def change_default(schema: Schema, choose: Chooser, dialect: str) -> str | None:
    table = _table(schema, choose)
    columns = [c for c in table.cols if c.references is None] if table else []
    if not table or not columns:
        return None
    column = choose.pick(columns)
    options = [None, "0", "1"] if column.numeric else [None, "a", "b"]
    column.default = choose.pick([o for o in options if o != column.default])
    return f"default of {schema.label(table)}.{column.name} -> {column.default}"


def _new_check(schema: Schema, choose: Chooser, table: Table, column: Col) -> Check:
    check_id = schema.new_id()
    named = schema.convention or choose.flag()
    if schema.convention:
        name: str | None = f"c{check_id}"
    else:
        name = f"ck_{table.name}_{column.name}_{check_id}" if named else None
    check = Check(check_id, name, column.id, choose.pick([0, -5]), column_level=choose.flag())
    table.checks.append(check)
    return check


@change
def add_check(schema: Schema, choose: Chooser, dialect: str) -> str | None:
    table = _table(schema, choose)
    columns = [c for c in table.cols if c.numeric and c.references is None] if table else []
    if not table or not columns:
        return None
    check = _new_check(schema, choose, table, choose.pick(columns))
    return f"add CHECK {check.name or '(unnamed)'} on {schema.label(table)}: {schema.check_sql(table, check)}"


@change
def drop_check(schema: Schema, choose: Chooser, dialect: str) -> str | None:
    table = _table(schema, choose)
    if not table or not table.checks:
        return None
    check = choose.pick(table.checks)
    table.checks.remove(check)
    return f"drop CHECK {check.name or '(unnamed)'} on {schema.label(table)}"


@change
def change_check(schema: Schema, choose: Chooser, dialect: str) -> str | None:
    table = _table(schema, choose)
    if not table or not table.checks:
        return None
    check = choose.pick(table.checks)
    check.low = -5 if check.low == 0 else 0
    return f"change CHECK {check.name or '(unnamed)'} on {schema.label(table)} to {schema.check_sql(table, check)}"


@change
def add_key(schema: Schema, choose: Chooser, dialect: str) -> str | None:
    table = _table(schema, choose)
    if not table or not table.cols:
        return None
    column = choose.pick(table.cols)
    unique = column.distinct and choose.flag()
    if not _free_key(table, column, unique):
        return None
    index = not unique or choose.flag()
    key_id = schema.new_id()
    prefix = "uq" if unique else "ix"
    table.keys.append(
        Key(key_id, f"{prefix}_{table.name}_{column.name}_{key_id}", [column.id], unique, index)
    )
    kind = ("unique " if unique else "") + ("index" if index else "constraint")
    return f"add {kind} on {schema.label(table)}.{column.name}"


@change
def drop_key(schema: Schema, choose: Chooser, dialect: str) -> str | None:
    table = _table(schema, choose)
    if not table or not table.keys:
        return None
    key = choose.pick(table.keys)
    # MariaDB keeps the index a foreign key needs
    if dialect == "mariadb" and any(table.col(c).references is not None for c in key.cols):
        return None
    table.keys.remove(key)
    return f"drop {key.name} on {schema.label(table)}"


@change
def add_foreign_key(schema: Schema, choose: Chooser, dialect: str) -> str | None:
    table = _table(schema, choose)
    target = _table(schema, choose)
    if table is None or target is None or not schema.may_reference(table, target, dialect):
        return None
    name = schema.free_column_name(table, choose.pick)
    if name is None:
        return None
    table.cols.append(Col(schema.new_id(), name, "int", references=target.id, populated=False))
    return f"add column {schema.label(table)}.{name} -> {schema.label(target)}.id"


@change
def drop_foreign_key(schema: Schema, choose: Chooser, dialect: str) -> str | None:
    table = _table(schema, choose)
    columns = [c for c in table.cols if c.references is not None] if table else []
    if not table or not columns:
        return None
    column = choose.pick(columns)
    column.references = None
    return f"drop the foreign key of {schema.label(table)}.{column.name}"


@change
def add_view(schema: Schema, choose: Chooser, dialect: str) -> str | None:
    name = schema.free_view_name(choose.pick)
    if name is None:
        return None
    # views live in the default schema and read its tables (SQLite forbids a view in
    # one file reading another's)
    sources = [("table", t.id) for t in schema.tables.values() if t.cols and not t.other] + [
        ("view", v.id) for v in schema.views.values()
    ]
    if not sources:
        return None
    source = choose.pick(sorted(sources))
    view = ViewSpec(schema.new_id(), name, source, [], choose.pick([0, 1, 5]))
    if source[0] == "table":
        table = schema.tables[source[1]]
        view.materialized = dialect == "postgresql" and choose.flag()
        view.star = not view.materialized and choose.flag()
        view.cols = _subset(choose, [c.id for c in table.cols])
        view.indexed = view.materialized and choose.flag()
    else:
        width = len(schema.view_columns(schema.views[source[1]]))
        view.cols = _subset(choose, list(range(width)))
    schema.views[view.id] = view
    return f"add view {name}: {schema.view_sql(view)}"


def _subset(choose: Chooser, options: list[int]) -> list[int]:
    size = choose.pick(list(range(1, len(options) + 1)))
    return options[:size] if choose.flag() else options[-size:]


@change
def change_view(schema: Schema, choose: Chooser, dialect: str) -> str | None:
    if not schema.views:
        return None
    view = choose.pick(sorted(schema.views.values(), key=lambda v: v.id))
    how = choose.pick(["filter", "columns"])
    if how == "filter":
        view.low = choose.pick([n for n in (0, 1, 5) if n != view.low])
    elif view.source[0] == "table":
        table = schema.tables[view.source[1]]
        if view.star:
            return None
        columns = [c.id for c in table.cols]
        new = _subset(choose, columns)
        if new == view.cols:
            return None
        if view.indexed and new[:1] != view.cols[:1]:
            view.indexed = False
        view.cols = new
    else:
        width = len(schema.view_columns(schema.views[view.source[1]]))
        view.cols = _subset(choose, list(range(width)))
    # its readers (a view reading a view that reads it ...) follow, as a user edits them
    schema.fit_readers(view)
    return f"change view {view.name}: {schema.view_sql(view)}"


@change
def drop_view(schema: Schema, choose: Chooser, dialect: str) -> str | None:
    if not schema.views:
        return None
    view = choose.pick(sorted(schema.views.values(), key=lambda v: v.id))
    schema.drop_view(view.id)
    return f"drop view {view.name}"


def starting_schema(choose: Chooser, dialect: str, other_schema: str | None = None) -> Schema:
    """A small realistic schema: customers and orders (FK), maybe a CHECK, an index and
    a view, maybe a same-named ``vendors`` in the second schema; with or without a full
    naming convention."""
    schema = Schema(convention=choose.flag(), other_schema=other_schema)
    vendors = Table(
        schema.new_id(),
        "vendors",
        [Col(schema.new_id(), "name", "str", nullable=False), Col(schema.new_id(), "city", "str")],
    )
    orders = Table(
        schema.new_id(),
        "orders",
        [
            Col(schema.new_id(), "amount", "int", nullable=False),
            Col(schema.new_id(), "code", "str"),
            Col(schema.new_id(), "vendor_id", "int", references=vendors.id, populated=False),
        ],
    )
    schema.tables = {vendors.id: vendors, orders.id: orders}
    if choose.flag():
        _new_check(schema, choose, orders, orders.cols[0])
    if choose.flag():
        key_id = schema.new_id()
        vendors.keys.append(
            Key(key_id, f"uq_vendors_name_{key_id}", [vendors.cols[0].id], True, False)
        )
    if choose.flag():
        view = ViewSpec(schema.new_id(), "v_small", ("table", vendors.id), [vendors.cols[0].id], 1)
        schema.views[view.id] = view
    if other_schema is not None and choose.flag():
        twin = Table(
            schema.new_id(),
            "vendors",
            [Col(schema.new_id(), "name", "str"), Col(schema.new_id(), "qty", "int")],
            other=True,
        )
        if schema.may_reference(twin, vendors, dialect) and choose.flag():
            twin.cols.append(
                Col(schema.new_id(), "vendor_id", "int", references=vendors.id, populated=False)
            )
        schema.tables[twin.id] = twin
    return schema
