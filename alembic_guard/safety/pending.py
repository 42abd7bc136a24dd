"""The tables as the pending set has left them so far, for the reads a migration makes.

While the pre-flight records, nothing runs: a table an earlier pending
revision creates does not exist yet, a column it adds is not there.  A
migration that asks (``sa.inspect(bind).has_table(...)``, ``MetaData().reflect``,
``SELECT count(*) FROM t``) must still get the answer the real upgrade would
give at that point.  :class:`PendingSchema` replays the recorded operations over
the database's own tables (read lazily, only for tables an operation touched),
and answers:

* inspection, through :class:`PendingInspector`: tables, columns, keys,
  indexes, constraints of touched tables come from the replay, the rest from
  the database (none, for lint: a fresh database);
* row reads, through :meth:`PendingSchema.stand_ins`: a statement that names a
  touched table reads a common table expression of the same name instead,
  empty for a table the pending set created (its rows are recorded writes, not
  rows), the real rows with the pending shape for one it changed.

Raw SQL DDL (``op.execute("CREATE TABLE ...")``) is not replayed.
"""

from __future__ import annotations

import copy
import re
import weakref
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from alembic.operations import ops
from sqlalchemy import exc as sa_exc
from sqlalchemy import schema as sa_schema
from sqlalchemy.engine import Connection, Dialect
from sqlalchemy.engine.reflection import Inspector

from ..dialects import database_for
from .raw_tables import table_renames

TableKey = tuple[str | None, str]


@dataclass
class ShadowTable:
    """One table as the pending set leaves it, in the Inspector's own dictionaries."""

    columns: list[dict[str, Any]]
    pk: dict[str, Any]
    fks: list[dict[str, Any]] = field(default_factory=list)
    indexes: list[dict[str, Any]] = field(default_factory=list)
    uniques: list[dict[str, Any]] = field(default_factory=list)
    checks: list[dict[str, Any]] = field(default_factory=list)
    comment: str | None = None
    #: the database table it stands for (None: created in the pending set)
    origin: TableKey | None = None
    #: column name -> the database column it reads (None: added in the pending set)
    origins: dict[str, str | None] = field(default_factory=dict)
    reshaped: bool = False

    def column(self, name: str) -> dict[str, Any] | None:
        return next((c for c in self.columns if c["name"] == name), None)


def _default_text(default: Any) -> str | None:
    arg = getattr(default, "arg", None)
    if arg is None:
        return None
    return arg if isinstance(arg, str) else str(getattr(arg, "text", arg))


def _column(column: sa_schema.Column[Any]) -> dict[str, Any]:
    return {
        "name": column.name,
        "type": column.type,
        "nullable": column.nullable,
        "default": _default_text(column.server_default),
        "autoincrement": column.autoincrement,
        "comment": column.comment,
    }


def _fk(constraint: sa_schema.ForeignKeyConstraint) -> dict[str, Any]:
    targets = [element._column_tokens for element in constraint.elements]
    options = {
        key: getattr(constraint, key)
        for key in ("onupdate", "ondelete", "deferrable", "initially")
        if getattr(constraint, key, None) is not None
    }
    return {
        "name": constraint.name,
        "constrained_columns": [element.parent.name for element in constraint.elements],
        "referred_schema": targets[0][0] if targets else None,
        "referred_table": targets[0][1] if targets else None,
        "referred_columns": [target[2] for target in targets],
        "options": options,
    }


def _names(columns: Any) -> list[str | None]:
    return [c if isinstance(c, str) else getattr(c, "name", None) for c in columns]


def from_table(table: sa_schema.Table) -> ShadowTable:
    """A table the pending set creates (``op.create_table``, ``metadata.create_all``)."""
    shadow = ShadowTable(
        columns=[_column(c) for c in table.columns],
        pk={
            "constrained_columns": [c.name for c in table.primary_key.columns],
            "name": table.primary_key.name,
        },
        fks=[_fk(c) for c in table.foreign_key_constraints],
        indexes=[
            {"name": i.name, "column_names": _names(i.expressions), "unique": bool(i.unique)}
            for i in table.indexes
        ],
        uniques=[
            {"name": c.name, "column_names": [col.name for col in c.columns]}
            for c in table.constraints
            if isinstance(c, sa_schema.UniqueConstraint)
        ],
        checks=[
            {"name": c.name, "sqltext": str(c.sqltext)}
            for c in table.constraints
            if isinstance(c, sa_schema.CheckConstraint)
        ],
        comment=table.comment,
        reshaped=True,
    )
    shadow.origins = {c["name"]: None for c in shadow.columns}
    return shadow


