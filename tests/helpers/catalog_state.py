"""Everything a guard operation could leave behind, read with plain SQL.

:func:`take` reads, on a fresh connection, what the database holds and who is
still connected to it; :func:`connection_state` what a connection the caller
owns carries (its transaction, savepoints, temporary objects, settings).  Two
snapshots compare with ``==``; :func:`differences` names what changed.

* PostgreSQL: every ``pg_class`` relation (temporary ones too, with their
  persistence), ``pg_constraint``, ``pg_namespace``, the number of functions and
  types outside the system schemas, prepared transactions, and the other
  sessions on the database (state, open transaction, application name).
* MariaDB/MySQL: ``information_schema`` TABLES, VIEWS, CHECK_CONSTRAINTS,
  ROUTINES and TRIGGERS of the test database, and the other sessions on it.
* SQLite: ``sqlite_master``, the file's size and hash, and the ``-journal`` /
  ``-wal`` / ``-shm`` files beside it.
"""

from __future__ import annotations

import hashlib
import re
import sys
import time
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

State = dict[str, Any]

_PG_SYSTEM = "('pg_catalog', 'information_schema', 'pg_toast')"


def take(url: str) -> State:
    """The database behind ``url`` as it stands, read on a connection of its own."""
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    try:
        with engine.connect() as connection:
            name = connection.dialect.name
            if name == "postgresql":
                state = _postgresql(connection)
            elif name in ("mysql", "mariadb"):
                state = _mysql(connection)
            else:
                state = {}
            connection.rollback()
    finally:
        engine.dispose()
    if engine.dialect.name == "sqlite":
        state = _sqlite(url)
    return state


def _rows(connection: Connection, sql: str) -> list[tuple[Any, ...]]:
    return sorted((tuple(row) for row in connection.exec_driver_sql(sql)), key=repr)


def _postgresql(connection: Connection) -> State:
    return {
        # temporary relations of every session: pg_temp_N.relname, relpersistence 't'
        "relations": _rows(
            connection,
            "SELECT n.nspname, c.relname, c.relkind, c.relpersistence "
            "FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            f"WHERE n.nspname NOT IN {_PG_SYSTEM}",
        ),
        "constraints": _rows(
            connection,
            "SELECT n.nspname, coalesce(c.relname, ''), con.conname, con.contype, "
            "pg_get_constraintdef(con.oid) FROM pg_constraint con "
            "JOIN pg_namespace n ON n.oid = con.connamespace "
            "LEFT JOIN pg_class c ON c.oid = con.conrelid "
            f"WHERE n.nspname NOT IN {_PG_SYSTEM}",
        ),
        "namespaces": _rows(connection, "SELECT nspname FROM pg_namespace"),
        "functions": _rows(
            connection,
            "SELECT count(*) FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace "
            f"WHERE n.nspname NOT IN {_PG_SYSTEM}",
        ),
        "types": _rows(
            connection,
            "SELECT count(*) FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace "
            f"WHERE n.nspname NOT IN {_PG_SYSTEM}",
        ),
        "rewrite rules": _rows(connection, "SELECT count(*) FROM pg_rewrite"),
        "prepared transactions": _rows(connection, "SELECT gid, database FROM pg_prepared_xacts"),
        # a session left open by the guard, idle in a transaction, or holding locks
        "other sessions": _rows(
            connection,
            "SELECT usename, application_name, state, backend_xid IS NOT NULL, "
            "(SELECT count(*) FROM pg_locks l WHERE l.pid = a.pid "
            " AND l.locktype NOT IN ('virtualxid', 'transactionid')) "
            "FROM pg_stat_activity a WHERE datname = current_database() "
            "AND pid <> pg_backend_pid() AND backend_type = 'client backend'",
        ),
    }


def _mysql(connection: Connection) -> State:
    def schema_rows(sql: str) -> list[tuple[Any, ...]]:
        return _rows(connection, sql.replace("{db}", "DATABASE()"))

    return {
        "tables": schema_rows(
            "SELECT TABLE_NAME, TABLE_TYPE, ENGINE FROM information_schema.TABLES "
            "WHERE TABLE_SCHEMA = {db}"
        ),
        "views": schema_rows(
            "SELECT TABLE_NAME, VIEW_DEFINITION FROM information_schema.VIEWS "
            "WHERE TABLE_SCHEMA = {db}"
        ),
        "checks": schema_rows(
            "SELECT TABLE_NAME, CONSTRAINT_NAME, CHECK_CLAUSE "
            "FROM information_schema.CHECK_CONSTRAINTS WHERE CONSTRAINT_SCHEMA = {db}"
        ),
        "routines": schema_rows(
            "SELECT ROUTINE_NAME, ROUTINE_TYPE FROM information_schema.ROUTINES "
            "WHERE ROUTINE_SCHEMA = {db}"
        ),
        "triggers": schema_rows(
            "SELECT TRIGGER_NAME, EVENT_OBJECT_TABLE FROM information_schema.TRIGGERS "
            "WHERE TRIGGER_SCHEMA = {db}"
        ),
        # other sessions on the test database; none should outlive a guard operation
        "other sessions": schema_rows(
            "SELECT USER, COMMAND, coalesce(STATE, '') FROM information_schema.PROCESSLIST "
            "WHERE DB = {db} AND ID <> CONNECTION_ID()"
        ),
        "open transactions": schema_rows(
            "SELECT count(*) FROM information_schema.INNODB_TRX t "
            "JOIN information_schema.PROCESSLIST p ON p.ID = t.trx_mysql_thread_id "
            "WHERE p.DB = {db} AND p.ID <> CONNECTION_ID()"
        ),
    }


