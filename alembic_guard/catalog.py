"""Bulk catalog reads: one query per schema, never one per table.

Each dialect has a :class:`Catalog` subclass; names are always bound as
parameters.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import ClassVar

from sqlalchemy import inspect, text
from sqlalchemy.engine import Connection

from .canonical import parse_pg_check, referenced_relations
from .views import ViewIndex


@dataclass(frozen=True)
class DbCheck:
    """A CHECK constraint as the database holds it."""

    name: str | None
    sqltext: str
    #: MariaDB keeps a column-level CHECK inside the column definition
    column: str | None = None
    not_valid: bool = False
    no_inherit: bool = False


#: (schema, name) of a table or view; schema None is the connection's default schema
RelationKey = tuple[str | None, str]


@dataclass(frozen=True)
class DbView:
    """A view or materialized view as the database holds it."""

    schema: str | None
    name: str
    #: the database's text, usable as ``CREATE VIEW ... AS <definition>`` again
    definition: str
    materialized: bool = False
    #: (name, type) in order, where the database reports them (PostgreSQL)
    columns: tuple[tuple[str, str], ...] = ()
    indexes: tuple[ViewIndex, ...] = ()
    #: relations the view reads, and per relation the columns where known
    reads: dict[RelationKey, frozenset[str]] = field(default_factory=dict, compare=False)

    @property
    def key(self) -> RelationKey:
        return (self.schema, self.name)


_registry: dict[str, type[Catalog]] = {}


class Catalog:
    """Reads what SQLAlchemy's reflection lacks or does one table at a time."""

    dialect_name: ClassVar[str] = "default"
    #: an unqualified name in a view of another schema reads that schema's table (SQLite's
    #: attached databases); PostgreSQL (search_path) and MySQL (the session's database)
    #: read the default schema's
    unqualified_in_view_schema: ClassVar[bool] = True

    def __init_subclass__(cls) -> None:
        _registry[cls.dialect_name] = cls

    def __init__(self, connection: Connection) -> None:
        self.connection = connection

    def check_constraints(self, schema: str | None) -> dict[str, list[DbCheck]]:
        """table name -> its CHECK constraints, for every table of ``schema``."""
        inspector = inspect(self.connection)
        found: dict[str, list[DbCheck]] = defaultdict(list)
        for (_, table), checks in inspector.get_multi_check_constraints(schema=schema).items():
            for check in checks:
                found[table].append(DbCheck(name=check.get("name"), sqltext=check["sqltext"]))
        return dict(found)

    def default_schema(self) -> str | None:
        return self.connection.dialect.default_schema_name

    def schema_key(self, schema: str | None) -> str | None:
        return None if schema is None or schema == self.default_schema() else schema

    def read_key(self, ref_schema: str | None, view_schema: str | None, name: str) -> RelationKey:
        """The relation a view of ``view_schema`` reads when its SQL names ``ref_schema.name``."""
        if ref_schema is None and self.unqualified_in_view_schema:
            ref_schema = view_schema
        return (self.schema_key(ref_schema), name)

    def views(self, schemas: Iterable[str | None]) -> list[DbView]:
        """Every view of ``schemas``, with what it reads (parsed from its definition)."""
        inspector = inspect(self.connection)
        found = []
        for schema in schemas:
            for name in inspector.get_view_names(schema=schema):
                sql = inspector.get_view_definition(name, schema=schema) or ""
                found.append(self._parsed(schema, name, sql))
        return found

    def _parsed(self, schema: str | None, name: str, definition: str) -> DbView:
        dialect = self.connection.dialect.name
        reads: dict[RelationKey, frozenset[str]] = {}
        for (ref_schema, table), columns in referenced_relations(definition, dialect).items():
            key = self.read_key(ref_schema, schema, table)
            reads[key] = reads.get(key, frozenset()) | columns
        return DbView(self.schema_key(schema), name, definition, reads=reads)


def catalog_for(connection: Connection) -> Catalog:
    return _registry.get(connection.dialect.name, Catalog)(connection)


