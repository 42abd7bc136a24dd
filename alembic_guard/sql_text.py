"""SQL text as the drivers and ``sqlalchemy.text()`` read it: ``%`` for format-style
drivers, ``:name`` binds, and a named-paramstyle twin of a dialect whose compiler
writes ``%`` once."""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any, cast

from sqlalchemy.engine import Connection, Dialect

_TEXT_BIND = re.compile(r"(?<![:\w\\]):(\w+)(?!:)")


def driver_sql(connection: Connection, statement: str) -> str:
    """``statement`` made safe for ``exec_driver_sql``: format-style drivers read ``%``."""
    if connection.dialect.paramstyle in ("format", "pyformat"):
        return statement.replace("%", "%%")
    return statement


def named_dialect(dialect: Dialect) -> Dialect:
    """A named-paramstyle twin of ``dialect``: its compiler writes ``%`` once, as the
    database reads it (format-style drivers' compilers double it).  It copies what the
    compilers read of a connected dialect: MariaDB-ness and the server version."""
    return _named_twin(
        cast(Any, type(dialect)),
        bool(getattr(dialect, "is_mariadb", False)),
        dialect.server_version_info,
    )


@lru_cache(maxsize=64)
def _named_twin(
    dialect_class: Any, is_mariadb: bool, server_version: tuple[Any, ...] | None
) -> Dialect:
    # cached: it is asked for every rendered expression and scratch statement of a run
    plain = dialect_class(paramstyle="named")
    if is_mariadb:
        plain.is_mariadb = True
    plain.server_version_info = server_version
    return cast(Dialect, plain)


def escape_text_binds(sql: str) -> str:
    """``sql`` made safe for ``sqlalchemy.text()`` (and ``op.execute``): ``:name`` is a bind there."""
    return _TEXT_BIND.sub(lambda m: "\\:" + m.group(1), sql)
