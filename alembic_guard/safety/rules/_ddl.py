"""What the locking and rewrite rules (AG2xx) share: column types as comparable
signatures, the table an operation locks, row counts for messages, and
per-pending-set state.

A type is read from the migration (``type_``, ``existing_type``) or, when the
migration does not say and the guard is connected, from the database's
catalog; both become a :class:`TypeSig` so ``VARCHAR(20)`` in a migration and
``character varying(20)`` in ``pg_attribute`` compare equal.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from alembic.operations import ops
from sqlalchemy import types as sqltypes

from ...column_types import TypeSig, parse_type
from ..context import RuleContext
from ..recording import RecordedOp
from . import Severity
from ._raw_sql import is_new_table as raw_is_new_table
from ._raw_sql import sql_dialect, statements

MYSQL = ("mysql", "mariadb")


def is_mysql(context: RuleContext) -> bool:
    return context.dialect in MYSQL


def is_mariadb(context: RuleContext) -> bool:
    if context.connection is not None:
        return bool(getattr(context.connection.dialect, "is_mariadb", False))
    return context.dialect == "mariadb"


def kw_true(op: Any, key: str) -> bool:
    """A dialect keyword of an operation (``postgresql_concurrently``...) set truthy."""
    return bool((getattr(op, "kw", None) or {}).get(key))


def lock_severity(context: RuleContext, *tables: tuple[str | None, str | None]) -> Severity | None:
    """WARNING when every table is known to be small (a brief lock), else the rule's own."""
    if tables and all(context.is_small(schema, table) for schema, table in tables):
        return Severity.WARNING
    return None


def row_count(context: RuleContext, schema: str | None, table: str) -> str | None:
    """The table's size for a message: ``3 rows`` (exact, bounded by the data-check
    timeout) or ``about 3 rows`` (catalog estimate); None offline or when unknown."""
    if context.connection is None:
        return None
    exact = context.scalar(f"SELECT count(*) FROM {context.quote(schema, table)}")
    if exact is not None:
        return f"{exact} rows"
    estimate = context.table_rows(schema, table)
    return f"about {estimate} rows" if estimate is not None else None


# -- column types --------------------------------------------------------------


def type_sig(type_: Any, context: RuleContext) -> TypeSig | None:
    """A SQLAlchemy type (class or instance) as a signature on the target dialect."""
    if type_ is None:
        return None
    instance = sqltypes.to_instance(type_)
    try:
        text = str(instance.compile(dialect=sql_dialect(context)))
    except Exception:  # e.g. VARCHAR without a length on MySQL
        length = getattr(instance, "length", None)
        text = type(instance).__name__.upper() + (f"({length})" if length else "")
    dialect = sql_dialect(context)
    if isinstance(instance, sqltypes.Enum) and not (
        instance.native_enum and dialect.supports_native_enum
    ):
        # stored as VARCHAR(longest value): a new value list changes the length
        return TypeSig("varchar", text, length=instance.length)
    if isinstance(instance, sqltypes.Enum):
        # a named type on PostgreSQL, ENUM on MySQL: the values say more
        values = ",".join("'" + value.replace("'", "''") + "'" for value in instance.enums)
        return TypeSig("enum", f"ENUM({values})", enums=tuple(instance.enums))
    if isinstance(instance, sqltypes.Text):
        return TypeSig("text", text)
    if isinstance(instance, sqltypes.String) and not isinstance(
        instance, (sqltypes.CHAR, sqltypes.NCHAR)
    ):
        return TypeSig("varchar", text, length=instance.length)
    if isinstance(instance, sqltypes.Numeric) and not isinstance(instance, sqltypes.Float):
        return TypeSig("numeric", text, length=instance.precision, scale=instance.scale)
    return parse_type(text)


@dataclass(frozen=True)
class CurrentColumn:
    """A column as the database holds it now."""

    type: TypeSig | None
    nullable: bool


