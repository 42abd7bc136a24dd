"""Views end to end: each scenario is a list of model stages.  The test autogenerates
and upgrades stage by stage, then downgrades back, comparing the database's views and
tables with what each stage left."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy import Boolean, Column, Integer, MetaData, Numeric, String, Table, select

from alembic_guard.views import View, ViewIndex

ALL = ("postgresql", "mariadb", "sqlite")


def items(metadata: MetaData, price_type: object = Integer) -> Table:
    return Table(
        "items",
        metadata,
        Column("id", Integer, primary_key=True),
        Column("name", String(40)),
        Column("price", price_type),
        Column("active", Boolean),
    )


@dataclass
class Stage:
    models: Callable[[], MetaData]
    #: operations the stage's generated upgrade must hold, per dialect ("*" for all)
    expect: dict[str, tuple[str, ...]]
    x: tuple[str, ...] = ()


@dataclass
class Scenario:
    name: str
    stages: list[Stage]
    dialects: tuple[str, ...] = ALL
    notes: list[str] = field(default_factory=list)


def _create_change_drop() -> list[Stage]:
    def one() -> MetaData:
        m = MetaData()
        t = items(m)
        View("active_items", m, select(t.c.id, t.c.name, t.c.price).where(t.c.active))
        return m

    def same_columns() -> MetaData:
        m = MetaData()
        t = items(m)
        View("active_items", m, select(t.c.id, t.c.name, t.c.price).where(t.c.price > 0))
        return m

    def fewer_columns() -> MetaData:
        m = MetaData()
        t = items(m)
        View("active_items", m, select(t.c.id, t.c.price).where(t.c.price > 0))
        return m

    def gone() -> MetaData:
        m = MetaData()
        items(m)
        return m

    return [
        Stage(one, {"*": ("op.create_table('items'", "op.create_view('active_items'")}),
        Stage(same_columns, {"*": ("op.replace_view('active_items'",)}),
        Stage(
            fewer_columns,
            {
                # PostgreSQL cannot drop a column by CREATE OR REPLACE VIEW
                "postgresql": ("op.drop_view('active_items')", "op.create_view('active_items'"),
                "mariadb": ("op.replace_view('active_items'",),
                "sqlite": ("op.replace_view('active_items'",),
            },
        ),
        Stage(gone, {"*": ("op.drop_view('active_items')",)}, x=("guard.undeclared_views=drop",)),
    ]


def _three_levels() -> list[Stage]:
    def build(name_in_v1: bool) -> MetaData:
        m = MetaData()
        t = items(m)
        columns = [t.c.id, t.c.price] + ([t.c.name] if name_in_v1 else [])
        v1 = View("v1_priced", m, select(*columns).where(t.c.price > 0))
        v2 = View("v2_expensive", m, select(v1.c.id, v1.c.price).where(v1.c.price > 100))
        View("v3_count", m, select(v2.c.id).where(v2.c.id > 10))
        return m

    return [
        # the views read a table created in the same revision, and each other
        Stage(
            lambda: build(True),
            {"*": ("op.create_table('items'", "create_view('v1_priced'", "create_view('v3_count'")},
        ),
        Stage(
            lambda: build(False),
            {
                "postgresql": (
                    "op.drop_view('v3_count')",
                    "op.drop_view('v2_expensive')",
                    "op.drop_view('v1_priced')",
                    "op.create_view('v1_priced'",
                    "op.create_view('v3_count'",
                ),
                "mariadb": ("op.replace_view('v1_priced'",),
                "sqlite": ("op.replace_view('v1_priced'",),
            },
        ),
    ]


def _column_type_under_view() -> list[Stage]:
    def build(price_type: object) -> MetaData:
        m = MetaData()
        t = items(m, price_type)
        v = View("priced", m, select(t.c.id, t.c.price).where(t.c.price > 0))
        View("priced_ids", m, select(v.c.id))
        return m

    return [
        Stage(lambda: build(Integer), {"*": ("create_view('priced'",)}),
        Stage(
            lambda: build(Numeric(10, 2)),
            {
                "postgresql": (
                    "op.drop_view('priced_ids')",
                    "op.drop_view('priced')",
                    "op.alter_column('items', 'price'",
                    "op.create_view('priced'",
                ),
                # MariaDB re-reads a view's columns at each query: the view stays
                "mariadb": ("op.alter_column('items', 'price'",),
                # batch mode rebuilds the table, which SQLite refuses under a view
                "sqlite": ("op.drop_view('priced')", "batch_alter_table('items'"),
            },
        ),
    ]


def _text_definitions() -> list[Stage]:
    def build(pattern: str) -> MetaData:
        m = MetaData()
        items(m)
        View(
            "named_a",
            m,
            f"SELECT id, name FROM items WHERE name LIKE '{pattern}' AND name <> ':x'",
            columns=["id", "name"],
        )
        return m

    return [
        Stage(lambda: build("a%"), {"*": ("create_view('named_a'",)}),
        Stage(lambda: build("b%"), {"*": ("named_a'",)}),
    ]


def _materialized() -> list[Stage]:
    def build(indexes: list[ViewIndex], where: int) -> MetaData:
        m = MetaData()
        t = items(m)
        View(
            "price_summary",
            m,
            select(t.c.id, t.c.name, t.c.price).where(t.c.price > where),
            materialized=True,
            indexes=indexes,
        )
        return m

    return [
        Stage(
            lambda: build([ViewIndex("ix_summary_id", ["id"], unique=True)], 0),
            {"*": ("op.create_materialized_view('price_summary'", "ViewIndex('ix_summary_id'")},
        ),
        Stage(
            lambda: build(
                [
                    ViewIndex("ix_summary_id", ["id", "name"], unique=True),
                    ViewIndex("ix_summary_price", ["price"]),
                ],
                0,
            ),
            {
                "*": (
                    "op.drop_index('ix_summary_id'",
                    "op.create_index('ix_summary_id', 'price_summary', ['id', 'name']",
                    "op.create_index('ix_summary_price'",
                )
            },
        ),
        Stage(
            lambda: build([ViewIndex("ix_summary_price", ["price"])], 5),
            {"*": ("op.drop_materialized_view('price_summary')", "op.create_materialized_view(")},
        ),
    ]


SCENARIOS = [
    Scenario("create-change-drop", _create_change_drop()),
    Scenario("three-levels", _three_levels()),
    Scenario("column-type-under-view", _column_type_under_view()),
    Scenario("text-definitions", _text_definitions()),
    Scenario("materialized-with-index", _materialized(), dialects=("postgresql",)),
]
