"""``alembic-guard diff``: two live databases, or one database and the project's models."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
import sqlalchemy as sa

CLI = str(Path(sys.executable).with_name("alembic-guard"))
ROOT = Path(__file__).resolve().parents[2]

SCHEMA = [
    "CREATE TABLE items (id serial PRIMARY KEY, name varchar(40), price integer, "
    "CONSTRAINT ck_items_price CHECK (price > 0))",
    "CREATE INDEX ix_items_name ON items (name)",
    "CREATE VIEW priced AS SELECT id, price FROM items WHERE price > 10",
]


@pytest.fixture
def second_database(dialect):
    """A second empty PostgreSQL database on the same server."""
    url = sa.make_url(dialect.url)
    name = f"ag_diff_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(url, isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool)
    with admin.connect() as connection:
        connection.exec_driver_sql(f"CREATE DATABASE {name}")
    other = url.set(database=name).render_as_string(hide_password=False)
    yield other
    with admin.connect() as connection:
        connection.exec_driver_sql(f"DROP DATABASE {name} WITH (FORCE)")
    admin.dispose()


def build(url: str, statements: list[str]) -> None:
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    with engine.begin() as connection:
        for sql in statements:
            connection.exec_driver_sql(sql)
    engine.dispose()


def run(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([CLI, "diff", *args], capture_output=True, text=True, cwd=cwd)


@pytest.mark.dialects("postgresql")
def test_identical_databases_report_nothing(dialect, second_database):
    build(dialect.url, SCHEMA)
    build(second_database, SCHEMA)
    result = run(dialect.url, second_database)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.strip() == "No differences."


@pytest.mark.dialects("postgresql")
def test_dropped_check_changed_view_and_extra_index_are_found(dialect, second_database):
    build(dialect.url, SCHEMA)
    build(
        second_database,
        [
            SCHEMA[0].replace(", CONSTRAINT ck_items_price CHECK (price > 0)", ""),
            SCHEMA[1],
            "CREATE INDEX ix_items_price ON items (price)",
            SCHEMA[2].replace("price > 10", "price > 20"),
        ],
    )
    statements: list[str] = []
    result = run(dialect.url, second_database)
    assert result.returncode == 1
    lines = result.stdout.splitlines()
    assert "- table items: check ck_items_price only in A" in result.stdout, result.stdout
    assert "+ table items: index ix_items_price only in B" in result.stdout
    assert any(line.startswith("  ~ view priced: definition is") for line in lines)
    assert "3 difference(s):" in result.stdout
    as_json = json.loads(run("--format", "json", dialect.url, second_database).stdout)
    assert as_json["drift"] is True and len(as_json["differences"]) == 3
    assert "***" in as_json["A"] or sa.make_url(dialect.url).password is None
    assert not statements


@pytest.mark.dialects("postgresql")
def test_diff_reads_only(dialect, second_database):
    build(dialect.url, SCHEMA)
    reader = f"ag_reader_{uuid.uuid4().hex[:8]}"
    build(
        dialect.url,
        [
            f"CREATE ROLE {reader} LOGIN",
            f"GRANT SELECT ON ALL TABLES IN SCHEMA public TO {reader}",
            f"ALTER ROLE {reader} SET default_transaction_read_only = on",
        ],
    )
    try:
        url = sa.make_url(dialect.url).set(username=reader).render_as_string(hide_password=False)
        result = run(url, dialect.url)
        assert result.returncode == 0, result.stdout + result.stderr
    finally:
        build(dialect.url, [f"DROP OWNED BY {reader}", f"DROP ROLE {reader}"])


@pytest.mark.dialects("postgresql")
def test_schema_selection(dialect, second_database):
    build(dialect.url, ["CREATE SCHEMA reporting", "CREATE TABLE reporting.t (id int)"])
    build(second_database, ["CREATE SCHEMA reporting"])
    assert run(dialect.url, second_database).returncode == 0
    result = run("--schema", "reporting", dialect.url, second_database)
    assert result.returncode == 1 and "- table reporting.t: only in A" in result.stdout


def test_an_unreachable_database_is_exit_2():
    result = run("postgresql+psycopg://nobody@127.0.0.1:1/none", "sqlite://")
    assert result.returncode == 2
    assert result.stderr.startswith("alembic-guard: error: cannot read the schema")
    assert "Traceback" not in result.stderr


@pytest.mark.dialects("postgresql")
def test_one_url_compares_with_the_project_models(dialect, tmp_path):
    shop = tmp_path / "shop"
    shutil.copytree(ROOT / "sample_project", shop, ignore=shutil.ignore_patterns("*.db"))
    environment = {"DATABASE_URL": dialect.url}
    import os

    subprocess.run(
        [str(Path(sys.executable).with_name("alembic")), "upgrade", "head"],
        cwd=shop,
        check=True,
        capture_output=True,
        env={**os.environ, **environment},
    )
    assert run(dialect.url, cwd=shop).returncode == 0
    build(dialect.url, ["ALTER TABLE customers ADD COLUMN legacy_flag boolean"])
    result = run(dialect.url, cwd=shop)
    assert result.returncode == 1
    assert "- column customers.legacy_flag (BOOLEAN): in the database, not in the models" in (
        result.stdout
    ), result.stdout
