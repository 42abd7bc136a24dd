"""The test rig: a ``dialect`` fixture over real PostgreSQL, MariaDB and SQLite.

Each test gets a database of its own: PostgreSQL through pytest-postgresql
(a throwaway server it starts, or the one named by ALEMBIC_GUARD_PG), a fresh
MariaDB database dropped afterwards, and a SQLite file in the test's tmp dir.
Restrict a test with ``@pytest.mark.dialects("postgresql", ...)``.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import sqlalchemy as sa
from pytest_postgresql import factories
from sqlalchemy.engine import Engine

from alembic_guard.pytest_plugin import psycopg_url
from tests.helpers.databases import DIALECTS, in_ci, mysql_server_url, unavailable
from tests.helpers.project import AlembicProject

_SESSION = uuid.uuid4().hex[:8]

_pg_address = os.environ.get("ALEMBIC_GUARD_PG")
if _pg_address:
    _host, _, _port = _pg_address.partition(":")
    # a database name of the session's own: two pytest runs on one server do not share a template
    pg_server = factories.postgresql_noproc(
        host=_host, port=int(_port or 5432), user="postgres", dbname=f"tests_{_SESSION}"
    )
else:
    pg_server = factories.postgresql_proc(port=None)
pg_database = factories.postgresql("pg_server")


@dataclass
class Database:
    """One empty database of one dialect, for one test."""

    name: str
    url: str
    engine: Engine

    def project(self, root: Path, **kw: object) -> AlembicProject:
        return AlembicProject(root, self.url, **kw)  # type: ignore[arg-type]


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    own = {
        name.strip()
        for mark in metafunc.definition.iter_markers("parametrize")
        for name in (mark.args[0].split(",") if isinstance(mark.args[0], str) else mark.args[0])
    }
    if "dialect" in metafunc.fixturenames and "dialect" not in own:
        marker = metafunc.definition.get_closest_marker("dialects")
        names = list(marker.args) if marker else list(DIALECTS)
        metafunc.parametrize("dialect", names, indirect=True)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    outcome = yield
    report = outcome.get_result()  # type: ignore[attr-defined]
    # in CI nothing may be skipped: a skip hides a missing database
    if in_ci() and report.skipped and not hasattr(report, "wasxfail"):
        report.outcome = "failed"
        report.longrepr = f"skipped in CI, which counts as a failure: {report.longrepr}"


def _postgresql(request: pytest.FixtureRequest) -> Iterator[Database]:
    try:
        connection = request.getfixturevalue("pg_database")
    except Exception as error:  # server missing or refusing
        unavailable("PostgreSQL", error)
        raise
    url = psycopg_url(connection)
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    yield Database("postgresql", url, engine)
    engine.dispose()


def _mariadb(request: pytest.FixtureRequest) -> Iterator[Database]:
    server = mysql_server_url()
    name = f"ag_{_SESSION}_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(server, poolclass=sa.pool.NullPool)
    try:
        with admin.connect() as connection:
            connection.exec_driver_sql(f"CREATE DATABASE `{name}`")
    except Exception as error:
        unavailable(f"MariaDB/MySQL at {server}", error)
        raise
    url = f"{server.rstrip('/')}/{name}"
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    try:
        yield Database("mariadb", url, engine)
    finally:
        engine.dispose()
        with admin.connect() as connection:
            connection.exec_driver_sql(f"DROP DATABASE IF EXISTS `{name}`")
        admin.dispose()


def _sqlite(tmp_path: Path) -> Iterator[Database]:
    url = f"sqlite:///{tmp_path / 'test.db'}"
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    yield Database("sqlite", url, engine)
    engine.dispose()


@pytest.fixture
def dialect(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    name = request.param
    if name == "postgresql":
        yield from _postgresql(request)
    elif name == "mariadb":
        yield from _mariadb(request)
    elif name == "sqlite":
        yield from _sqlite(tmp_path)
    else:  # pragma: no cover - a typo in a dialects marker
        raise ValueError(f"unknown dialect {name!r}; known: {', '.join(DIALECTS)}")


@pytest.fixture
def project(dialect: Database, tmp_path: Path) -> AlembicProject:
    """A wired Alembic project on the test's database, for detection tests: the upgrade
    pre-flight runs in warn mode (it reports, a rename or a CHECK change still runs)."""
    return dialect.project(tmp_path / "project", ini_settings={"mode": "warn"})


@pytest.fixture
def guarded_project(dialect: Database, tmp_path: Path) -> AlembicProject:
    """A wired Alembic project with the guard's defaults (the pre-flight blocks)."""
    return dialect.project(tmp_path / "guarded")
