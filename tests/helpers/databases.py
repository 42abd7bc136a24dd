"""Where the test databases are.  Environment variables (all optional):

ALEMBIC_GUARD_PG          host:port of a running PostgreSQL whose user ``postgres``
                          may create databases; unset: pytest-postgresql starts one
ALEMBIC_GUARD_MYSQL_URL   server URL of MariaDB/MySQL, default mysql+pymysql://root@127.0.0.1:3306
CI                        "true": an unreachable database fails the test instead of skipping it
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
import sqlalchemy as sa

DIALECTS = ("postgresql", "mariadb", "sqlite")


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() in ("1", "true", "yes")


def unavailable(what: str, error: BaseException) -> None:
    message = f"{what} is not reachable ({type(error).__name__}: {str(error).splitlines()[0]})"
    if in_ci():
        pytest.fail(message + "; CI requires every database", pytrace=False)
    pytest.skip(message)


def mysql_server_url() -> str:
    return os.environ.get("ALEMBIC_GUARD_MYSQL_URL", "mysql+pymysql://root@127.0.0.1:3306")


@contextmanager
def scratch_database(server_url: str, name: str) -> Iterator[str]:
    """A new empty database ``name`` on the PostgreSQL or MariaDB/MySQL server of
    ``server_url`` (the URL of any database there, or of none); yields its URL and
    drops it afterwards, whatever it then holds (PostgreSQL: its sessions too; MariaDB:
    other databases' foreign keys into it too)."""
    url = sa.make_url(server_url)
    admin = sa.create_engine(url, isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool)
    quote = admin.dialect.identifier_preparer.quote
    postgresql = admin.dialect.name == "postgresql"
    with admin.connect() as connection:
        connection.exec_driver_sql(f"CREATE DATABASE {quote(name)}")
    try:
        yield url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            if postgresql:
                connection.exec_driver_sql(f"DROP DATABASE IF EXISTS {quote(name)} WITH (FORCE)")
            else:
                connection.exec_driver_sql("SET SESSION foreign_key_checks = 0")
                connection.exec_driver_sql(f"DROP DATABASE IF EXISTS {quote(name)}")
        admin.dispose()