def from_database(inspector: Inspector, key: TableKey) -> ShadowTable | None:
    """A table of the database, as the Inspector reflects it; None when there is none."""
    schema, name = key
    if not inspector.has_table(name, schema=schema):
        return None
    shadow = ShadowTable(
        columns=[dict(c) for c in inspector.get_columns(name, schema=schema)],
        pk=dict(inspector.get_pk_constraint(name, schema=schema)),
        fks=[dict(f) for f in inspector.get_foreign_keys(name, schema=schema)],
        indexes=[dict(i) for i in inspector.get_indexes(name, schema=schema)],
        uniques=[dict(u) for u in inspector.get_unique_constraints(name, schema=schema)],
        checks=_optional(lambda: inspector.get_check_constraints(name, schema=schema)),
        origin=key,
    )
    shadow.origins = {c["name"]: c["name"] for c in shadow.columns}
    return shadow


def _optional(read: Callable[[], list[Any]]) -> list[dict[str, Any]]:
    try:
        return [dict(item) for item in read()]
    except NotImplementedError:
        return []


Loader = Callable[[TableKey], "ShadowTable | None"]

#: how each operation changes the replayed tables
_REPLAY: dict[type[ops.MigrateOperation], Callable[[Any, _Replay], None]] = {}


def _replays(op_class: type[ops.MigrateOperation]) -> Callable[[Any], Any]:
    def register(fn: Callable[[Any, _Replay], None]) -> Callable[[Any, _Replay], None]:
        _REPLAY[op_class] = fn
        return fn

    return register


class _Replay:
    """One replay of the pending operations over lazily loaded database tables."""

    def __init__(self, key_of: Callable[[str | None, str], TableKey], load: Loader) -> None:
        self.key_of = key_of
        self._load = load
        self.tables: dict[TableKey, ShadowTable | None] = {}

    def get(self, schema: str | None, name: str | None) -> ShadowTable | None:
        if name is None:
            return None
        key = self.key_of(schema, name)
        if key not in self.tables:
            loaded = self._load(key)
            self.tables[key] = copy.deepcopy(loaded) if loaded is not None else None
        return self.tables[key]

    def set(self, schema: str | None, name: str, table: ShadowTable | None) -> None:
        self.tables[self.key_of(schema, name)] = table


def created_table(op: ops.CreateTableOp) -> sa.Table:
    """The table a create_table operation makes, as a Table of its own.

    ``op.to_table()`` attaches the op's items to a new Table; an Index or constraint a
    migration built against another Table (an ORM model's, say) cannot be attached twice,
    and what the replay needs is the columns.
    """
    made = _CREATED.get(op)
    if made is None:
        # once per op: the replay starts again with each new operation
        try:
            made = op.to_table()
        except sa_exc.ArgumentError:
            columns = [c._copy() for c in op.columns if isinstance(c, sa.Column)]
            made = sa.Table(op.table_name, sa.MetaData(), *columns, schema=op.schema)
        _CREATED[op] = made
    return made


_CREATED: weakref.WeakKeyDictionary[ops.CreateTableOp, sa.Table] = weakref.WeakKeyDictionary()


@_replays(ops.CreateTableOp)
def _create_table(op: ops.CreateTableOp, replay: _Replay) -> None:
    replay.set(op.schema, op.table_name, from_table(created_table(op)))


@_replays(ops.DropTableOp)
def _drop_table(op: ops.DropTableOp, replay: _Replay) -> None:
    replay.set(op.schema, op.table_name, None)


@_replays(ops.RenameTableOp)
def _rename_table(op: ops.RenameTableOp, replay: _Replay) -> None:
    table = replay.get(op.schema, op.table_name)
    replay.set(op.schema, op.table_name, None)
    if table is not None:
        table.reshaped = True
    replay.set(op.schema, op.new_table_name, table)


@_replays(ops.AddColumnOp)
def _add_column(op: ops.AddColumnOp, replay: _Replay) -> None:
    table = replay.get(op.schema, op.table_name)
    if table is not None and table.column(op.column.name) is None:
        table.columns.append(_column(op.column))
        table.origins[op.column.name] = None
        table.reshaped = True