class PostgresqlCatalog(Catalog):
    dialect_name = "postgresql"
    unqualified_in_view_schema = False

    def check_constraints(self, schema: str | None) -> dict[str, list[DbCheck]]:
        rows = self.connection.execute(
            text(
                "SELECT c.relname, con.conname, "
                "pg_catalog.pg_get_constraintdef(con.oid) "
                "FROM pg_catalog.pg_constraint con "
                "JOIN pg_catalog.pg_class c ON c.oid = con.conrelid "
                "JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace "
                "WHERE con.contype = 'c' AND c.relkind IN ('r', 'p') "
                "AND n.nspname = coalesce(:schema, current_schema())"
            ),
            {"schema": schema},
        )
        found: dict[str, list[DbCheck]] = defaultdict(list)
        for table, name, definition in rows:
            sqltext, no_inherit, not_valid = parse_pg_check(definition)
            found[table].append(
                DbCheck(name=name, sqltext=sqltext, not_valid=not_valid, no_inherit=no_inherit)
            )
        return dict(found)

    def views(self, schemas: Iterable[str | None]) -> list[DbView]:
        names = self._schema_names(schemas)
        rows = self.connection.execute(
            text(
                "SELECT n.nspname, c.relname, c.relkind = 'm', "
                "pg_catalog.pg_get_viewdef(c.oid, false), "
                "ARRAY(SELECT a.attname FROM pg_catalog.pg_attribute a WHERE a.attrelid = c.oid "
                "AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum), "
                "ARRAY(SELECT pg_catalog.format_type(a.atttypid, a.atttypmod) "
                "FROM pg_catalog.pg_attribute a WHERE a.attrelid = c.oid "
                "AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum) "
                "FROM pg_catalog.pg_class c "
                "JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace "
                "WHERE c.relkind IN ('v', 'm') "
                "AND n.nspname = ANY(:schemas) "
                # views an extension installed are the extension's, not the project's
                "AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend d "
                "WHERE d.classid = 'pg_catalog.pg_class'::regclass AND d.objid = c.oid "
                "AND d.deptype = 'e')"
            ),
            {"schemas": names},
        ).all()
        if not rows:
            return []
        indexes = self._materialized_indexes(names)
        reads = self._dependencies(names)
        found = []
        for schema, name, materialized, definition, column_names, types in rows:
            key = (self.schema_key(schema), name)
            found.append(
                DbView(
                    key[0],
                    name,
                    definition.strip().rstrip(";").strip(),
                    materialized=bool(materialized),
                    columns=tuple(zip(column_names, types, strict=True)),
                    indexes=tuple(indexes.get(key, ())),
                    reads=reads.get(key, {}),
                )
            )
        return found

    def _schema_names(self, schemas: Iterable[str | None]) -> list[str]:
        default = self.default_schema() or "public"
        return sorted({schema or default for schema in schemas})

    def _materialized_indexes(self, schemas: list[str]) -> dict[RelationKey, list[ViewIndex]]:
        rows = self.connection.execute(
            text(
                "SELECT n.nspname, t.relname, i.relname, ix.indisunique, "
                "ARRAY(SELECT a.attname FROM unnest(ix.indkey) WITH ORDINALITY k(attnum, pos) "
                "JOIN pg_catalog.pg_attribute a ON a.attrelid = t.oid AND a.attnum = k.attnum "
                "ORDER BY k.pos) "
                "FROM pg_catalog.pg_index ix "
                "JOIN pg_catalog.pg_class t ON t.oid = ix.indrelid "
                "JOIN pg_catalog.pg_class i ON i.oid = ix.indexrelid "
                "JOIN pg_catalog.pg_namespace n ON n.oid = t.relnamespace "
                "WHERE t.relkind = 'm' AND n.nspname = ANY(:schemas) ORDER BY i.relname"
            ),
            {"schemas": schemas},
        )
        found: dict[RelationKey, list[ViewIndex]] = defaultdict(list)
        for schema, view, index, unique, columns in rows:
            found[(self.schema_key(schema), view)].append(ViewIndex(index, columns, unique))
        return found

    def _dependencies(
        self, schemas: list[str]
    ) -> dict[RelationKey, dict[RelationKey, frozenset[str]]]:
        """What each view reads, from the rewrite rules' dependencies (not from parsing)."""
        rows = self.connection.execute(
            text(
                "SELECT DISTINCT vn.nspname, v.relname, rn.nspname, r.relname, a.attname "
                "FROM pg_catalog.pg_depend d "
                "JOIN pg_catalog.pg_rewrite w ON w.oid = d.objid "
                "JOIN pg_catalog.pg_class v ON v.oid = w.ev_class "
                "JOIN pg_catalog.pg_namespace vn ON vn.oid = v.relnamespace "
                "JOIN pg_catalog.pg_class r ON r.oid = d.refobjid "
                "JOIN pg_catalog.pg_namespace rn ON rn.oid = r.relnamespace "
                "LEFT JOIN pg_catalog.pg_attribute a "
                "ON a.attrelid = r.oid AND a.attnum = d.refobjsubid AND d.refobjsubid > 0 "
                "WHERE d.classid = 'pg_catalog.pg_rewrite'::regclass "
                "AND d.refclassid = 'pg_catalog.pg_class'::regclass "
                "AND r.oid <> v.oid AND v.relkind IN ('v', 'm') "
                "AND vn.nspname = ANY(:schemas)"
            ),
            {"schemas": schemas},
        )
        found: dict[RelationKey, dict[RelationKey, set[str]]] = defaultdict(
            lambda: defaultdict(set)
        )
        for view_schema, view, schema, relation, column in rows:
            columns = found[(self.schema_key(view_schema), view)][
                (self.schema_key(schema), relation)
            ]
            if column is not None:
                columns.add(column)
        return {
            view: {relation: frozenset(columns) for relation, columns in reads.items()}
            for view, reads in found.items()
        }


