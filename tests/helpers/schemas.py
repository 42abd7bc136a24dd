"""Several schemas in one database: env.py with ``include_schemas=True``, same-named
tables in each schema, and a per-schema catalog read through SQLAlchemy's inspector and
plain SQL (not alembic_guard's own catalog code)."""

from __future__ import annotations

import ast
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy import text

from alembic_guard.views import View
from tests.helpers.project import AlembicProject

_ONLINE = "connection=connection, target_metadata=target_metadata"


def include_schemas(
    project: AlembicProject, schemas: Iterable[str], attach: dict[str, str] | None = None
) -> None:
    """Edit the project's env.py as a user does: ``include_schemas=True``, and an
    ``include_name`` that keeps the default schema and ``schemas`` (other tests'
    schemas and databases live on the same server).  SQLite: ``attach`` maps schema
    names to database files ATTACHed on every connection."""
    env_py = project.script_location / "env.py"
    source = env_py.read_text()
    assert _ONLINE in source
    wanted = sorted(schemas)
    if attach:
        connect = "    with connectable.connect() as connection:"
        assert connect in source
        source = source.replace(
            connect,
            "    from sqlalchemy import event\n\n"
            '    @event.listens_for(connectable, "connect")\n'
            "    def _attach(dbapi_connection, record):\n"
            f"        for name, path in {attach!r}.items():\n"
            '            dbapi_connection.execute(f"ATTACH DATABASE ? AS \\"{name}\\"", (path,))\n\n'
            + connect,
        )
    source = source.replace(
        "target_metadata = config.attributes.get",
        f"SCHEMAS = {wanted!r}\n\n\n"
        "def include_name(name, type_, parent_names):\n"
        '    if type_ == "schema":\n'
        "        return name is None or name in SCHEMAS\n"
        "    return True\n\n\n"
        "target_metadata = config.attributes.get",
    ).replace(_ONLINE, _ONLINE + ", include_schemas=True, include_name=include_name")
    env_py.write_text(source)


def schema_checks(
    connection: sa.Connection, schema: str | None
) -> set[tuple[str, str | None, str]]:
    dialect = connection.dialect.name
    if dialect == "postgresql":
        rows = connection.execute(
            text(
                "SELECT c.relname, con.conname, pg_get_constraintdef(con.oid) "
                "FROM pg_constraint con JOIN pg_class c ON c.oid = con.conrelid "
                "JOIN pg_namespace n ON n.oid = c.relnamespace "
                "WHERE con.contype = 'c' AND n.nspname = coalesce(:s, current_schema())"
            ),
            {"s": schema},
        )
    elif dialect == "mysql":
        rows = connection.execute(
            text(
                "SELECT TABLE_NAME, CONSTRAINT_NAME, CHECK_CLAUSE "
                "FROM information_schema.CHECK_CONSTRAINTS "
                "WHERE CONSTRAINT_SCHEMA = coalesce(:s, DATABASE())"
            ),
            {"s": schema},
        )
    else:
        inspector = sa.inspect(connection)
        rows = [
            (t, c.get("name"), c["sqltext"])
            for t in inspector.get_table_names(schema=schema)
            for c in inspector.get_check_constraints(t, schema=schema)
        ]
    return {(r[0], r[1], " ".join(str(r[2]).split())) for r in rows}


def _views(connection: sa.Connection, schema: str | None) -> dict[str, str]:
    dialect = connection.dialect.name
    if dialect == "postgresql":
        rows = connection.execute(
            text(
                "SELECT c.relname, pg_get_viewdef(c.oid) FROM pg_class c "
                "JOIN pg_namespace n ON n.oid = c.relnamespace "
                "WHERE c.relkind IN ('v', 'm') AND n.nspname = coalesce(:s, current_schema())"
            ),
            {"s": schema},
        )
    elif dialect == "mysql":
        rows = connection.execute(
            text(
                "SELECT TABLE_NAME, VIEW_DEFINITION FROM information_schema.VIEWS "
                "WHERE TABLE_SCHEMA = coalesce(:s, DATABASE())"
            ),
            {"s": schema},
        )
    else:
        inspector = sa.inspect(connection)
        rows = [
            (v, inspector.get_view_definition(v, schema=schema))
            for v in inspector.get_view_names(schema=schema)
        ]
    return {r[0]: " ".join(str(r[1]).split()) for r in rows}


def catalog(engine: sa.Engine, schemas: Sequence[str | None]) -> dict[str, Any]:
    """schema -> its tables (columns, foreign keys, CHECKs) and views, without
    alembic_version; ``None`` is the connection's default schema."""
    found: dict[str, Any] = {}
    with engine.connect() as connection:
        inspector = sa.inspect(connection)
        for schema in schemas:
            tables = sorted(
                t for t in inspector.get_table_names(schema=schema) if t != "alembic_version"
            )
            found[str(schema)] = {
                "tables": {
                    t: {
                        "columns": [
                            (c["name"], str(c["type"]))
                            for c in inspector.get_columns(t, schema=schema)
                        ],
                        "foreign keys": sorted(
                            (
                                tuple(fk["constrained_columns"]),
                                fk["referred_schema"],
                                fk["referred_table"],
                            )
                            for fk in inspector.get_foreign_keys(t, schema=schema)
                        ),
                    }
                    for t in tables
                },
                "checks": sorted(schema_checks(connection, schema), key=repr),
                "views": _views(connection, schema),
            }
    return found


