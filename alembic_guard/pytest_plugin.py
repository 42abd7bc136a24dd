"""pytest plugin (entry point ``pytest11``): fixtures and built-in migration tests.

Opt in with ``alembic_guard_tests = true`` in the pytest configuration (or
``pytest --alembic-guard``); the built-in tests then run beside your own:

* ``test_single_head``: the history has one head;
* ``test_upgrade``: base -> head on an empty database;
* ``test_downgrade``: head -> base;
* ``test_stairway``: for each revision, upgrade, downgrade, upgrade again; the
  schema after the downgrade (tables, columns, keys, indexes, CHECKs, views,
  read from the catalog) must equal the schema before the upgrade;
* ``test_models_match_database``: after upgrading to head, ``alembic check``
  with the guard's comparators reports nothing;
* ``test_no_unsafe_operations``: the safety rules find nothing in the
  migrations newer than ``alembic_guard_unsafe_since`` (or ``start_after``).

Fixtures: ``alembic_guard_engine`` (a pytest-postgresql database by default,
or ``alembic_guard_url``) and ``alembic_guard_config`` (the project's Config
pointed at that engine).  Override either in a conftest.py to change them.
"""

from __future__ import annotations

import argparse
import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from alembic.config import Config
from sqlalchemy import URL, create_engine, inspect, pool
from sqlalchemy.engine import Engine

ENABLE_INI = "alembic_guard_tests"


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("alembic_guard")
    group.addoption(
        "--alembic-guard",
        action="store_true",
        default=False,
        help="run alembic_guard's built-in migration tests",
    )
    parser.addini(ENABLE_INI, type="bool", default=False, help="run the built-in migration tests")
    parser.addini("alembic_guard_config", default="alembic.ini", help="the project's alembic.ini")
    parser.addini(
        "alembic_guard_url",
        default="",
        help="database for the migration tests; it must be empty (default: pytest-postgresql)",
    )
    parser.addini(
        "alembic_guard_exclude_tables",
        type="args",
        default=[],
        help="tables (glob patterns) the models do not own: left out of the comparisons",
    )
    parser.addini(
        "alembic_guard_unsafe_since",
        default="",
        help="test_no_unsafe_operations checks only revisions after this one",
    )


def enabled(config: pytest.Config) -> bool:
    return bool(config.getoption("alembic_guard") or config.getini(ENABLE_INI))


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(
    session: pytest.Session, config: pytest.Config, items: list[pytest.Item]
) -> None:
    if not enabled(config):
        return
    from . import pytest_tests

    module = pytest.Module.from_parent(session, path=Path(pytest_tests.__file__))
    items[:0] = [item for item in module.collect() if isinstance(item, pytest.Item)]


def psycopg_url(connection: Any) -> str:
    """The SQLAlchemy URL of a psycopg connection (what pytest-postgresql's fixtures give)."""
    info = connection.info
    return URL.create(
        "postgresql+psycopg",
        username=info.user,
        password=info.password or None,
        host=info.host,
        port=info.port,
        database=info.dbname,
    ).render_as_string(hide_password=False)


def _drop_everything(engine: Engine, exclude: list[str]) -> None:
    from sqlalchemy import MetaData

    from .dialects import database_for

    with engine.begin() as connection:
        inspector = inspect(connection)
        preparer = connection.dialect.identifier_preparer
        for view in inspector.get_view_names():
            connection.exec_driver_sql(f"DROP VIEW {preparer.quote(view)}")
        if database_for(connection.dialect).materialized_views:
            for view in inspector.get_materialized_view_names():
                connection.exec_driver_sql(f"DROP MATERIALIZED VIEW {preparer.quote(view)}")
        metadata = MetaData()
        metadata.reflect(connection)
        metadata.drop_all(connection)


@pytest.fixture
def alembic_guard_engine(request: pytest.FixtureRequest) -> Iterator[Engine]:
    """The database the migration tests run against: empty at the start of each test."""
    url = request.config.getini("alembic_guard_url")
    exclude = list(request.config.getini("alembic_guard_exclude_tables"))
    if not url:
        url = psycopg_url(request.getfixturevalue("postgresql"))
        engine = create_engine(url, poolclass=pool.NullPool)
        yield engine
        engine.dispose()
        return
    engine = create_engine(url, poolclass=pool.NullPool)
    with engine.connect() as connection:
        tables = [t for t in inspect(connection).get_table_names() if t not in exclude]
    if tables:
        engine.dispose()
        pytest.fail(
            f"alembic_guard_url must name an empty scratch database; it holds "
            f"{', '.join(sorted(tables)[:5])}{'...' if len(tables) > 5 else ''}",
            pytrace=False,
        )
    try:
        yield engine
    finally:
        _drop_everything(engine, exclude)
        engine.dispose()


@pytest.fixture
def alembic_guard_config(request: pytest.FixtureRequest, alembic_guard_engine: Engine) -> Config:
    """The project's alembic.ini, pointed at ``alembic_guard_engine``; the upgrade guard is
    off here (``test_no_unsafe_operations`` judges the migrations)."""
    ini = Path(request.config.rootpath) / request.config.getini("alembic_guard_config")
    if not ini.is_file():
        pytest.fail(f"alembic_guard: no Alembic configuration at {ini}", pytrace=False)
    config = Config(str(ini), stdout=io.StringIO())
    config.cmd_opts = argparse.Namespace(x=[])
    url = alembic_guard_engine.url.render_as_string(hide_password=False)
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    # for an env.py that takes its URL from elsewhere (an environment variable, say)
    config.attributes["sqlalchemy.url"] = url
    config.attributes["alembic_guard"] = {"mode": "off"}
    from .pytest_tests import OPTIONS

    config.attributes[OPTIONS] = {
        "exclude_tables": list(request.config.getini("alembic_guard_exclude_tables")),
        "unsafe_since": request.config.getini("alembic_guard_unsafe_since"),
    }
    return config
