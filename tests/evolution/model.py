"""The state of a schema-evolution run: plain data that builds the models (MetaData and
declared views) the database should hold at head, and the changes a step may draw.

Tables, columns, constraints and views have stable ids; names are current names, so a
renamed table or column is one object whose name changed (and carries a
``renamed_from`` hint for the one step that renames it), and views render their SQL
from the current names."""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa

from alembic_guard.views import View, ViewIndex

TABLE_NAMES = (
    "vendors", "products", "orders", "items", "users", "accounts",
    "events", "suppliers", "invoices", "shipments", "regions", "notes",
)  # fmt: skip
COLUMN_NAMES = (
    "name", "city", "qty", "price", "note", "level", "score",
    "code", "title", "amount", "rank", "label",
)  # fmt: skip
VIEW_NAMES = ("v_small", "v_names", "v_top", "v_recent", "v_summary", "v_report")

CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

TYPES: dict[str, Callable[[], sa.types.TypeEngine[Any]]] = {
    "int": sa.Integer,
    "bigint": sa.BigInteger,
    "str": lambda: sa.String(40),
    "str80": lambda: sa.String(80),
}
WIDER = {"int": "bigint", "bigint": "int", "str": "str80", "str80": "str"}


@dataclass
class Col:
    id: int
    name: str
    kind: str  # a TYPES key
    nullable: bool = True
    default: str | None = None  # "a" / "b" for strings, "0" / "1" for integers
    #: every row holds a distinct non-NULL value (seeded with the table, or since)
    distinct: bool = True
    #: every row holds a value
    populated: bool = True
    references: int | None = None  # table id of a foreign key on this column
    renamed_from: str | None = None

    @property
    def numeric(self) -> bool:
        return self.kind in ("int", "bigint")


@dataclass
class Check:
    id: int
    name: str | None
    col: int
    low: int  # "<col> >= low"; rows hold values >= 0
    column_level: bool = False


@dataclass
class Key:
    """An index, a unique constraint (``unique``) or a unique index (``index`` and ``unique``)."""

    id: int
    name: str
    cols: list[int]
    unique: bool
    index: bool


@dataclass
class Table:
    id: int
    name: str
    cols: list[Col]
    checks: list[Check] = field(default_factory=list)
    keys: list[Key] = field(default_factory=list)
    renamed_from: str | None = None
    rows: int = 0
    #: in the second schema (``Schema.other_schema``) rather than the default one
    other: bool = False

    def col(self, col_id: int) -> Col:
        return next(c for c in self.cols if c.id == col_id)


@dataclass
class ViewSpec:
    id: int
    name: str
    #: ("table", id) or ("view", id)
    source: tuple[str, int]
    cols: list[int]  # column ids of the source table, or view ids' output positions
    low: int
    star: bool = False
    materialized: bool = False
    indexed: bool = False