@_replays(ops.DropColumnOp)
def _drop_column(op: ops.DropColumnOp, replay: _Replay) -> None:
    table = replay.get(op.schema, op.table_name)
    if table is not None:
        table.columns = [c for c in table.columns if c["name"] != op.column_name]
        table.origins.pop(op.column_name, None)
        table.reshaped = True


@_replays(ops.AlterColumnOp)
def _alter_column(op: ops.AlterColumnOp, replay: _Replay) -> None:
    table = replay.get(op.schema, op.table_name)
    column = table.column(op.column_name) if table is not None else None
    if table is None or column is None:
        return
    if op.modify_nullable is not None:
        column["nullable"] = op.modify_nullable
    if op.modify_type is not None:
        column["type"] = op.modify_type
    if op.modify_server_default is not False:
        column["default"] = (
            _default_text(op.modify_server_default) if op.modify_server_default else None
        )
    if op.modify_comment is not False:
        column["comment"] = op.modify_comment
    if op.modify_name:
        table.origins[op.modify_name] = table.origins.pop(op.column_name, None)
        column["name"] = op.modify_name
        table.reshaped = True


@_replays(ops.CreateIndexOp)
def _create_index(op: ops.CreateIndexOp, replay: _Replay) -> None:
    table = replay.get(op.schema, op.table_name)
    if table is not None:
        table.indexes.append(
            {"name": op.index_name, "column_names": _names(op.columns), "unique": bool(op.unique)}
        )


@_replays(ops.DropIndexOp)
def _drop_index(op: ops.DropIndexOp, replay: _Replay) -> None:
    candidates = (
        [replay.get(op.schema, op.table_name)] if op.table_name else list(replay.tables.values())
    )
    for table in candidates:
        if table is not None:
            table.indexes = [i for i in table.indexes if i["name"] != op.index_name]


@_replays(ops.CreateForeignKeyOp)
def _create_fk(op: ops.CreateForeignKeyOp, replay: _Replay) -> None:
    table = replay.get(op.kw.get("source_schema"), op.source_table)
    if table is not None:
        table.fks.append(
            {
                "name": op.constraint_name,
                "constrained_columns": list(op.local_cols),
                "referred_schema": op.kw.get("referent_schema"),
                "referred_table": op.referent_table,
                "referred_columns": list(op.remote_cols),
                "options": {},
            }
        )


@_replays(ops.CreateUniqueConstraintOp)
def _create_unique(op: ops.CreateUniqueConstraintOp, replay: _Replay) -> None:
    table = replay.get(op.schema, op.table_name)
    if table is not None:
        table.uniques.append({"name": op.constraint_name, "column_names": list(op.columns)})


@_replays(ops.CreatePrimaryKeyOp)
def _create_pk(op: ops.CreatePrimaryKeyOp, replay: _Replay) -> None:
    table = replay.get(op.schema, op.table_name)
    if table is not None:
        table.pk = {"constrained_columns": list(op.columns), "name": op.constraint_name}


@_replays(ops.CreateCheckConstraintOp)
def _create_check(op: ops.CreateCheckConstraintOp, replay: _Replay) -> None:
    table = replay.get(op.schema, op.table_name)
    if table is not None:
        table.checks.append({"name": op.constraint_name, "sqltext": str(op.condition)})


@_replays(ops.DropConstraintOp)
def _drop_constraint(op: ops.DropConstraintOp, replay: _Replay) -> None:
    table = replay.get(op.schema, op.table_name)
    if table is None:
        return
    name = op.constraint_name
    table.fks = [f for f in table.fks if f["name"] != name]
    table.uniques = [u for u in table.uniques if u["name"] != name]
    table.checks = [c for c in table.checks if c["name"] != name]
    if table.pk.get("name") == name and op.constraint_type in (None, "primary"):
        table.pk = {"constrained_columns": [], "name": None}


