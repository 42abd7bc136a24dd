"""Seams with a second schema, run through the schema-evolution machine's own round trip
(autogenerate, upgrade, rows kept, ``alembic check`` clean, downgrade restores both
schemas' catalogs, upgrade again)."""

from __future__ import annotations

import pytest

from tests.evolution.machine import Evolution, Server, fresh_database
from tests.evolution.model import Col, Schema, Table


@pytest.mark.dialects("postgresql", "mariadb")
@pytest.mark.parametrize("convention", [True, False], ids=["convention", "named keys"])
def test_a_renamed_table_keeps_its_foreign_key_into_the_second_schema(dialect, convention):
    """Found by the MariaDB soak: a renamed table's foreign key into the second schema's
    ``vendors`` lost its schema in the key comparison, so under a naming convention it was
    created again after the rename against the default schema's ``vendors``."""
    with fresh_database(Server(dialect.name, dialect.url)) as database:
        evolution = Evolution(dialect.name, database)
        try:
            start = Schema(convention=convention, other_schema=database.other_schema, last_id=20)
            start.tables = {
                1: Table(1, "vendors", [Col(2, "name", "str")]),
                3: Table(
                    3,
                    "orders",
                    [Col(4, "amount", "int"), Col(5, "vendor_id", "int", references=1)],
                ),
                6: Table(6, "vendors", [Col(7, "qty", "int")], other=True),
            }
            evolution.begin(start)
            keyed = evolution.schema.copy()
            keyed.tables[3].cols.append(Col(8, "supplier_id", "int", references=6, populated=False))
            evolution.history.append("add orders.supplier_id -> second schema's vendors.id")
            evolution.run(keyed)
            renamed = evolution.schema.copy()
            orders = renamed.tables[3]
            orders.name, orders.renamed_from = "products", "orders"
            evolution.history.append("rename table orders -> products")
            evolution.run(renamed)
        finally:
            evolution.close()
