"""Table and column renames x foreign keys, indexes and CHECKs (issue 15, items 2, 9, 11)."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from tests.helpers.roundtrip import round_trip

#: SQLite reports a foreign key's name only where the DDL gave one, and Alembic cannot drop
#: an unnamed constraint: a naming convention, as Alembic's batch docs advise
FK_CONVENTION = {"ix": "ix_%(column_0_label)s", "fk": "fk_%(table_name)s_%(column_0_name)s"}


def _shop(
    vendors: str = "vendors",
    *,
    hint: bool = False,
    index: bool = True,
    convention: dict[str, str] | None = None,
) -> sa.MetaData:
    md = sa.MetaData(naming_convention=convention or sa.sql.schema.DEFAULT_NAMING_CONVENTION)
    sa.Table(
        vendors,
        md,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("name", sa.String(40)),
        info={"renamed_from": "vendors"} if hint else {},
    )
    sa.Table(
        "products",
        md,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("vendor_id", sa.Integer, sa.ForeignKey(f"{vendors}.id"), index=index),
    )
    return md


def _seed_shop(connection: sa.Connection) -> None:
    connection.exec_driver_sql("INSERT INTO vendors (id, name) VALUES (1, 'a'), (2, 'b')")
    connection.exec_driver_sql("INSERT INTO products (id, vendor_id) VALUES (1, 1), (2, 2)")


@pytest.mark.parametrize("hint", [False, True], ids=["scored", "hinted"])
def test_an_incoming_foreign_key_follows_a_table_rename(dialect, project, hint):
    """Item 2: every database carries products' FK across the rename; the revision leaves
    it alone (re-adding it would validate every row under lock) and runs both ways."""
    script = round_trip(dialect, project, _shop(), _shop("suppliers", hint=hint), _seed_shop)
    assert "rename_table('vendors', 'suppliers')" in script
    assert "create_foreign_key" not in script and "drop_constraint" not in script, script


def _suppliers_with_products() -> sa.MetaData:
    """The renamed table's FK is also re-pointed by hand: the FK op must run after the
    rename on upgrade and before the rename back on downgrade."""
    md = _shop("suppliers", hint=True)
    products = md.tables["products"]
    products.append_column(sa.Column("backup_vendor_id", sa.Integer))
    products.append_constraint(
        sa.ForeignKeyConstraint(["backup_vendor_id"], ["suppliers.id"], name="fk_backup_vendor")
    )
    return md


def test_a_new_foreign_key_to_a_renamed_table_is_ordered_both_ways(dialect, project):
    script = round_trip(dialect, project, _shop(), _suppliers_with_products(), _seed_shop)
    upgrade, downgrade = script.split("def downgrade")
    assert upgrade.index("rename_table") < upgrade.index("create_foreign_key"), upgrade
    assert downgrade.index("drop_constraint") < downgrade.index("rename_table"), downgrade


@pytest.mark.parametrize("index", [True, False], ids=["declared index", "no index"])
def test_a_renamed_table_with_an_outgoing_foreign_key_keeps_its_index(dialect, project, index):
    """Item 11: MariaDB creates an index for an FK that has none; renaming the table must
    not drop it (1553, "needed in a foreign key constraint")."""

    def shop(products: str, hint: bool) -> sa.MetaData:
        md = sa.MetaData()
        sa.Table("vendors", md, sa.Column("id", sa.Integer, primary_key=True))
        sa.Table(
            products,
            md,
            sa.Column("id", sa.Integer, primary_key=True),
            sa.Column("vendor_id", sa.Integer, sa.ForeignKey("vendors.id"), index=index),
            info={"renamed_from": "products"} if hint else {},
        )
        return md

    def seed(connection: sa.Connection) -> None:
        connection.exec_driver_sql("INSERT INTO vendors (id) VALUES (1)")
        connection.exec_driver_sql("INSERT INTO products (id, vendor_id) VALUES (1, 1)")

    script = round_trip(dialect, project, shop("products", False), shop("items", True), seed)
    assert "rename_table('products', 'items')" in script


def _fees(column: str, hint: bool = False) -> sa.MetaData:
    md = sa.MetaData()
    sa.Table(
        "charges",
        md,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column(column, sa.Integer, info={"renamed_from": "fee"} if hint else {}),
        sa.Column("note", sa.String(20)),
        sa.CheckConstraint(f"{column} >= 0", name="ck_charges_fee"),
    )
    return md


def test_a_column_renamed_under_a_named_check(dialect, project):
    """Item 9: on SQLite the rebuild copied the reflected CHECK with its old text
    (``fee >= 0``) and failed "no such column: fee"."""

    def seed(connection: sa.Connection) -> None:
        connection.exec_driver_sql("INSERT INTO charges (id, fee, note) VALUES (1, 3, 'x')")

    script = round_trip(dialect, project, _fees("fee"), _fees("cost", hint=True), seed)
    assert "new_column_name='cost'" in script


def test_a_foreign_key_dropped_beside_the_rename_of_its_table(dialect, project):
    """The downgrade restores the FK while the table still has its new name."""
    after = _shop("suppliers", hint=True, convention=FK_CONVENTION)
    products = after.tables["products"]
    after.remove(products)
    sa.Table(
        "products",
        after,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("vendor_id", sa.Integer, index=True),
    )
    before = _shop(convention=FK_CONVENTION)
    script = round_trip(dialect, project, before, after, _seed_shop)
    assert "rename_table('vendors', 'suppliers')" in script


def test_a_foreign_key_onto_a_renamed_column_of_a_renamed_table(dialect, project):
    def shop(vendors: str, key: str, hint: bool) -> sa.MetaData:
        md = sa.MetaData()
        sa.Table(
            vendors,
            md,
            sa.Column(
                key, sa.Integer, primary_key=True, info={"renamed_from": "id"} if hint else {}
            ),
            sa.Column("name", sa.String(40)),
            info={"renamed_from": "vendors"} if hint else {},
        )
        sa.Table(
            "products",
            md,
            sa.Column("id", sa.Integer, primary_key=True),
            sa.Column("vendor_id", sa.Integer, sa.ForeignKey(f"{vendors}.{key}"), index=True),
        )
        return md

    script = round_trip(
        dialect,
        project,
        shop("vendors", "id", False),
        shop("suppliers", "vendor_no", True),
        _seed_shop,
    )
    assert "create_foreign_key" not in script, script


def test_a_table_renamed_and_its_name_taken_by_a_new_table(dialect, project):
    """Found by the PostgreSQL soak: under ``pk: pk_%(table_name)s`` the renamed table
    kept ``pk_vendors`` (and PostgreSQL its index of that name), so the next revision,
    creating a new ``vendors``, failed "relation pk_vendors already exists". PostgreSQL
    renames the key with the table; the other databases have no such clash."""
    convention = {"pk": "pk_%(table_name)s", "uq": "uq_%(table_name)s_%(column_0_name)s"}

    def shop(*tables: str) -> sa.MetaData:
        md = sa.MetaData(naming_convention=convention)
        for name in tables:
            sa.Table(
                name,
                md,
                sa.Column("id", sa.Integer, primary_key=True),
                sa.Column("name", sa.String(40), unique=True),
                info={"renamed_from": "vendors"} if name == "products" else {},
            )
        return md

    def seed(connection: sa.Connection) -> None:
        connection.exec_driver_sql("INSERT INTO vendors (id, name) VALUES (1, 'a'), (2, 'b')")

    script = round_trip(dialect, project, shop("vendors"), shop("products"), seed)
    assert "rename_table('vendors', 'products')" in script
    if dialect.name == "postgresql":
        assert "rename_constraint('products', 'pk_vendors', 'pk_products')" in script, script
    else:
        assert "pk_vendors" not in script, script
    taken = shop("products", "vendors")
    project.revision(taken, "vendors again")
    project.upgrade(metadata=taken)
    project.check(taken)
    project.downgrade("-1")
    project.upgrade(metadata=taken)