class MysqlCatalog(Catalog):
    dialect_name = "mysql"
    unqualified_in_view_schema = False

    def views(self, schemas: Iterable[str | None]) -> list[DbView]:
        # only the session's database is left out of the names: a view of another database
        # restored by ``CREATE VIEW other.v AS ...`` reads unqualified names in the session's
        default = self.default_schema()
        found = []
        for schema in schemas:
            rows = self.connection.execute(
                text(
                    "SELECT TABLE_SCHEMA, TABLE_NAME, VIEW_DEFINITION FROM information_schema.VIEWS "
                    "WHERE TABLE_SCHEMA = coalesce(:schema, DATABASE()) ORDER BY TABLE_NAME"
                ),
                {"schema": schema},
            )
            for database, name, definition in rows:
                found.append(
                    self._parsed(schema, name, strip_database(definition, default or database))
                )
        return found

    def check_constraints(self, schema: str | None) -> dict[str, list[DbCheck]]:
        dialect = self.connection.dialect
        if getattr(dialect, "is_mariadb", False):
            # MariaDB names column-level checks after the column and marks them LEVEL='Column'
            query = (
                "SELECT TABLE_NAME, CONSTRAINT_NAME, CHECK_CLAUSE, LEVEL "
                "FROM information_schema.CHECK_CONSTRAINTS "
                "WHERE CONSTRAINT_SCHEMA = coalesce(:schema, DATABASE())"
            )
        else:
            query = (
                "SELECT tc.TABLE_NAME, cc.CONSTRAINT_NAME, cc.CHECK_CLAUSE, 'Table' "
                "FROM information_schema.TABLE_CONSTRAINTS tc "
                "JOIN information_schema.CHECK_CONSTRAINTS cc "
                "ON cc.CONSTRAINT_SCHEMA = tc.CONSTRAINT_SCHEMA "
                "AND cc.CONSTRAINT_NAME = tc.CONSTRAINT_NAME "
                "WHERE tc.CONSTRAINT_TYPE = 'CHECK' "
                "AND tc.TABLE_SCHEMA = coalesce(:schema, DATABASE())"
            )
        found: dict[str, list[DbCheck]] = defaultdict(list)
        for table, name, clause, level in self.connection.execute(text(query), {"schema": schema}):
            found[table].append(
                DbCheck(
                    name=name,
                    sqltext=clause,
                    column=name if str(level).lower() == "column" else None,
                )
            )
        return dict(found)