class PendingSchema:
    """The recorded operations of the pending set so far, replayed on demand."""

    def __init__(self, default_schema: str | None) -> None:
        self.default_schema = default_schema
        self._ops: list[ops.MigrateOperation] = []
        #: every operation recorded so far (data writes included): none of them ran
        self.operations = 0
        self._replayed: tuple[int, _Replay] | None = None
        self._database: dict[TableKey, ShadowTable | None] = {}

    def key(self, schema: str | None, name: str) -> TableKey:
        return (None if schema == self.default_schema else schema, name)

    def apply(self, op: ops.MigrateOperation) -> None:
        self.operations += 1
        if type(op) in _REPLAY:
            self._ops.append(op)
        # a table renamed by raw SQL is the same table under its new name
        self._ops.extend(table_renames(op))

    def _database_table(self, key: TableKey, load: Loader) -> ShadowTable | None:
        # nothing runs during the pre-flight: a table is read from the database once,
        # however often a new operation makes the replay start again
        if key not in self._database:
            self._database[key] = load(key)
        return self._database[key]

    @property
    def changed(self) -> bool:
        return bool(self._ops)

    def tables(self, load: Loader) -> dict[TableKey, ShadowTable | None]:
        """Every table an operation touched: its replayed state, None when dropped or absent."""
        if self._replayed is None or self._replayed[0] != len(self._ops):
            replay = _Replay(self.key, lambda key: self._database_table(key, load))
            for op in self._ops:
                _REPLAY[type(op)](op, replay)
            self._replayed = (len(self._ops), replay)
        return self._replayed[1].tables

    def stand_ins(self, sql: str, dialect: Dialect, load: Loader) -> str:
        """``WITH`` entries standing in for the touched tables ``sql`` names, or ""."""
        preparer = dialect.identifier_preparer
        entries = []
        for (schema, name), table in self.tables(load).items():
            # a common table expression hides unqualified names only
            if schema is not None or table is None or not table.reshaped or not table.columns:
                continue
            if not _mentions(sql, name):
                continue
            entries.append(f"{preparer.quote(name)} AS ({_stand_in_body(table, dialect)})")
        return ", ".join(entries)


def _mentions(sql: str, name: str) -> bool:
    return re.search(rf"(?<![\w$.]){re.escape(name)}(?![\w$])", sql, re.I) is not None


def _castable(type_: Any) -> Any:
    """A type the database knows before the upgrade: a named enum type (PostgreSQL's
    CREATE TYPE) may be one the pending set creates, so its values read as strings."""
    if isinstance(type_, sa.Enum):
        return sa.String()
    if isinstance(type_, sa.ARRAY) and isinstance(type_.item_type, sa.Enum):
        return sa.ARRAY(sa.String())
    return type_


def typed_null(type_: Any, dialect: Dialect) -> str:
    """A NULL of the column's type where the database can cast to it."""
    if not database_for(dialect).casts_null_to_column_types:
        return "NULL"  # an untyped NULL reads fine there
    try:
        return f"CAST(NULL AS {_castable(type_).compile(dialect=dialect)})"
    except Exception:
        return "NULL"


def _stand_in_body(table: ShadowTable, dialect: Dialect) -> str:
    preparer = dialect.identifier_preparer
    selected = []
    for column in table.columns:
        origin = table.origins.get(column["name"])
        value = (
            preparer.quote(origin)
            if table.origin is not None and origin is not None
            else typed_null(column["type"], dialect)
        )
        selected.append(f"{value} AS {preparer.quote(column['name'])}")
    if table.origin is None:
        # created by the pending set: its rows are recorded writes, not rows yet
        return f"SELECT {', '.join(selected)} FROM (SELECT 1 AS ag_one) AS ag_empty WHERE 1 = 0"
    schema = table.origin[0] or dialect.default_schema_name or "main"
    # qualified, so it reads the table and never the expression itself
    source = f"{preparer.quote_schema(schema)}.{preparer.quote(table.origin[1])}"
    return f"SELECT {', '.join(selected)} FROM {source}"


_LEADING_WITH = re.compile(r"^\s*WITH(\s+RECURSIVE)?\s+", re.I)


def with_stand_ins(sql: str, entries: str) -> str:
    """``sql`` reading the stand-ins first (merged into its own ``WITH``, if any)."""
    if not entries:
        return sql
    match = _LEADING_WITH.match(sql)
    if match is None:
        return f"WITH {entries} {sql}"
    return f"{match.group(0)}{entries}, {sql[match.end() :]}"


# -- inspection ------------------------------------------------------------------

_SINGLE: dict[str, Callable[[ShadowTable], Any]] = {
    "columns": lambda t: [dict(c) for c in t.columns],
    "pk_constraint": lambda t: dict(t.pk),
    "foreign_keys": lambda t: [dict(f) for f in t.fks],
    "indexes": lambda t: [dict(i) for i in t.indexes],
    "unique_constraints": lambda t: [dict(u) for u in t.uniques],
    "check_constraints": lambda t: [dict(c) for c in t.checks],
    "table_comment": lambda t: {"text": t.comment},
    "table_options": lambda t: {},
}


