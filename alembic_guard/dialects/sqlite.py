"""SQLite: catalog reads (sqlite_master, of the main and each attached database), and a
verifier for view SQL (SQLite keeps CHECK and view text as written)."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from alembic.operations import ops
from sqlalchemy.engine import Connection

from .base import (
    Canonicalizer,
    CanonicalView,
    Catalog,
    Database,
    DbCheck,
    DbView,
    Disturbance,
    KeyOf,
    ViewDDL,
    ViewPolicy,
    ViewRequest,
    raise_if_lost,
)


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


class SqliteCanonicalizer(Canonicalizer):
    """SQLite keeps a view's text as written; it checks the names a view reads only when
    the view is used, so each definition is prepared as a query that reads no row."""

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


class SqliteViewDDL(ViewDDL):
    has_or_replace = False


class SqliteViewPolicy(ViewPolicy):
    rebuild_readers = True
    expands_star = False  # SQLite keeps the text as written and expands * on every read

    def column_change(
        self, container: ops.ModifyTableOps, op: ops.MigrateOperation, key: KeyOf
    ) -> Iterable[Disturbance]:
        # batch mode rebuilds the table; renaming the copy back fails while a view reads it
        yield (
            key(container.schema, container.table_name),
            None,
            f"SQLite rebuilds table {container.table_name} (batch mode)",
            False,
        )


class SqliteDatabase(Database):
    names = ("sqlite",)
    rule_name = "sqlite"
    catalog = SqliteCatalog
    canonicalizer = SqliteCanonicalizer
    view_ddl = SqliteViewDDL
    view_policy = SqliteViewPolicy
    alters_in_place = False
    names_unnamed_checks = False
    renders_as_batch = True  # SQLite cannot ALTER constraints or most of a column
    string_length_function = "length"
    enforces_string_length = False

    def column_query(
        self, relation: str, schema: str | None, table: str, column: str
    ) -> tuple[str, dict[str, Any]] | None:
        source = "pragma_table_info(:table, :schema)" if schema else "pragma_table_info(:table)"
        return (
            f'SELECT type, "notnull" = 0 FROM {source} WHERE name = :column',
            {"table": table, "schema": schema, "column": column},
        )

    @contextmanager
    def bounded_reads(self, connection: Connection, timeout_ms: int) -> Iterator[None]:
        # a connection setting, not transactional: given back after
        query_only = not connection.exec_driver_sql("PRAGMA query_only").scalar()
        if query_only:
            connection.exec_driver_sql("PRAGMA query_only = 1")
        try:
            yield
        finally:
            if query_only and not connection.invalidated and not connection.closed:
                connection.exec_driver_sql("PRAGMA query_only = 0")
