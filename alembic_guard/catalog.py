"""Bulk catalog reads: one query per schema, never one per table.

Each dialect has a :class:`Catalog` subclass; names are always bound as
parameters.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import ClassVar

from sqlalchemy import inspect, text
from sqlalchemy.engine import Connection

from .canonical import parse_pg_check


@dataclass(frozen=True)
class DbCheck:
    """A CHECK constraint as the database holds it."""

    name: str | None
    sqltext: str
    #: MariaDB keeps a column-level CHECK inside the column definition
    column: str | None = None
    not_valid: bool = False
    no_inherit: bool = False


_registry: dict[str, type[Catalog]] = {}


class Catalog:
    """Reads what SQLAlchemy's reflection lacks or does one table at a time."""

    dialect_name: ClassVar[str] = "default"

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


def catalog_for(connection: Connection) -> Catalog:
    return _registry.get(connection.dialect.name, Catalog)(connection)


class PostgresqlCatalog(Catalog):
    dialect_name = "postgresql"

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


class MysqlCatalog(Catalog):
    dialect_name = "mysql"

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
