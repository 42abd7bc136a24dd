"""Where the test databases are.  Environment variables (all optional):

ALEMBIC_GUARD_PG          host:port of a running PostgreSQL whose user ``postgres``
                          may create databases; unset: pytest-postgresql starts one
ALEMBIC_GUARD_MYSQL_URL   server URL of MariaDB/MySQL, default mysql+pymysql://root@127.0.0.1:3306
CI                        "true": an unreachable database fails the test instead of skipping it
"""

from __future__ import annotations

import os

import pytest

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
