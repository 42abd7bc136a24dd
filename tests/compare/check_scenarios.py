"""The CHECK constraint corpus: a database built from ``before``, a model ``after``.

``expect`` is what a correct tool reports: ``same`` (nothing), ``change``
(drop + add of one rule), ``add`` or ``drop``.  ``setup_sql`` runs after the
database is built from ``before``, for states models cannot express.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import sqlalchemy as sa

Builder = Callable[[sa.MetaData, str], None]


@dataclass(frozen=True)
class Scenario:
    name: str
    before: Builder
    after: Builder
    expect: str
    dialects: tuple[str, ...] = ("postgresql", "mariadb", "sqlite")
    setup_sql: Callable[[str], list[str]] = field(default=lambda dialect: [])
    naming_convention: dict[str, str] | None = None

    def metadata(self, which: str, dialect: str) -> sa.MetaData:
        md = sa.MetaData(
            naming_convention=self.naming_convention or sa.sql.schema.DEFAULT_NAMING_CONVENTION
        )
        (self.before if which == "before" else self.after)(md, dialect)
        return md


def products(
    md: sa.MetaData,
    *checks: sa.CheckConstraint,
    price_check: str | None = None,
    **types: sa.types.TypeEngine,
) -> sa.Table:
    price_args: list[sa.CheckConstraint] = [sa.CheckConstraint(price_check)] if price_check else []
    return sa.Table(
        "products",
        md,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("name", sa.String(50)),
        sa.Column("price", sa.Numeric(10, 2), *price_args),
        sa.Column("qty", sa.Integer),
        sa.Column("status", types.get("status", sa.String(10))),
        sa.Column("b", sa.Integer),
        *checks,
    )


def quote(dialect: str) -> str:
    return "`" if dialect == "mariadb" else '"'


def ck(sql: str, name: str | None = None, **kw: object) -> sa.CheckConstraint:
    return sa.CheckConstraint(sql, name=name, **kw)


def both(*checks: Callable[[str], sa.CheckConstraint]) -> Builder:
    def build(md: sa.MetaData, dialect: str) -> None:
        products(md, *(make(dialect) for make in checks))

    return build


def fixed(sql: str, name: str | None = None, **kw: object) -> Callable[[str], sa.CheckConstraint]:
    return lambda dialect: ck(sql, name, **kw)


def none(md: sa.MetaData, dialect: str) -> None:
    products(md)


SCENARIOS = [
    # -- unchanged rules, written the same way or an equivalent way: no diff
    Scenario(
        "named unchanged",
        both(fixed("price > 0", "ck_price")),
        both(fixed("price > 0", "ck_price")),
        "same",
    ),
    Scenario("unnamed unchanged", both(fixed("qty < 1000")), both(fixed("qty < 1000")), "same"),
    Scenario(
        "column-level unchanged",
        lambda md, d: products(md, price_check="price > 0"),
        lambda md, d: products(md, price_check="price > 0"),
        "same",
    ),
    Scenario(
        "IN list (PostgreSQL renders = ANY)",
        both(fixed("status IN ('a','b')", "ck_status")),
        both(fixed("status IN ('a','b')", "ck_status")),
        "same",
    ),
    Scenario(
        "unnamed IN list",
        both(fixed("status IN ('a', 'b')")),
        both(fixed("status IN ('a', 'b')")),
        "same",
    ),
    Scenario(
        "BETWEEN vs >= AND <=",
        both(fixed("b BETWEEN 1 AND 10", "ck_b")),
        both(fixed("b >= 1 AND b <= 10", "ck_b")),
        "same",
    ),
    Scenario(
        "unnamed BETWEEN vs >= AND <=",
        both(fixed("b BETWEEN 1 AND 10")),
        both(fixed("b >= 1 AND b <= 10")),
        "same",
    ),
    Scenario(
        "!= vs <>",
        both(fixed("status != 'x'", "ck_status")),
        both(fixed("status <> 'x'", "ck_status")),
        "same",
    ),
    Scenario(
        "redundant parentheses",
        both(fixed("((qty > 0))", "ck_qty")),
        both(fixed("qty > 0", "ck_qty")),
        "same",
    ),
    Scenario(
        "keyword case and whitespace",
        both(fixed("qty   >   0 and price>0", "ck_pos")),
        both(fixed("qty > 0 AND price > 0", "ck_pos")),
        "same",
    ),
    Scenario(
        "quoted identifiers",
        both(lambda d: ck(f"{quote(d)}qty{quote(d)} > 0", "ck_qty")),
        both(fixed("qty > 0", "ck_qty")),
        "same",
    ),
    Scenario(
        "LIKE (PostgreSQL renders ~~)",
        both(fixed("name LIKE 'a%'", "ck_name")),
        both(fixed("name LIKE 'a%'", "ck_name")),
        "same",
    ),
    Scenario(
        "IS NOT NULL",
        both(fixed("name IS NOT NULL", "ck_name")),
        both(fixed("name IS NOT NULL", "ck_name")),
        "same",
    ),
    Scenario(
        "Enum(create_constraint=True)",
        lambda md, d: products(
            md, status=sa.Enum("a", "b", name="status_enum", create_constraint=True)
        ),
        lambda md, d: products(
            md, status=sa.Enum("a", "b", name="status_enum", create_constraint=True)
        ),
        "same",
    ),
    Scenario(
        "Boolean(create_constraint=True)",
        lambda md, d: products(md, status=sa.Boolean(create_constraint=True)),
        lambda md, d: products(md, status=sa.Boolean(create_constraint=True)),
        "same",
    ),
    Scenario(
        "naming convention",
        both(fixed("price > 0", "positive_price")),
        both(fixed("price > 0", "positive_price")),
        "same",
        naming_convention={"ck": "ck_%(table_name)s_%(constraint_name)s"},
    ),
    Scenario(
        "database-named unnamed rule (PostgreSQL t_col_check, MariaDB CONSTRAINT_n)",
        both(fixed("qty >= 0")),
        both(fixed("qty >= 0"), fixed("price >= 0")),
        "add",
    ),
    Scenario(
        "NOT VALID in the database and the model",
        both(fixed("qty > 0", "ck_qty")),
        both(fixed("qty > 0", "ck_qty", postgresql_not_valid=True)),
        "same",
        dialects=("postgresql",),
        setup_sql=lambda d: [
            "ALTER TABLE products DROP CONSTRAINT ck_qty",
            "ALTER TABLE products ADD CONSTRAINT ck_qty CHECK (qty > 0) NOT VALID",
        ],
    ),
    Scenario(
        "NOT VALID in the database only",
        both(fixed("qty > 0", "ck_qty")),
        both(fixed("qty > 0", "ck_qty")),
        "same",
        dialects=("postgresql",),
        setup_sql=lambda d: [
            "ALTER TABLE products DROP CONSTRAINT ck_qty",
            "ALTER TABLE products ADD CONSTRAINT ck_qty CHECK (qty > 0) NOT VALID",
        ],
    ),
    # -- real changes
    Scenario(
        "named expression changed",
        both(fixed("price > 0", "ck_price")),
        both(fixed("price >= 1", "ck_price")),
        "change",
    ),
    Scenario(
        "unnamed expression changed", both(fixed("qty < 1000")), both(fixed("qty < 500")), "change"
    ),
    Scenario(
        "column-level expression changed",
        lambda md, d: products(md, price_check="price > 0"),
        lambda md, d: products(md, price_check="price > 1"),
        "change",
    ),
    Scenario(
        "IN list grew",
        both(fixed("status IN ('a','b')", "ck_status")),
        both(fixed("status IN ('a','b','c')", "ck_status")),
        "change",
    ),
    Scenario(
        "BETWEEN bound changed",
        both(fixed("b BETWEEN 1 AND 10", "ck_b")),
        both(fixed("b BETWEEN 1 AND 20", "ck_b")),
        "change",
    ),
    Scenario(
        "one of two rules changed",
        both(fixed("qty >= 0", "ck_qty"), fixed("price > 0", "ck_price")),
        both(fixed("qty >= 0", "ck_qty"), fixed("price > 0.5", "ck_price")),
        "change",
    ),
    Scenario(
        "naming convention, expression changed",
        both(fixed("price > 0", "positive_price")),
        both(fixed("price > 1", "positive_price")),
        "change",
        naming_convention={"ck": "ck_%(table_name)s_%(constraint_name)s"},
    ),
    Scenario(
        "LIKE pattern changed",
        both(fixed("name LIKE 'a%'", "ck_name")),
        both(fixed("name LIKE 'b%'", "ck_name")),
        "change",
    ),
    Scenario("named rule added", none, both(fixed("qty >= 0", "ck_qty")), "add"),
    Scenario("unnamed rule added", none, both(fixed("qty >= 0")), "add"),
    Scenario("named rule removed", both(fixed("price > 0", "ck_price")), none, "drop"),
    Scenario("unnamed rule removed", both(fixed("qty < 1000")), none, "drop"),
    Scenario(
        "column-level rule removed",
        lambda md, d: products(md, price_check="price > 0"),
        none,
        "drop",
    ),
    Scenario(
        "rule renamed, same expression",
        both(fixed("price > 0", "ck_old")),
        both(fixed("price > 0", "ck_new")),
        "change",
        dialects=("postgresql", "mariadb", "sqlite"),
    ),
    Scenario(
        "unnamed rules: one removed, another added",
        both(fixed("qty < 1000"), fixed("b > 0")),
        both(fixed("qty < 1000"), fixed("price > 0")),
        "change",
    ),
]

EXPECTED_DIFFS = {
    "same": [],
    "add": ["add_constraint"],
    "drop": ["remove_constraint"],
    "change": ["add_constraint", "remove_constraint"],
}
