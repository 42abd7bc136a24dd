"""The rename corpus: a database built from ``before``, a model ``after``, and the
renames a careful person would write (``expected``; empty for look-alikes that
are not renames).  Entries: ("column", table, old, new) or ("table", old, new).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import sqlalchemy as sa

Builder = Callable[[sa.MetaData], None]
CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_name)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


@dataclass(frozen=True)
class RenameScenario:
    name: str
    before: Builder
    after: Builder
    expected: frozenset[tuple[str, ...]]
    settings: dict[str, object] = field(default_factory=dict)

    def metadata(self, which: str) -> sa.MetaData:
        md = sa.MetaData(naming_convention=CONVENTION)
        (self.before if which == "before" else self.after)(md)
        return md


def users(md: sa.MetaData, **renamed: str) -> sa.Table:
    """users with its columns, some under other names: users(md, email="email_address")."""

    def n(name: str) -> str:
        return renamed.get(name, name)

    return sa.Table(
        "users",
        md,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column(n("email"), sa.String(120), nullable=False, unique=True),
        sa.Column(n("full_name"), sa.String(100)),
        sa.Column(n("age"), sa.Integer),
        sa.Column(n("is_active"), sa.Boolean, nullable=False, server_default=sa.true()),
        sa.Column(n("created_at"), sa.DateTime),
        sa.Column(n("score"), sa.Numeric(10, 2)),
        sa.Column(n("notes"), sa.Text),
    )


def col(*renames: tuple[str, str]) -> frozenset[tuple[str, ...]]:
    return frozenset(("column", "users", old, new) for old, new in renames)


def renamed(**names: str) -> Builder:
    return lambda md: users(md, **names)


def plain(md: sa.MetaData) -> None:
    users(md)


def with_extra(builder: Builder, *columns: sa.Column[object]) -> Builder:
    def build(md: sa.MetaData) -> None:
        builder(md)
        for column in columns:  # copies: a scenario builds its models more than once
            md.tables["users"].append_column(column._copy())

    return build


def without(builder: Builder, name: str) -> Builder:
    """users without one column (dropped in the model)."""

    def build(md: sa.MetaData) -> None:
        builder(md)
        table = md.tables["users"]
        kept = [c._copy() for c in table.columns if c.name != name]
        md.remove(table)
        sa.Table("users", md, *kept)

    return build


def metrics(*names: str) -> Builder:
    def build(md: sa.MetaData) -> None:
        sa.Table(
            "metrics",
            md,
            sa.Column("id", sa.Integer, primary_key=True),
            *(sa.Column(name, sa.Integer, nullable=False, server_default="0") for name in names),
        )

    return build


def customers_orders(
    customers: str = "customers", fk_column: str = "customer_id", extra: bool = False
) -> Builder:
    def build(md: sa.MetaData) -> None:
        columns = [
            sa.Column("id", sa.Integer, primary_key=True),
            sa.Column("name", sa.String(80), nullable=False),
            sa.Column("email", sa.String(120), index=True),
            sa.Column("country", sa.String(2)),
        ]
        if extra:
            columns.append(sa.Column("phone", sa.String(30)))
        sa.Table(customers, md, *columns)
        sa.Table(
            "orders",
            md,
            sa.Column("id", sa.Integer, primary_key=True),
            sa.Column(
                fk_column, sa.Integer, sa.ForeignKey(f"{customers}.id"), nullable=False, index=True
            ),
            sa.Column("total", sa.Numeric(10, 2), nullable=False),
        )

    return build


def table(name: str, *columns: sa.Column[object]) -> Builder:
    return lambda md: sa.Table(
        name, md, sa.Column("id", sa.Integer, primary_key=True), *(c._copy() for c in columns)
    )


def both(*builders: Builder) -> Builder:
    def build(md: sa.MetaData) -> None:
        for builder in builders:
            builder(md)

    return build


SCENARIOS: list[RenameScenario] = [
    # -- columns renamed, names alike
    RenameScenario(
        "email -> email_address",
        plain,
        renamed(email="email_address"),
        col(("email", "email_address")),
    ),
    RenameScenario(
        "created_at -> created_on",
        plain,
        renamed(created_at="created_on"),
        col(("created_at", "created_on")),
    ),
    RenameScenario(
        "is_active -> active", plain, renamed(is_active="active"), col(("is_active", "active"))
    ),
    RenameScenario(
        "full_name -> fullname",
        plain,
        renamed(full_name="fullname"),
        col(("full_name", "fullname")),
    ),
    RenameScenario(
        "score -> score_value", plain, renamed(score="score_value"), col(("score", "score_value"))
    ),
    # -- columns renamed, names unlike (same definition, same place)
    RenameScenario("age -> years", plain, renamed(age="years"), col(("age", "years"))),
    RenameScenario("notes -> remarks", plain, renamed(notes="remarks"), col(("notes", "remarks"))),
    RenameScenario(
        "full_name -> display_name",
        plain,
        renamed(full_name="display_name"),
        col(("full_name", "display_name")),
    ),
    RenameScenario("score -> rating", plain, renamed(score="rating"), col(("score", "rating"))),
    # -- renames with other changes
    RenameScenario(
        "rename + type widened",
        plain,
        lambda md: sa.Table(
            "users",
            md,
            sa.Column("id", sa.Integer, primary_key=True),
            sa.Column("email", sa.String(120), nullable=False, unique=True),
            sa.Column("full_names", sa.String(200)),
            sa.Column("age", sa.Integer),
            sa.Column("is_active", sa.Boolean, nullable=False, server_default=sa.true()),
            sa.Column("created_at", sa.DateTime),
            sa.Column("score", sa.Numeric(10, 2)),
            sa.Column("notes", sa.Text),
        ),
        col(("full_name", "full_names")),
    ),
    RenameScenario(
        "rename + made NOT NULL",
        plain,
        lambda md: sa.Table(
            "users",
            md,
            sa.Column("id", sa.Integer, primary_key=True),
            sa.Column("email", sa.String(120), nullable=False, unique=True),
            sa.Column("full_name", sa.String(100)),
            sa.Column("age_years", sa.Integer, nullable=False, server_default="0"),
            sa.Column("is_active", sa.Boolean, nullable=False, server_default=sa.true()),
            sa.Column("created_at", sa.DateTime),
            sa.Column("score", sa.Numeric(10, 2)),
            sa.Column("notes", sa.Text),
        ),
        col(("age", "age_years")),
    ),
    RenameScenario(
        "rename + an added column",
        plain,
        with_extra(renamed(email="email_address"), sa.Column("phone", sa.String(30))),
        col(("email", "email_address")),
    ),
    RenameScenario(
        "rename + a dropped column",
        plain,
        without(renamed(age="years"), "notes"),
        col(("age", "years")),
    ),
    RenameScenario(
        "two renames of one type",
        plain,
        renamed(email="contact_email", full_name="display_name"),
        col(("email", "contact_email"), ("full_name", "display_name")),
    ),
    RenameScenario(
        "three candidates of one type",
        metrics("clicks", "views", "shares"),
        metrics("click_count", "view_count", "share_count"),
        frozenset(
            {
                ("column", "metrics", "clicks", "click_count"),
                ("column", "metrics", "views", "view_count"),
                ("column", "metrics", "shares", "share_count"),
            }
        ),
    ),
    RenameScenario(
        "renamed foreign-key column",
        customers_orders(),
        customers_orders(fk_column="client_id"),
        frozenset({("column", "orders", "customer_id", "client_id")}),
    ),
    RenameScenario(
        "rename moved to the end",
        plain,
        lambda md: (
            users(md),
            md.remove(md.tables["users"]),
            sa.Table(
                "users",
                md,
                sa.Column("id", sa.Integer, primary_key=True),
                sa.Column("email", sa.String(120), nullable=False, unique=True),
                sa.Column("full_name", sa.String(100)),
                sa.Column("age", sa.Integer),
                sa.Column("is_active", sa.Boolean, nullable=False, server_default=sa.true()),
                sa.Column("score", sa.Numeric(10, 2)),
                sa.Column("notes", sa.Text),
                sa.Column("created_at_utc", sa.DateTime),
            ),
        ),
        col(("created_at", "created_at_utc")),
    ),
    RenameScenario(
        "hint forces a rename the score would not make",
        plain,
        lambda md: (
            users(md),
            md.remove(md.tables["users"]),
            sa.Table(
                "users",
                md,
                sa.Column("id", sa.Integer, primary_key=True),
                sa.Column("email", sa.String(120), nullable=False, unique=True),
                sa.Column("age", sa.Integer),
                sa.Column("is_active", sa.Boolean, nullable=False, server_default=sa.true()),
                sa.Column("created_at", sa.DateTime),
                sa.Column("score", sa.Numeric(10, 2)),
                sa.Column("notes", sa.Text),
                sa.Column(
                    "legal_name",
                    sa.String(150),
                    nullable=False,
                    server_default="",
                    info={"renamed_from": "full_name"},
                ),
            ),
        ),
        col(("full_name", "legal_name")),
    ),
    # -- tables renamed
    RenameScenario(
        "table renamed, names unlike",
        customers_orders(),
        customers_orders(customers="clients"),
        frozenset({("table", "customers", "clients")}),
    ),
    RenameScenario(
        "table renamed, names alike",
        customers_orders(),
        customers_orders(customers="customer"),
        frozenset({("table", "customers", "customer")}),
    ),
    RenameScenario(
        "table renamed + an added column",
        customers_orders(),
        customers_orders(customers="customer", extra=True),
        frozenset({("table", "customers", "customer")}),
    ),
    RenameScenario(
        "table renamed + a column renamed in it",
        table(
            "product",
            sa.Column("title", sa.String(80), nullable=False),
            sa.Column("price", sa.Numeric(10, 2), nullable=False),
            sa.Column("stock", sa.Integer, nullable=False),
        ),
        table(
            "products",
            sa.Column("title", sa.String(80), nullable=False),
            sa.Column("unit_price", sa.Numeric(10, 2), nullable=False),
            sa.Column("stock", sa.Integer, nullable=False),
        ),
        frozenset(
            {("table", "product", "products"), ("column", "products", "price", "unit_price")}
        ),
    ),
    RenameScenario(
        "one table renamed, another replaced",
        both(
            table(
                "tag",
                sa.Column("label", sa.String(40), nullable=False),
                sa.Column("color", sa.String(7)),
            ),
            table(
                "audit_log",
                sa.Column("created_at", sa.DateTime, nullable=False),
                sa.Column("message", sa.Text),
            ),
        ),
        both(
            table(
                "tags",
                sa.Column("label", sa.String(40), nullable=False),
                sa.Column("color", sa.String(7)),
            ),
            table(
                "notifications",
                sa.Column("created_at", sa.DateTime, nullable=False),
                sa.Column("message", sa.Text),
                sa.Column("user_id", sa.Integer, nullable=False),
                sa.Column("read", sa.Boolean, nullable=False),
            ),
        ),
        frozenset({("table", "tag", "tags")}),
    ),
    # -- look-alikes: nothing is renamed
    RenameScenario(
        "drop legacy_flag, add is_archived (another default)",
        with_extra(
            plain, sa.Column("legacy_flag", sa.Boolean, nullable=False, server_default=sa.false())
        ),
        with_extra(
            plain, sa.Column("is_archived", sa.Boolean, nullable=False, server_default=sa.true())
        ),
        frozenset(),
    ),
    RenameScenario(
        "drop a text column, add an integer one",
        plain,
        with_extra(without(plain, "notes"), sa.Column("visits", sa.Integer)),
        frozenset(),
    ),
    RenameScenario(
        "swap of two column names, same type",
        table(
            "people", sa.Column("first_name", sa.String(50)), sa.Column("last_name", sa.String(50))
        ),
        table(
            "people", sa.Column("last_name", sa.String(50)), sa.Column("first_name", sa.String(50))
        ),
        frozenset(),
    ),
    RenameScenario(
        "swap of two column names, other types",
        table("people", sa.Column("code", sa.Integer), sa.Column("label", sa.String(50))),
        table("people", sa.Column("code", sa.String(50)), sa.Column("label", sa.Integer)),
        frozenset(),
    ),
    RenameScenario(
        "drop middle_name, add nickname at the end",
        with_extra(
            plain, sa.Column("middle_name", sa.String(50)), sa.Column("title", sa.String(20))
        ),
        with_extra(
            plain,
            sa.Column("title", sa.String(20)),
            sa.Column("nickname", sa.String(50), nullable=False, server_default=""),
        ),
        frozenset(),
    ),
    RenameScenario(
        "drop a unique column, add a plain one",
        table(
            "devices",
            sa.Column("serial", sa.String(40), nullable=False, unique=True),
            sa.Column("model", sa.String(40)),
        ),
        table("devices", sa.Column("label", sa.String(40)), sa.Column("model", sa.String(40))),
        frozenset(),
    ),
    RenameScenario(
        "drop count, add total elsewhere (other nullability)",
        table(
            "carts",
            sa.Column("count", sa.Integer, nullable=False),
            sa.Column("owner", sa.String(40)),
        ),
        table("carts", sa.Column("owner", sa.String(40)), sa.Column("total", sa.Integer)),
        frozenset(),
    ),
    RenameScenario(
        "rename with an incompatible type is not a rename",
        table("items", sa.Column("code", sa.String(20)), sa.Column("qty", sa.Integer)),
        table("items", sa.Column("code_number", sa.Integer), sa.Column("qty", sa.Integer)),
        frozenset(),
    ),
    RenameScenario(
        "denied by configuration",
        plain,
        renamed(email="email_address"),
        frozenset(),
        settings={"rename_deny": ["users.email -> email_address"]},
    ),
    RenameScenario("only a column dropped", plain, without(plain, "notes"), frozenset()),
    RenameScenario(
        "only a column added",
        plain,
        with_extra(plain, sa.Column("phone", sa.String(30))),
        frozenset(),
    ),
    RenameScenario(
        "table replaced by an unrelated one",
        table(
            "sessions",
            sa.Column("token", sa.String(64), nullable=False, unique=True),
            sa.Column("expires_at", sa.DateTime, nullable=False),
        ),
        table(
            "api_keys",
            sa.Column("key_hash", sa.String(128), nullable=False),
            sa.Column("expires_at", sa.DateTime),
            sa.Column("user_id", sa.Integer, nullable=False),
            sa.Column("scopes", sa.Text),
        ),
        frozenset(),
    ),
    RenameScenario(
        "audit_log dropped, notifications created",
        table(
            "audit_log",
            sa.Column("created_at", sa.DateTime, nullable=False),
            sa.Column("message", sa.Text),
        ),
        table(
            "notifications",
            sa.Column("created_at", sa.DateTime, nullable=False),
            sa.Column("message", sa.Text),
            sa.Column("user_id", sa.Integer, nullable=False),
            sa.Column("read", sa.Boolean, nullable=False),
        ),
        frozenset(),
    ),
    RenameScenario(
        "table denied by configuration",
        customers_orders(),
        customers_orders(customers="clients"),
        frozenset(),
        settings={"rename_deny": ["customers -> clients"]},
    ),
    RenameScenario(
        "flag replaced by a status text",
        table(
            "jobs",
            sa.Column("done", sa.Boolean, nullable=False, server_default=sa.false()),
            sa.Column("name", sa.String(50)),
        ),
        table(
            "jobs",
            sa.Column("status", sa.String(20), nullable=False, server_default="new"),
            sa.Column("name", sa.String(50)),
        ),
        frozenset(),
    ),
    RenameScenario(
        "two drops, one add of another shape",
        with_extra(plain, sa.Column("fax", sa.String(20)), sa.Column("pager", sa.String(20))),
        with_extra(
            plain, sa.Column("twitter_handle", sa.String(50), nullable=False, server_default="")
        ),
        frozenset(),
    ),
    RenameScenario(
        "nothing changed",
        plain,
        plain,
        frozenset(),
    ),
    RenameScenario(
        "a column and a table dropped, others created",
        both(plain, table("old_reports", sa.Column("body", sa.Text))),
        both(
            with_extra(
                without(plain, "notes"), sa.Column("last_login", sa.DateTime, nullable=False)
            ),
            table(
                "dashboards",
                sa.Column("layout", sa.JSON),
                sa.Column("owner_id", sa.Integer, nullable=False),
            ),
        ),
        frozenset(),
    ),
]