def current_column(
    context: RuleContext, schema: str | None, table: str, column: str
) -> CurrentColumn | None:
    """The column in the database now; None offline or when it is not there."""
    if context.connection is None:
        return None
    query = context.database.column_query(context.identifier(schema, table), schema, table, column)
    if query is None:
        return None
    rows = context.rows(*query)
    if not rows:
        return None
    kind, nullable = rows[0]
    return CurrentColumn(parse_type(str(kind)) if kind is not None else None, bool(nullable))


def current_type(
    context: RuleContext, schema: str | None, table: str, column: str
) -> TypeSig | None:
    """The column's type in the database now; None offline or when it is not there."""
    current = current_column(context, schema, table, column)
    return current.type if current is not None else None


def old_type(op: ops.AlterColumnOp, context: RuleContext) -> TypeSig | None:
    """The column's type before an ``alter_column``: the database's when connected (what
    the database will actually change), else ``existing_type``."""
    return current_type(context, op.schema, op.table_name, op.column_name) or type_sig(
        op.existing_type, context
    )


def string_shrink(old: TypeSig | None, new: TypeSig | None) -> bool:
    """A string type whose maximum length goes down (unbounded -> bounded included)."""
    if old is None or new is None or not old.is_string or new.name not in ("varchar", "char"):
        return False
    if new.length is None:
        return False
    return old.name == "text" or old.length is None or new.length < old.length


# -- locks -----------------------------------------------------------------------


def locked_table(record: RecordedOp, context: RuleContext) -> tuple[str, str] | None:
    """PostgreSQL: (table, lock) an operation takes and keeps to the end of its
    transaction, for a table that exists already; None for anything else.

    Every ``ALTER TABLE`` takes ACCESS EXCLUSIVE (a foreign key SHARE ROW
    EXCLUSIVE), a plain ``CREATE INDEX`` SHARE; ``CONCURRENTLY`` takes none
    that blocks writes.
    """
    op = record.op
    if isinstance(op, ops.ExecuteSQLOp):
        for statement in statements(record, context):
            kind, target = statement.kind, (statement.tables or ("",))[0]
            if kind in ("create_index", "drop_index") and statement.concurrently:
                continue
            if kind == "create_index":
                lock = "SHARE"
            elif kind in ("alter_table", "drop_index", "drop_table", "truncate"):
                lock = "ACCESS EXCLUSIVE"
            else:
                continue
            if not target or not raw_is_new_table(context, target):
                return target or "(unknown)", lock
        return None
    schema: str | None
    table: str | None
    if isinstance(op, ops.CreateForeignKeyOp):
        schema, table = op.kw.get("source_schema"), op.source_table
        lock = "SHARE ROW EXCLUSIVE"
    elif isinstance(op, (ops.CreateIndexOp, ops.DropIndexOp)):
        if kw_true(op, "postgresql_concurrently"):
            return None
        schema, table = op.schema, op.table_name
        lock = "SHARE" if isinstance(op, ops.CreateIndexOp) else "ACCESS EXCLUSIVE"
    elif isinstance(
        op,
        (
            ops.AddColumnOp,
            ops.AlterColumnOp,
            ops.DropColumnOp,
            ops.AddConstraintOp,
            ops.DropConstraintOp,
            ops.RenameTableOp,
            ops.DropTableOp,
        ),
    ):
        schema, table = getattr(op, "schema", None), getattr(op, "table_name", None)
        lock = "ACCESS EXCLUSIVE"
    else:
        return None
    if context.is_new_table(schema, table):
        return None
    return str(table or "(unknown)"), lock


# -- state across the operations of one pending set ------------------------------

_T = TypeVar("_T")
_state: dict[tuple[str, int], Any] = {}


def pending_state(rule: str, context: RuleContext, factory: Callable[[], _T]) -> _T:
    """State a rule keeps across the operations of one pending set (one RuleContext).

    RuleContext is an unhashable dataclass, so the state is keyed by its id and
    dropped when the context is collected.
    """
    key = (rule, id(context))
    if key not in _state:
        _state[key] = factory()
        weakref.finalize(context, _state.pop, key, None)
    state: _T = _state[key]
    return state