def sqlite_path(url: str) -> Path:
    database = sa.make_url(url).database or ""
    return Path(database.removeprefix("file:").split("?")[0])


def _sqlite(url: str) -> State:
    path = sqlite_path(url)
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    try:
        with engine.connect() as connection:
            master = _rows(connection, "SELECT type, name, tbl_name, sql FROM sqlite_master")
    finally:
        engine.dispose()
    data = path.read_bytes()
    return {
        "sqlite_master": master,
        "file": (len(data), hashlib.sha256(data).hexdigest()),
        "side files": sorted(p.name for p in path.parent.glob(path.name + "-*")),
    }


def connection_state(connection: Connection) -> State:
    """What a connection the caller owns carries: its transaction and savepoints as
    SQLAlchemy sees them, and as the database sees them (temporary objects, settings)."""
    state: State = {
        "in transaction": connection.in_transaction(),
        "in nested transaction": connection.in_nested_transaction(),
        "invalidated": connection.invalidated,
    }
    name = connection.dialect.name
    if name == "postgresql":
        state["temporary relations"] = _rows(
            connection,
            "SELECT relname, relkind FROM pg_class WHERE relnamespace = pg_my_temp_schema()",
        )
        state["settings"] = _rows(
            connection,
            "SELECT name, setting FROM pg_settings WHERE name IN ('search_path', "
            "'lock_timeout', 'statement_timeout', 'transaction_read_only', "
            "'default_transaction_read_only')",
        )
        # still usable: an aborted transaction would refuse this
        state["usable"] = connection.exec_driver_sql("SELECT 1").scalar() == 1
    elif name in ("mysql", "mariadb"):
        state["settings"] = _rows(
            connection,
            "SELECT @@session.sql_mode, @@session.autocommit, @@session.tx_read_only, "
            "@@session.foreign_key_checks",
        )
        state["usable"] = connection.exec_driver_sql("SELECT 1").scalar() == 1
    else:
        state["temporary objects"] = _rows(
            connection, "SELECT type, name, sql FROM sqlite_temp_master"
        )
        state["settings"] = _rows(connection, "PRAGMA foreign_keys")
    return state


def differences(before: State, after: State) -> list[str]:
    """One line per section that changed, with what appeared and what went away."""
    lines = []
    for key in sorted(before.keys() | after.keys()):
        old, new = before.get(key), after.get(key)
        if old == new:
            continue
        if isinstance(old, list) and isinstance(new, list):
            gone = [row for row in old if row not in new]
            added = [row for row in new if row not in old]
            lines.append(f"{key}: added {added}, gone {gone}")
        else:
            lines.append(f"{key}: {old!r} -> {new!r}")
    return lines


def kill_when(pattern: str, admin_url: str) -> None:
    """Kill, from a second connection, the connection about to send the first statement
    matching ``pattern`` (a regular expression), so the statement meets a dead session.
    Installed for every engine of the process (env.py's included)."""
    fired: list[str] = []

    def kill(conn: Connection, cursor: Any, statement: str, parameters: Any, *rest: Any) -> None:
        if fired or not re.search(pattern, statement):
            return
        fired.append(statement)
        print(f"killed at: {statement.splitlines()[0][:100]}", file=sys.stderr)
        dbapi = conn.connection.dbapi_connection
        admin = sa.create_engine(admin_url, poolclass=sa.pool.NullPool)
        with admin.connect() as other:
            if conn.dialect.name == "postgresql":
                # waits (up to 10 s) until the session is gone
                other.exec_driver_sql(
                    "SELECT pg_terminate_backend(%(pid)s, 10000)",
                    {"pid": dbapi.info.backend_pid},  # type: ignore[union-attr]
                )
            else:
                own = int(dbapi.thread_id())  # type: ignore[union-attr]
                other.exec_driver_sql(f"KILL CONNECTION {own}")
                # KILL returns at once: wait until the server has let the connection go,
                # so the statement about to run is the one that fails
                gone = f"SELECT count(*) FROM information_schema.PROCESSLIST WHERE ID = {own}"
                for _ in range(1000):
                    if not other.exec_driver_sql(gone).scalar():
                        break
                    time.sleep(0.01)
        admin.dispose()

    sa.event.listen(sa.engine.Engine, "before_cursor_execute", kill)
