"""``alembic_guard.bulk_reflection``: the SERIAL ownership probe from one query, same operations."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata, produce_migrations, render_python_code
from alembic.runtime.migration import MigrationContext

from alembic_guard.config import SETTINGS_OPTION, GuardSettings

STOCK = ["alembic.autogenerate.*"]
BULK = ["alembic.autogenerate.*", "alembic_guard.bulk_reflection"]

SCHEMA = [
    "CREATE SCHEMA other",
    "CREATE SEQUENCE shared_seq",
    'CREATE TABLE "Items" (id serial PRIMARY KEY, name text)',
    "CREATE TABLE big (id bigserial PRIMARY KEY, n integer DEFAULT nextval('shared_seq'))",
    "CREATE TABLE other.t (id serial PRIMARY KEY, v integer)",
    "CREATE TABLE ident (id integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY)",
    # a serial whose sequence is owned by another column of another table
    "CREATE TABLE borrower (id integer PRIMARY KEY DEFAULT nextval('\"Items_id_seq\"'))",
]


def models(tables: int) -> sa.MetaData:
    metadata = sa.MetaData()
    sa.Table(
        "Items", metadata, sa.Column("id", sa.Integer, primary_key=True), sa.Column("name", sa.Text)
    )
    sa.Table(
        "big",
        metadata,
        sa.Column("id", sa.BigInteger, primary_key=True),
        sa.Column("n", sa.Integer),
        sa.Column("extra", sa.Integer),  # not in the database: a real difference both keep
    )
    sa.Table("other_t_stays_unmodelled", metadata, sa.Column("id", sa.Integer, primary_key=True))
    sa.Table(
        "ident", metadata, sa.Column("id", sa.Integer, sa.Identity(always=True), primary_key=True)
    )
    sa.Table("borrower", metadata, sa.Column("id", sa.Integer, primary_key=True))
    for n in range(tables):
        sa.Table(
            f"s{n}",
            metadata,
            sa.Column("id", sa.Integer, primary_key=True),
            sa.Column("v", sa.Integer),
        )
    return metadata


def build(dialect, tables: int) -> None:
    with dialect.engine.begin() as connection:
        for sql in SCHEMA:
            connection.exec_driver_sql(sql)
        for n in range(tables):
            connection.exec_driver_sql(f"CREATE TABLE s{n} (id serial PRIMARY KEY, v integer)")


def run(dialect, metadata, plugins, settings=None) -> tuple[str, list[str], int]:
    statements: list[str] = []

    def record(conn, cursor, statement, *rest):
        statements.append(statement)

    sa.event.listen(dialect.engine, "before_cursor_execute", record)
    try:
        with dialect.engine.connect() as connection:
            opts = {
                "autogenerate_plugins": plugins,
                "target_metadata": metadata,
                "include_schemas": True,
                SETTINGS_OPTION: settings or GuardSettings(),
            }
            context = MigrationContext.configure(connection, opts=opts)
            diffs = compare_metadata(context, metadata)
            script = render_python_code(produce_migrations(context, metadata).upgrade_ops)
    finally:
        sa.event.remove(dialect.engine, "before_cursor_execute", record)
    probes = [s for s in statements if "pg_depend" in s and "relkind" in s]
    return script, [repr(d) for d in diffs], len(statements) - 0 * len(probes)


@pytest.mark.dialects("postgresql")
def test_same_operations_as_stock_alembic_with_fewer_queries(dialect):
    build(dialect, 20)
    metadata = models(20)
    stock_script, stock_diffs, stock_count = run(dialect, metadata, STOCK)
    bulk_script, bulk_diffs, bulk_count = run(dialect, metadata, BULK)
    assert bulk_script == stock_script
    assert bulk_diffs == stock_diffs
    assert any("add_column" in d and "'extra'" in d for d in stock_diffs)
    assert not any("modify_default" in d for d in stock_diffs)  # the serials are recognised
    # stock probes each of the 23 serial-like columns of existing tables, twice (diffs and script)
    assert stock_count - bulk_count >= 2 * 20


@pytest.mark.dialects("postgresql")
def test_probe_count_does_not_grow_with_tables(dialect):
    build(dialect, 30)

    def probes(tables: int, plugins: list[str], settings=None) -> int:
        statements: list[str] = []
        sa.event.listen(dialect.engine, "before_cursor_execute", lambda *a: statements.append(a[2]))
        with dialect.engine.connect() as connection:
            opts = {
                "autogenerate_plugins": plugins,
                SETTINGS_OPTION: settings or GuardSettings(),
            }
            compare_metadata(MigrationContext.configure(connection, opts=opts), models(tables))
        return sum("pg_depend" in s and "'S'" in s for s in statements)

    stock_30, bulk_30 = probes(30, STOCK), probes(30, BULK)
    # switched off by configuration: Alembic's own probe again
    assert probes(30, BULK, GuardSettings(bulk_reflection=False)) == stock_30
    with dialect.engine.begin() as connection:
        for n in range(5, 30):
            connection.exec_driver_sql(f"DROP TABLE s{n}")
    stock_5, bulk_5 = probes(5, STOCK), probes(5, BULK)
    assert bulk_5 == bulk_30 == 1
    assert stock_30 - stock_5 == 25  # one probe per serial table