@dataclass(frozen=True)
class Layout:
    """Where the three same-named ``orders`` tables live (None: the default schema)."""

    public: str | None
    sales: str | None
    #: the third schema (PostgreSQL's awkward ``Billing Dept``), or None for two tables
    billing: str | None = None
    #: a foreign key across schemas: "sales->public", "public->sales" or ""
    fk: str = ""

    @property
    def renamed(self) -> str | None:
        """The schema whose ``orders.note`` becomes ``memo`` at stage 2."""
        return self.billing if self.billing is not None else self.sales


def _ref(schema: str | None) -> str:
    return f"{schema}.orders.id" if schema else "orders.id"


def models(layout: Layout, stage: int) -> sa.MetaData:
    """Stage 1, and stage 2 where only one schema changes each thing: the CHECK of
    ``sales.orders``, the view ``sales.order_summary``, the rename ``note -> memo`` in
    ``layout.renamed``; plus a trap, ``legacy`` dropped from public's ``orders`` and
    added to sales' (a rename across schemas would be false)."""
    m = sa.MetaData()
    public = sa.Table(
        "orders",
        m,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("amount", sa.Integer),
        sa.Column("status", sa.String(20)),
        sa.Column("note", sa.String(200)),
        *(
            [sa.Column("sales_id", sa.Integer, sa.ForeignKey(_ref(layout.sales)))]
            if layout.fk == "public->sales"
            else []
        ),
        # last: the downgrade adds it back at the end
        *([sa.Column("legacy", sa.Integer)] if stage == 1 else []),
        sa.CheckConstraint("amount > 0", name="ck_orders_positive"),
        sa.CheckConstraint("status IN ('new', 'paid')"),
        schema=layout.public,
    )
    note = "memo" if stage == 2 and layout.renamed == layout.sales else "note"
    sales = sa.Table(
        "orders",
        m,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("total", sa.Integer),
        sa.Column("region", sa.String(10)),
        sa.Column(note, sa.String(200)),
        *(
            [sa.Column("public_id", sa.Integer, sa.ForeignKey(_ref(layout.public)))]
            if layout.fk == "sales->public"
            else []
        ),
        *([sa.Column("legacy", sa.Integer)] if stage == 2 else []),
        sa.CheckConstraint("total > 0" if stage == 1 else "total > 5", name="ck_orders_positive"),
        sa.CheckConstraint("region <> ''"),
        schema=layout.sales,
    )
    if layout.billing is not None:
        sa.Table(
            "orders",
            m,
            sa.Column("id", sa.Integer, primary_key=True),
            sa.Column("amount", sa.Integer),
            sa.Column("note" if stage == 1 else "memo", sa.String(200)),
            sa.CheckConstraint("amount >= 1", name="ck_orders_positive"),
            sa.CheckConstraint("amount < 1000000"),
            schema=layout.billing,
        )
    View(
        "order_summary",
        m,
        sa.select(public.c.id, public.c.amount).where(public.c.amount > 10),
        schema=layout.public,
    )
    View(
        "order_summary",
        m,
        sa.select(sales.c.id, sales.c.total).where(sales.c.total > (100 if stage == 1 else 200)),
        schema=layout.sales,
    )
    return m


_IDENTIFIER = re.compile(r"^\w+$")

Operation = tuple[str, tuple[str, ...], str | None]


def _names(call: ast.Call) -> list[str]:
    return [
        a.value
        for a in call.args
        if isinstance(a, ast.Constant) and isinstance(a.value, str) and _IDENTIFIER.match(a.value)
    ]


def _schema(call: ast.Call) -> str | None:
    for keyword in call.keywords:
        if keyword.arg in ("schema", "source_schema") and isinstance(keyword.value, ast.Constant):
            return keyword.value.value if isinstance(keyword.value.value, str) else None
    return None


def _calls(node: ast.AST, on: str) -> list[ast.Call]:
    return [
        c
        for c in ast.walk(node)
        if isinstance(c, ast.Call)
        and isinstance(c.func, ast.Attribute)
        and isinstance(c.func.value, ast.Name)
        and c.func.value.id == on
        and c.func.attr != "f"
    ]


def operations(script: Path) -> list[Operation]:
    """The operations of a script's upgrade(): (operation, the plain names among its
    positional arguments and its table's, sorted; schema).  A batch block's operations
    count as the operations of the block's table."""
    tree = ast.parse(script.read_text())
    upgrade = next(
        node for node in tree.body if isinstance(node, ast.FunctionDef) and node.name == "upgrade"
    )
    found: list[Operation] = []
    batched: set[int] = set()
    for block in ast.walk(upgrade):
        if not isinstance(block, ast.With):
            continue
        for item in block.items:
            call, alias = item.context_expr, item.optional_vars
            if not (isinstance(call, ast.Call) and isinstance(alias, ast.Name)):
                continue
            batched.add(id(call))
            table, schema = _names(call), _schema(call)
            for inner in _calls(block, alias.id):
                found.append((inner.func.attr, tuple(sorted([*table, *_names(inner)])), schema))  # type: ignore[attr-defined]
    for call in _calls(upgrade, "op"):
        if id(call) not in batched:
            found.append((call.func.attr, tuple(sorted(_names(call))), _schema(call)))  # type: ignore[attr-defined]
    return sorted(found, key=repr)