class PendingInspector(Inspector):
    """``sa.inspect(op.get_bind())`` during the pre-flight (and lint).

    Touched tables are answered from the replay; everything else from the
    database, each catalog read inside the revision's read scope.  Without a
    database (lint) an untouched table does not exist, as on a fresh database.
    """

    _pending: PendingSchema
    _scope: Callable[[], Any]
    _no_database: Callable[[str], BaseException]

    @classmethod
    def over(
        cls,
        bind: Any,
        connection: Connection | None,
        pending: PendingSchema,
        scope: Callable[[], Any],
        no_database: Callable[[str], BaseException],
    ) -> PendingInspector:
        inspector = cls.__new__(cls)
        inspector.bind = bind
        inspector.engine = bind.engine
        inspector._op_context_requires_connect = False
        inspector.dialect = bind.dialect
        inspector.info_cache = {}
        inspector._pending = pending
        inspector._scope = scope
        inspector._real = connection
        inspector._no_database = no_database
        return inspector

    _real: Connection | None

    @contextmanager
    def _operation_context(self) -> Iterator[Connection]:
        if self._real is None:
            raise self._no_database("inspects the database")
        with self._scope():
            yield self._real

    @contextmanager
    def _inspection_context(self) -> Iterator[Inspector]:
        yield self

    def _load(self, key: TableKey) -> ShadowTable | None:
        if self._real is None:
            return None  # lint: a fresh database
        with self._scope():
            return from_database(Inspector._construct(Inspector._init_connection, self._real), key)

    def _touched(self, schema: str | None) -> dict[str, ShadowTable | None]:
        wanted = self._pending.key(schema, "")[0]
        return {
            name: table
            for (table_schema, name), table in self._pending.tables(self._load).items()
            if table_schema == wanted
        }

    # -- tables ------------------------------------------------------------------

    def get_table_names(self, schema: str | None = None, **kw: Any) -> list[str]:
        names = super().get_table_names(schema, **kw) if self._real is not None else []
        touched = self._touched(schema)
        kept = [n for n in names if n not in touched]
        return kept + sorted(n for n, table in touched.items() if table is not None)

    def has_table(self, table_name: str, schema: str | None = None, **kw: Any) -> bool:
        touched = self._touched(schema)
        if table_name in touched:
            return touched[table_name] is not None
        return self._real is not None and super().has_table(table_name, schema, **kw)

    def has_index(
        self, table_name: str, index_name: str, schema: str | None = None, **kw: Any
    ) -> bool:
        return any(i["name"] == index_name for i in self.get_indexes(table_name, schema, **kw))

    def _one(self, family: str, table_name: str, schema: str | None, kw: dict[str, Any]) -> Any:
        touched = self._touched(schema)
        if table_name in touched:
            table = touched[table_name]
            if table is None:
                raise sa_exc.NoSuchTableError(table_name)
            return _SINGLE[family](table)
        if self._real is None:
            raise sa_exc.NoSuchTableError(table_name)
        return getattr(super(), f"get_{family}")(table_name, schema, **kw)

    def _multi(
        self, family: str, schema: str | None, filter_names: Any, kw: dict[str, Any]
    ) -> dict[TableKey, Any]:
        touched = self._touched(schema)
        untouched = None if filter_names is None else [n for n in filter_names if n not in touched]
        found: dict[TableKey, Any] = {}
        if self._real is not None and (untouched is None or untouched):
            method = getattr(super(), f"get_multi_{family}")
            found = {
                key: value
                for key, value in method(schema=schema, filter_names=untouched, **kw).items()
                if key[1] not in touched
            }
        for name, table in touched.items():
            if table is not None and (filter_names is None or name in filter_names):
                found[(schema, name)] = _SINGLE[family](table)
        return found


def _single(family: str) -> Callable[..., Any]:
    def method(
        self: PendingInspector, table_name: str, schema: str | None = None, **kw: Any
    ) -> Any:
        return self._one(family, table_name, schema, kw)

    method.__name__ = f"get_{family}"
    return method


def _multiple(family: str) -> Callable[..., Any]:
    def method(
        self: PendingInspector, schema: str | None = None, filter_names: Any = None, **kw: Any
    ) -> Any:
        return self._multi(family, schema, filter_names, kw)

    method.__name__ = f"get_multi_{family}"
    return method


for _family in _SINGLE:
    setattr(PendingInspector, f"get_{_family}", _single(_family))
    setattr(PendingInspector, f"get_multi_{_family}", _multiple(_family))
