"""Seams the schema-evolution property test found (tests/evolution), each as a round
trip on the databases where it applies."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from tests.helpers.roundtrip import round_trip


def _shop(*, vendors: bool = True, fk: bool = True, index: str | None = None) -> sa.MetaData:
    md = sa.MetaData()
    if vendors:
        sa.Table(
            "vendors",
            md,
            sa.Column("id", sa.Integer, primary_key=True),
            sa.Column("name", sa.String(40)),
        )
    args: list = [
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column(
            "vendor_id",
            sa.Integer,
            *([sa.ForeignKey("vendors.id", name="fk_orders_vendor")] if fk else []),
        ),
    ]
    if index == "index":
        args.append(sa.Index("ix_orders_vendor_id", "vendor_id"))
    elif index == "unique":
        args.append(sa.UniqueConstraint("vendor_id", name="uq_orders_vendor_id"))
    sa.Table("orders", md, *args)
    return md


def _seed(connection: sa.Connection) -> None:
    connection.exec_driver_sql("INSERT INTO vendors (id, name) VALUES (1, 'a')")
    connection.exec_driver_sql("INSERT INTO orders (id, vendor_id) VALUES (1, 1)")


def test_a_table_dropped_with_the_foreign_keys_into_it(dialect, project):
    """Alembic drops the table before the other table's foreign key into it: PostgreSQL
    and MariaDB refuse, SQLite's batch block reflects a key to a table that is gone.
    (The orders reference no vendor: the downgrade brings the table back empty.)"""

    def seed(connection: sa.Connection) -> None:
        connection.exec_driver_sql("INSERT INTO vendors (id, name) VALUES (1, 'a')")
        connection.exec_driver_sql("INSERT INTO orders (id, vendor_id) VALUES (1, NULL)")

    script = round_trip(
        dialect, project, _shop(), _shop(vendors=False, fk=False), seed, keeps_rows=False
    )
    upgrade = script.split("def downgrade")[0]
    assert upgrade.index("fk_orders_vendor") < upgrade.index("drop_table('vendors')"), upgrade


@pytest.mark.parametrize("index", ["index", "unique"])
def test_an_index_that_takes_over_a_foreign_keys_index(dialect, project, index):
    """MariaDB drops the index it made for a foreign key once another index covers it;
    the downgrade must create it again before it drops the new one (1553)."""
    round_trip(dialect, project, _shop(), _shop(index=index), _seed)


@pytest.mark.parametrize("index", [None, "index"], ids=["its own index", "a declared index"])
def test_a_foreign_key_dropped_with_the_index_it_needs(dialect, project, index):
    """The FK goes before the index (Alembic drops indexes first: 1553 on MariaDB), and
    MariaDB's own index for it goes with it, so the next check is clean."""
    round_trip(dialect, project, _shop(index=index), _shop(fk=False), _seed)


CONVENTION = {"ix": "ix_%(column_0_label)s"}


def test_a_unique_index_renamed_by_the_convention_comes_back_unique(dialect, project):
    def models(table: str, hint: bool) -> sa.MetaData:
        md = sa.MetaData(naming_convention=CONVENTION)
        sa.Table(
            table,
            md,
            sa.Column("id", sa.Integer, primary_key=True),
            sa.Column("name", sa.String(40), unique=True, index=True),
            info={"renamed_from": "vendors"} if hint else {},
        )
        return md

    round_trip(dialect, project, models("vendors", False), models("suppliers", True))


@pytest.mark.dialects("sqlite")
def test_sqlite_a_column_renamed_under_an_unnamed_check(dialect, project):
    def models(column: str, hint: bool) -> sa.MetaData:
        md = sa.MetaData()
        sa.Table(
            "orders",
            md,
            sa.Column("id", sa.Integer, primary_key=True),
            sa.Column(column, sa.Integer, info={"renamed_from": "amount"} if hint else {}),
            sa.CheckConstraint(f"{column} >= 0"),
        )
        return md

    round_trip(dialect, project, models("amount", False), models("total", True))
