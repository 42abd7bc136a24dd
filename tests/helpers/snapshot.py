"""Catalog snapshots read with plain SQL, independent of alembic_guard's own code."""

from __future__ import annotations

from sqlalchemy import inspect, text
from sqlalchemy.engine import Engine


def check_constraints(engine: Engine) -> set[tuple[str, str | None, str]]:
    """(table, name, definition) for every CHECK of the default schema."""
    with engine.connect() as connection:
        name = connection.dialect.name
        if name == "postgresql":
            rows = connection.execute(
                text(
                    "SELECT c.relname, con.conname, pg_get_constraintdef(con.oid) "
                    "FROM pg_constraint con JOIN pg_class c ON c.oid = con.conrelid "
                    "WHERE con.contype = 'c' AND c.relnamespace = current_schema()::regnamespace"
                )
            )
            return {(r[0], r[1], r[2]) for r in rows}
        if name == "mysql":
            rows = connection.execute(
                text(
                    "SELECT TABLE_NAME, CONSTRAINT_NAME, CHECK_CLAUSE "
                    "FROM information_schema.CHECK_CONSTRAINTS WHERE CONSTRAINT_SCHEMA = DATABASE()"
                )
            )
            return {(r[0], r[1], r[2]) for r in rows}
        inspector = inspect(connection)
        found = set()
        for table in inspector.get_table_names():
            for check in inspector.get_check_constraints(table):
                found.add((table, check.get("name"), " ".join(check["sqltext"].split())))
        return found


def schema_objects(engine: Engine) -> dict[str, object]:
    """Tables, columns, indexes and checks: enough to prove 'nothing changed'."""
    with engine.connect() as connection:
        inspector = inspect(connection)
        tables = sorted(inspector.get_table_names())
        return {
            "tables": tables,
            "columns": {
                t: [(c["name"], str(c["type"])) for c in inspector.get_columns(t)] for t in tables
            },
            "indexes": {
                t: sorted(i["name"] or "" for i in inspector.get_indexes(t)) for t in tables
            },
            "checks": sorted(check_constraints(engine), key=repr),
        }


def views(engine: Engine) -> dict[str, tuple[str, str]]:
    """name -> (kind, definition as the database stores it), for the default schema;
    materialized views' indexes are listed as kind "index on <view>"."""
    with engine.connect() as connection:
        name = connection.dialect.name
        if name == "postgresql":
            rows = connection.execute(
                text(
                    "SELECT c.relname, CASE c.relkind WHEN 'm' THEN 'materialized' ELSE 'view' END, "
                    "pg_get_viewdef(c.oid) FROM pg_class c "
                    "WHERE c.relkind IN ('v', 'm') AND c.relnamespace = current_schema()::regnamespace "
                    "UNION ALL SELECT i.indexname, 'index on ' || i.tablename, i.indexdef "
                    "FROM pg_indexes i JOIN pg_class t ON t.relname = i.tablename "
                    "AND t.relnamespace = current_schema()::regnamespace AND t.relkind = 'm' "
                    "WHERE i.schemaname = current_schema()"
                )
            )
        elif name == "mysql":
            rows = connection.execute(
                text(
                    "SELECT TABLE_NAME, 'view', VIEW_DEFINITION FROM information_schema.VIEWS "
                    "WHERE TABLE_SCHEMA = DATABASE()"
                )
            )
        else:
            rows = connection.execute(
                text("SELECT name, 'view', sql FROM sqlite_master WHERE type = 'view'")
            )
        return {row[0]: (row[1], " ".join(row[2].split())) for row in rows}


def catalog(engine: Engine, schema: str | None = None) -> dict[str, object]:
    """Everything a migration may change, read through SQLAlchemy's inspector and plain
    SQL: per table its columns (type, nullability, default), key, foreign keys, indexes
    and unique constraints; the CHECKs and the views.  ``alembic_version`` is left out."""
    with engine.connect() as connection:
        inspector = inspect(connection)
        tables: dict[str, object] = {}
        for table in sorted(inspector.get_table_names(schema=schema)):
            if table == "alembic_version":
                continue
            pk = inspector.get_pk_constraint(table, schema=schema)
            tables[table] = {
                # by name: a downgrade adds a dropped column back at the end, as every
                # migration tool does
                "columns": sorted(
                    (c["name"], str(c["type"]), c["nullable"], _default(c.get("default")))
                    for c in inspector.get_columns(table, schema=schema)
                ),
                "primary key": tuple(pk.get("constrained_columns") or ()),
                "foreign keys": sorted(
                    (
                        fk.get("name") or "",
                        tuple(fk["constrained_columns"]),
                        fk.get("referred_schema") or "",
                        fk["referred_table"],
                        tuple(fk["referred_columns"]),
                        (fk.get("options") or {}).get("ondelete") or "",
                    )
                    for fk in inspector.get_foreign_keys(table, schema=schema)
                ),
                "indexes": sorted(
                    (
                        i["name"] or "",
                        tuple(str(c) for c in i["column_names"]),
                        bool(i["unique"]),
                    )
                    for i in inspector.get_indexes(table, schema=schema)
                ),
                "unique constraints": sorted(
                    (u.get("name") or "", tuple(u["column_names"]))
                    for u in inspector.get_unique_constraints(table, schema=schema)
                ),
            }
    found: dict[str, object] = {"tables": tables}
    if schema is None:
        found["checks"] = sorted(check_constraints(engine), key=repr)
        found["views"] = views(engine)
    return found


def _default(value: object) -> str | None:
    # MariaDB reports a server default's text with or without quotes by version; spaces
    # differ between readers: compare the text, not its spelling
    return None if value is None else " ".join(str(value).split())