@dataclass
class Schema:
    tables: dict[int, Table] = field(default_factory=dict)
    views: dict[int, ViewSpec] = field(default_factory=dict)
    convention: bool = False
    last_id: int = 0
    #: the database's second schema (PostgreSQL: a schema; MariaDB: a second database;
    #: SQLite: an ATTACHed file); None where the run has none
    other_schema: str | None = None

    def new_id(self) -> int:
        self.last_id += 1
        return self.last_id

    def copy(self) -> Schema:
        twin = copy.deepcopy(self)
        for table in twin.tables.values():
            table.renamed_from = None
            for column in table.cols:
                column.renamed_from = None
        return twin

    # -- names ---------------------------------------------------------------------

    def free_table_name(self, pick: Callable[[list[str]], str], other: bool = False) -> str | None:
        """A name no table of that schema (nor, in the default schema, a view) has: the
        same name may live in both schemas."""
        used = {t.name for t in self.tables.values() if t.other == other}
        if not other:
            used |= {v.name for v in self.views.values()}
        free = [n for n in TABLE_NAMES if n not in used]
        return pick(free) if free else None

    def schema_of(self, table: Table) -> str | None:
        return self.other_schema if table.other else None

    def label(self, table: Table) -> str:
        return f"{self.other_schema}.{table.name}" if table.other else table.name

    def may_reference(self, table: Table, target: Table, dialect: str) -> bool:
        """Foreign keys across schemas: PostgreSQL either way; MariaDB only from the
        default schema (MySQL resolves an unqualified REFERENCES in the child's own
        database, and Alembic writes the default schema unqualified); SQLite never (an
        attached file's tables cannot reference another file's)."""
        if table.other == target.other:
            return True
        if dialect == "postgresql":
            return True
        return dialect == "mariadb" and not table.other

    def free_view_name(self, pick: Callable[[list[str]], str]) -> str | None:
        used = {t.name for t in self.tables.values() if not t.other}
        used |= {v.name for v in self.views.values()}
        free = [n for n in VIEW_NAMES if n not in used]
        return pick(free) if free else None

    @staticmethod
    def free_column_name(table: Table, pick: Callable[[list[str]], str]) -> str | None:
        used = {c.name for c in table.cols}
        free = [n for n in COLUMN_NAMES if n not in used]
        return pick(free) if free else None

    # -- views ---------------------------------------------------------------------

    def view_columns(self, view: ViewSpec) -> list[str]:
        """The view's output column names."""
        kind, source = view.source
        if kind == "table":
            table = self.tables[source]
            if view.star:
                return [c.name for c in table.cols]
            return [table.col(c).name for c in view.cols]
        parent = self.views[source]
        names = self.view_columns(parent)
        return [names[i] for i in view.cols]

    def view_sql(self, view: ViewSpec) -> str:
        kind, source = view.source
        if kind == "table":
            table = self.tables[source]
            columns = "*" if view.star else ", ".join(table.col(c).name for c in view.cols)
            return f"SELECT {columns} FROM {table.name} WHERE id >= {view.low}"
        parent = self.views[source]
        names = self.view_columns(parent)
        columns = ", ".join(names[i] for i in view.cols)
        return f"SELECT {columns} FROM {parent.name}"

    def readers_of_view(self, view_id: int) -> list[int]:
        return [v.id for v in self.views.values() if v.source == ("view", view_id)]

    def drop_view(self, view_id: int) -> None:
        for reader in self.readers_of_view(view_id):
            self.drop_view(reader)
        self.views.pop(view_id, None)

    def fit_readers(self, view: ViewSpec) -> None:
        """After the view's columns changed: its readers keep reading its columns only
        where they still exist (the user edits them in the same change), and so on down
        through the readers' readers."""
        width = len(self.view_columns(view))
        for reader_id in self.readers_of_view(view.id):
            reader = self.views[reader_id]
            reader.cols = [i for i in reader.cols if i < width] or [0]
            self.fit_readers(reader)

    def views_of_table(self, table_id: int) -> list[int]:
        return [v.id for v in self.views.values() if v.source == ("table", table_id)]

    def column_left_views(self, table: Table, col_id: int) -> None:
        """Views stop reading a column that goes: the user edits them in the same change."""
        for view_id in self.views_of_table(table.id):
            view = self.views.get(view_id)
            if view is None:
                continue  # went with a view it read
            if view.star:
                # * reads every column: written out without the one that goes
                view.star = False
                view.cols = [c.id for c in table.cols if c.id != col_id]
            if col_id not in view.cols:
                continue
            position = view.cols.index(col_id)
            view.cols.remove(col_id)
            self._position_left(view, position)

    def _position_left(self, view: ViewSpec, position: int) -> None:
        if not view.cols or (view.materialized and position == 0):
            self.drop_view(view.id)
            return
        for reader_id in self.readers_of_view(view.id):
            reader = self.views[reader_id]
            if position in reader.cols:
                at = reader.cols.index(position)
                reader.cols.remove(position)
                reader.cols = [i - 1 if i > position else i for i in reader.cols]
                self._position_left(reader, at)
            else:
                reader.cols = [i - 1 if i > position else i for i in reader.cols]

    # -- models --------------------------------------------------------------------

    def metadata(self, dialect: str) -> sa.MetaData:
        md = sa.MetaData(
            naming_convention=CONVENTION
            if self.convention
            else sa.sql.schema.DEFAULT_NAMING_CONVENTION
        )
        for table in sorted(self.tables.values(), key=lambda t: t.id):
            args: list[Any] = [sa.Column("id", sa.Integer, primary_key=True, autoincrement=False)]
            for column in table.cols:
                extra: list[Any] = []
                if column.references is not None:
                    target = self.tables[column.references]
                    name = None if self.convention else f"fk_{table.id}_{column.id}"
                    extra.append(sa.ForeignKey(f"{self.label(target)}.id", name=name))
                for check in table.checks:
                    if check.col == column.id and check.column_level:
                        extra.append(
                            sa.CheckConstraint(self.check_sql(table, check), name=check.name)
                        )
                default: Any = None
                if column.default is not None:
                    default = sa.text(column.default) if column.numeric else column.default
                args.append(
                    sa.Column(
                        column.name,
                        TYPES[column.kind](),
                        *extra,
                        nullable=column.nullable,
                        server_default=default,
                        info={"renamed_from": column.renamed_from} if column.renamed_from else {},
                    )
                )
            for check in table.checks:
                if not check.column_level:
                    args.append(sa.CheckConstraint(self.check_sql(table, check), name=check.name))
            for key in table.keys:
                names = [table.col(c).name for c in key.cols]
                if key.index:
                    name = None if self.convention else key.name
                    args.append(sa.Index(name, *names, unique=key.unique))
                else:
                    name = None if self.convention else key.name
                    args.append(sa.UniqueConstraint(*names, name=name))
            sa.Table(
                table.name,
                md,
                *args,
                schema=self.schema_of(table),
                info={"renamed_from": table.renamed_from} if table.renamed_from else {},
            )
        for view in sorted(self.views.values(), key=lambda v: v.id):
            View(
                view.name,
                md,
                self.view_sql(view),
                materialized=view.materialized,
                indexes=[ViewIndex(f"ix_{view.name}_first", [self.view_columns(view)[0]])]
                if view.indexed
                else [],
            )
        return md

    def check_sql(self, table: Table, check: Check) -> str:
        return f"{table.col(check.col).name} >= {check.low}"

    def describe(self) -> str:
        parts = []
        for table in self.tables.values():
            cols = ", ".join(
                f"{c.name} {c.kind}{'' if c.nullable else ' not null'}"
                f"{f' default {c.default}' if c.default else ''}"
                f"{f' -> {self.label(self.tables[c.references])}' if c.references else ''}"
                for c in table.cols
            )
            checks = "; ".join(
                f"{ch.name or '(unnamed)'}: {self.check_sql(table, ch)}" for ch in table.checks
            )
            keys = "; ".join(
                f"{'unique ' if k.unique else ''}{'index' if k.index else 'constraint'} {k.name}"
                f" ({', '.join(table.col(c).name for c in k.cols)})"
                for k in table.keys
            )
            parts.append(f"{self.label(table)}(id, {cols}) checks[{checks}] keys[{keys}]")
        for view in self.views.values():
            kind = "materialized view" if view.materialized else "view"
            parts.append(f"{kind} {view.name}: {self.view_sql(view)}")
        return " | ".join(parts)