class MariadbCatalog(MysqlCatalog):
    dialect_name = "mariadb"


def strip_database(definition: str, database: str) -> str:
    """MySQL writes every name qualified with its database; ``database`` (the session's)
    is left out, so a definition restored elsewhere reads that database's tables."""
    return re.sub(rf"`{re.escape(database.replace('`', '``'))}`\.(?=`)", "", definition)


class _TableSql:
    """Stands in for the SQLite dialect in its CHECK parser, with every table's SQL known."""

    def __init__(self, sql: dict[str, str]) -> None:
        self.sql = sql

    def _get_table_sql(self, connection: Connection, table_name: str, **_: object) -> str | None:
        return self.sql.get(table_name)


def _sqlite_master(connection: Connection, schema: str | None) -> str:
    """The catalog table of an attached database; its name can only be quoted, not bound."""
    if not schema:
        return "sqlite_master"
    return f"{connection.dialect.identifier_preparer.quote_schema(schema)}.sqlite_master"


def _sqlite_name(name: str | None) -> str | None:
    """SQLAlchemy's SQLite CHECK parser strips a name's outer double quotes but keeps
    the doubled ones inside (``say ""hi""``), as SQLAlchemy's own DDL writes them."""
    return name.replace('""', '"') if name else name


class SqliteCatalog(Catalog):
    dialect_name = "sqlite"

    def check_constraints(self, schema: str | None) -> dict[str, list[DbCheck]]:
        """One read of sqlite_master, parsed by SQLAlchemy's own SQLite CHECK parser
        (its get_multi_check_constraints reads sqlite_master once per table)."""
        master = _sqlite_master(self.connection, schema)
        rows = self.connection.exec_driver_sql(  # SQLite's drivers are qmark: % is plain
            f"SELECT name, sql FROM {master} WHERE type = 'table' AND sql LIKE '%CHECK%'"
        ).all()
        known = _TableSql({str(name): str(sql) for name, sql in rows})
        parse = type(self.connection.dialect).get_check_constraints
        found: dict[str, list[DbCheck]] = {}
        for name, _ in rows:
            checks = parse(known, self.connection, name, schema=schema)  # type: ignore[arg-type]
            if checks:
                found[str(name)] = [
                    DbCheck(name=_sqlite_name(check.get("name")), sqltext=check["sqltext"])
                    for check in checks
                ]
        return found

    def views(self, schemas: Iterable[str | None]) -> list[DbView]:
        found = []
        for schema in schemas:
            master = _sqlite_master(self.connection, schema)
            rows = self.connection.exec_driver_sql(
                f"SELECT name, sql FROM {master} WHERE type = 'view' ORDER BY name"
            )
            for name, sql in rows:
                found.append(self._parsed(schema, name, sqlite_view_body(sql)))
        return found


_SQLITE_CREATE_VIEW = re.compile(
    r"""^\s*CREATE\s+(?:TEMP(?:ORARY)?\s+)?VIEW\s+(?:IF\s+NOT\s+EXISTS\s+)?
    (?:(?:"(?:[^"]|"")*"|`(?:[^`]|``)*`|\[[^\]]*\]|[^\s.("`\[]+)\s*\.\s*)?
    (?:"(?:[^"]|"")*"|`(?:[^`]|``)*`|\[[^\]]*\]|[^\s("`\[]+)
    \s*(?:\([^)]*\)\s*)?AS\s+""",
    re.IGNORECASE | re.VERBOSE | re.DOTALL,
)


def sqlite_view_body(sql: str) -> str:
    """SQLite keeps the CREATE VIEW statement as written; the SELECT after ``AS``."""
    match = _SQLITE_CREATE_VIEW.match(sql)
    body = sql[match.end() :] if match else sql
    return body.strip().rstrip(";").strip()
