"""Hostile identifiers per dialect, the models that carry them, a second database of
the same dialect, and a plain-SQL catalog snapshot for the identifier tests."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy import CheckConstraint, Column, ForeignKey, Index, Integer, MetaData, String, Table

from alembic_guard.views import View
from tests.helpers.databases import mysql_server_url, scratch_database
from tests.helpers.snapshot import schema_objects, views

#: names every dialect stores: case, spaces, quotes, dots, reserved words, non-ASCII,
#: the drivers' paramstyle traps (% for format/pyformat, :name for text())
COMMON = (
    "OrderItems",
    "Price",
    "order items",
    'say "hi"',
    "o'brien",
    "a.b",
    "select",
    "order",
    "user",
    "group",
    "check",
    "table",
    "café",
    "Ωmega",
    "表",
    "50%",
    ":x",
)

#: names at the dialect's length limit: (a table/check name, a column/index name, one more)
LONG = {
    # 63 bytes, PostgreSQL's NAMEDATALEN - 1: ASCII, 2-byte and 3-byte characters
    "postgresql": ("a" * 63, "é" * 31 + "z", "表" * 21),
    # 64 characters (not bytes) on MariaDB/MySQL
    "mariadb": ("b" * 64, "é" * 64, "Ω" * 64),
    # SQLite has no limit: long names all the same
    "sqlite": ("c" * 300, "é" * 200, "表" * 150),
}

#: names left out on MariaDB: it refuses identifiers that end in a space
#: (ER_WRONG_COLUMN_NAME/TABLE_NAME), and SQLAlchemy's MySQL reflection keeps a column's,
#: index's or constraint's doubled backtick (reflects x`y as x``y), so stock Alembic
#: itself would see a drop and an add on every run
EXTRA = {"postgresql": ("trailing ", "x`y"), "sqlite": ("trailing ", "x`y"), "mariadb": ()}

#: stage 2 renames: old column -> new column
RENAMES = {"o'brien": "O'Brien Ωmega", "group": 'group "by"'}


@dataclass(frozen=True)
class Names:
    dialect: str

    @property
    def long(self) -> tuple[str, str, str]:
        return LONG[self.dialect]  # type: ignore[return-value]

    @property
    def columns(self) -> tuple[str, ...]:
        """Columns of the main table (its own name is not one of them)."""
        return tuple(n for n in (*COMMON, *self.long, *EXTRA[self.dialect]) if n != "OrderItems")

    @property
    def tables(self) -> tuple[str, ...]:
        """Tables beside the main one (SQLAlchemy reflects a MariaDB table x`y right)."""
        extra = EXTRA[self.dialect] if self.dialect != "mariadb" else ("x`y",)
        return ('say "hi"', "select", "a.b", "50%", ":x", "表", self.long[0], *extra)

    @property
    def check_names(self) -> tuple[str, ...]:
        return ("check", 'say "hi"', "o'brien", "Ωmega", self.long[0], ":x")

    @property
    def index_names(self) -> tuple[str, ...]:
        return ("order", "group", self.long[1], "café ix")

    @property
    def view_names(self) -> tuple[str, ...]:
        return ("user", "café")

    def all(self) -> list[str]:
        """Every distinct identifier the round trip creates (the count the issue asks for)."""
        names = {
            "OrderItems",
            *self.columns,
            *self.tables,
            *self.check_names,
            *self.index_names,
            *self.view_names,
            *RENAMES.values(),
            "user",  # the foreign key's name
            "%(x)s",  # the table holding two of the CHECKs
        }
        return sorted(names)


def identifiers(dialect: str) -> list[str]:
    return Names(dialect).all()


def models(dialect: str, stage: int) -> MetaData:
    """Stage 1: the hostile schema.  Stage 2: two columns renamed, a CHECK and a view changed."""
    names = Names(dialect)
    renamed = RENAMES if stage == 2 else {}
    m = MetaData()
    c = sa.column
    threshold = 1 if stage == 2 else 0
    main = Table(
        "OrderItems",
        m,
        Column("id", Integer, primary_key=True),
        *(Column(renamed.get(n, n), Integer) for n in names.columns),
        CheckConstraint(c("Price") > threshold, name="check"),
        CheckConstraint(c("表") >= 0, name=names.long[0]),
        CheckConstraint(c("select") > -1, name="Ωmega"),
        CheckConstraint(c("a.b") < 1000, name=":x"),
        # unnamed checks over hostile columns
        CheckConstraint(c("order items") > 0),
        CheckConstraint(sa.or_(c("café") > 1, c("user").is_(None))),
    )
    Index("order", main.c["select"])
    Index("group", main.c["user"], main.c["table"])
    Index(names.long[1], main.c["Ωmega"], unique=True)
    Index("café ix", main.c[names.long[1]])
    for number, table in enumerate(names.tables):
        Table(
            table,
            m,
            Column("id", Integer, primary_key=True),
            Column(names.long[2] if number % 2 else "table", String(20)),
            *(
                [Column("user", Integer, ForeignKey("OrderItems.id", name="user"))]
                if number == 0
                else []
            ),
        )
    # on a table stage 2 leaves alone: SQLite's batch mode rebuilds a table from
    # SQLAlchemy's reflection, which loses these two (see test_identifiers)
    Table(
        "%(x)s",
        m,
        Column("id", Integer, primary_key=True),
        Column("50%", Integer),
        Column(":x", Integer),
        CheckConstraint(c("50%") < 100, name='say "hi"'),
        CheckConstraint(c(":x") != 5, name="o'brien"),
    )
    where = 10 if stage == 2 else 0
    View(
        "user",
        m,
        sa.select(
            main.c["Price"],
            main.c["order items"],
            main.c["50%"],
            main.c[":x"],
            main.c["表"],
            main.c[names.long[1]],
        ).where(main.c["Price"] > where),
    )
    View("café", m, sa.select(main.c["a.b"], main.c["check"], main.c[names.long[0]]))
    return m


def catalog(engine: sa.engine.Engine) -> dict[str, Any]:
    """Tables, columns, indexes, checks, foreign keys and views, without alembic_version."""
    objects = schema_objects(engine)
    tables = [t for t in objects["tables"] if t != "alembic_version"]  # type: ignore[attr-defined]
    with engine.connect() as connection:
        inspector = sa.inspect(connection)
        fks = {
            t: sorted(
                (fk["name"] or "", tuple(fk["constrained_columns"]), fk["referred_table"])
                for fk in inspector.get_foreign_keys(t)
            )
            for t in tables
        }
    return {
        "tables": tables,
        "columns": {t: objects["columns"][t] for t in tables},  # type: ignore[index]
        "indexes": {t: objects["indexes"][t] for t in tables},  # type: ignore[index]
        "checks": objects["checks"],
        "foreign keys": fks,
        "views": views(engine),
    }


@contextmanager
def second_database(dialect: Any, tmp_path: Path) -> Iterator[str]:
    """Another empty database of ``dialect``'s kind, dropped afterwards; yields its URL."""
    if dialect.name == "sqlite":
        yield f"sqlite:///{tmp_path / 'second.db'}"
        return
    server = dialect.url if dialect.name == "postgresql" else mysql_server_url()
    with scratch_database(server, f"ag_second_{uuid.uuid4().hex[:8]}") as url:
        yield url
