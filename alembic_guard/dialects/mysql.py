"""MariaDB and MySQL: catalog reads (information_schema), and the database's own rendering
of CHECKs (temporary tables) and views (scratch views on a connection of their own,
dropped in the same call)."""

from __future__ import annotations

import re
import uuid
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from sqlalchemy import bindparam, text
from sqlalchemy.engine import Connection, Dialect

from ..column_types import TypeSig
from ..errors import GuardError
from ..sql_text import driver_sql
from .base import (
    SCRATCH,
    SCRATCH_VIEW,
    CannotCanonicalize,
    Canonicalizer,
    CanonicalView,
    Catalog,
    Database,
    DbCheck,
    DbView,
    ScratchRequest,
    ViewRequest,
    is_privilege_error,
    log,
    own_connection,
    raise_if_lost,
)


class MysqlCatalog(Catalog):
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


def strip_database(definition: str, database: str) -> str:
    """MySQL writes every name qualified with its database; ``database`` (the session's)
    is left out, so a definition restored elsewhere reads that database's tables."""
    return re.sub(rf"`{re.escape(database.replace('`', '``'))}`\.(?=`)", "", definition)


_MYSQL_CHECK = re.compile(r"CONSTRAINT `((?:[^`]|``)+)` CHECK \((.*)\)\s*,?\s*$")


class MysqlCanonicalizer(Canonicalizer):
    def check_definitions(self, requests: Sequence[ScratchRequest]) -> list[str | None]:
        groups, tables = self.group_by_table(requests)
        results: list[str | None] = [None] * len(requests)
        quote = self.quote
        for number, (key, indexes) in enumerate(groups.items()):
            scratch = quote(SCRATCH.format(number))
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
                if is_privilege_error(exc):
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
            scratch = own_connection(self.connection)
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
        results: list[CanonicalView | None] = [None] * len(requests)
        quote = self.quote
        for index, request in enumerate(requests):
            name = SCRATCH_VIEW.format(f"{token}_{index}")
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
                if is_privilege_error(exc):
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


class MysqlDatabase(Database):
    """MySQL and MariaDB (SQLAlchemy names the latter "mariadb" for mariadb:// URLs)."""

    names = ("mysql", "mariadb")
    rule_name = "mysql"
    catalog = MysqlCatalog
    canonicalizer = MysqlCanonicalizer
    indexes_foreign_keys = True
    unique_constraints_are_indexes = True
    casts_null_to_column_types = False
    stores_boolean_as_integer = True
    row_estimates_sql = (
        "SELECT TABLE_NAME, TABLE_ROWS FROM information_schema.TABLES "
        "WHERE TABLE_SCHEMA = coalesce(:schema, DATABASE())"
    )

    limits_dml = True
    type_change_effect = ", copying the table"

    def column_query(
        self, relation: str, schema: str | None, table: str, column: str
    ) -> tuple[str, dict[str, Any]] | None:
        return (
            "SELECT COLUMN_TYPE, IS_NULLABLE = 'YES' FROM information_schema.COLUMNS "
            "WHERE TABLE_SCHEMA = coalesce(:schema, DATABASE()) "
            "AND TABLE_NAME = :table AND COLUMN_NAME = :column",
            {"schema": schema, "table": table, "column": column},
        )

    def changes_type_in_place(
        self,
        old: TypeSig,
        new: TypeSig,
        server_version: tuple[int, ...] | None,
        *,
        mariadb: bool = False,
    ) -> bool:
        if old.name == "enum" and new.name == "enum":
            return True  # AG214 judges enum changes
        # a longer varchar that needs no copy
        if old.name != "varchar" or new.name != "varchar" or old.length is None:
            return False
        if new.length is None or new.length < old.length:
            return False
        if mariadb and (server_version is None or server_version >= (10, 4)):
            return True
        # the length prefix is 1 byte below 256 bytes, 2 from there: crossing it copies
        return (old.length * 4 < 256) == (new.length * 4 < 256)

    def drops_index_if_exists(self, dialect: Dialect) -> bool:
        return bool(getattr(dialect, "is_mariadb", False))  # MySQL has none

    @contextmanager
    def bounded_reads(self, connection: Connection, timeout_ms: int) -> Iterator[None]:
        # MariaDB counts seconds in max_statement_time, MySQL milliseconds in
        # max_execution_time; a session setting, given back after
        mariadb = bool(getattr(connection.dialect, "is_mariadb", False))
        variable = "max_statement_time" if mariadb else "max_execution_time"
        limit = timeout_ms / 1000 if mariadb else timeout_ms
        previous = connection.exec_driver_sql(f"SELECT @@{variable}").scalar()
        connection.exec_driver_sql(f"SET SESSION {variable} = {limit}")
        try:
            yield
        finally:
            # a lost connection takes the session's setting with it (and must stay the error)
            if previous is not None and not connection.invalidated and not connection.closed:
                connection.exec_driver_sql(f"SET SESSION {variable} = {previous}")

    renames_indexes = True

    def rename_index_sql(
        self, preparer: Any, table: str, schema: str | None, old: str, new: str
    ) -> str:
        return f"ALTER TABLE {table} RENAME INDEX {old} TO {new}"
