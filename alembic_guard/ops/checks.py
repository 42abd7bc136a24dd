"""Operations for CHECK constraints that Alembic's own ops cannot express.

* SQLite cannot name-drop an unnamed CHECK, and Alembic's batch mode leaves
  unnamed CHECKs out when it recreates a table.  :class:`SqliteCheckBatchOps`
  renders ``op.batch_alter_table(..., recreate="always", table_args=(...))``
  listing every unnamed CHECK the table must have afterwards; dropping or
  adding an unnamed CHECK is then a matter of that list, recorded by
  :class:`DropUnnamedCheckOp` / :class:`AddUnnamedCheckOp`.
* MariaDB keeps a column-level CHECK inside the column definition, where
  ``DROP CONSTRAINT`` cannot reach it; :class:`DropColumnCheckOp`
  redefines the column (same type) and restores the CHECK on reverse.
"""

from __future__ import annotations

from typing import Any

from alembic.autogenerate import renderers
from alembic.autogenerate.api import AutogenContext
from alembic.autogenerate.render import (
    _add_check_constraint,
    _alembic_autogenerate_prefix,
    _render_gen_name,
    _sqlalchemy_autogenerate_prefix,
    render_op,
)
from alembic.operations import ops
from sqlalchemy import CheckConstraint, Column, MetaData, Table

UNNAMED_AFTER = "alembic_guard.sqlite_unnamed_checks_after"
UNNAMED_BEFORE = "alembic_guard.sqlite_unnamed_checks_before"


def _check(
    table_name: str, schema: str | None, sqltext: str, name: str | None = None
) -> CheckConstraint:
    table = Table(table_name, MetaData(), schema=schema)
    return CheckConstraint(sqltext, name=name, table=table)


class CreateCheckOp(ops.CreateCheckConstraintOp):
    """``op.create_check_constraint`` whose SQL text is written into the script verbatim.

    Alembic renders a text condition through the dialect's compiler, which
    doubles every ``%`` for format-style drivers (psycopg, PyMySQL); run
    again, ``LIKE 'a%'`` would become ``LIKE 'a%%'`` in the database.
    """


@renderers.dispatch_for(CreateCheckOp)
def _render_create_check(autogen_context: AutogenContext, op: CreateCheckOp) -> str:
    if not isinstance(op.condition, str):
        return _add_check_constraint(autogen_context, op)
    args = [repr(_render_gen_name(autogen_context, op.constraint_name))]
    if not autogen_context._has_batch:
        args.append(repr(str(op.table_name)))
    args.append(repr(op.condition))
    if not autogen_context._has_batch and op.schema:
        args.append(f"schema={str(op.schema)!r}")
    args.extend(f"{key}={value!r}" for key, value in sorted(op.kw.items()))
    prefix = _alembic_autogenerate_prefix(autogen_context)
    return f"{prefix}create_check_constraint({', '.join(args)})"


class DropCheckOp(ops.DropConstraintOp):
    """``op.drop_constraint(name, table, type_="check")`` that knows how to put it back.

    The reverse is the operation given as ``restore`` (a :class:`CreateCheckOp`
    with the database's text, or raw SQL where Alembic cannot express the
    definition, e.g. PostgreSQL's ``NO INHERIT``), not one rebuilt from a
    SQLAlchemy constraint.
    """

    def __init__(
        self,
        constraint_name: str,
        table_name: str,
        sqltext: str,
        restore: ops.MigrateOperation,
        schema: str | None = None,
    ) -> None:
        super().__init__(constraint_name, table_name, type_="check", schema=schema)
        self.sqltext = sqltext
        self.restore = restore

    def reverse(self) -> ops.MigrateOperation:  # type: ignore[override]
        return self.restore

    def to_diff_tuple(self) -> tuple[Any, ...]:
        return (
            "remove_constraint",
            _check(self.table_name, self.schema, self.sqltext, name=str(self.constraint_name)),
        )


class DropUnnamedCheckOp(ops.MigrateOperation):
    """SQLite: an unnamed CHECK left out of the recreated table."""

    def __init__(self, table_name: str, sqltext: str, schema: str | None = None) -> None:
        self.table_name = table_name
        self.sqltext = sqltext
        self.schema = schema

    def reverse(self) -> AddUnnamedCheckOp:
        return AddUnnamedCheckOp(self.table_name, self.sqltext, schema=self.schema)

    def to_diff_tuple(self) -> tuple[Any, ...]:
        return ("remove_constraint", _check(self.table_name, self.schema, self.sqltext))


class AddUnnamedCheckOp(ops.MigrateOperation):
    """SQLite: an unnamed CHECK put into the recreated table."""

    def __init__(self, table_name: str, sqltext: str, schema: str | None = None) -> None:
        self.table_name = table_name
        self.sqltext = sqltext
        self.schema = schema

    def reverse(self) -> DropUnnamedCheckOp:
        return DropUnnamedCheckOp(self.table_name, self.sqltext, schema=self.schema)

    def to_diff_tuple(self) -> tuple[Any, ...]:
        return ("add_constraint", _check(self.table_name, self.schema, self.sqltext))


@renderers.dispatch_for(DropUnnamedCheckOp)
def _render_drop_unnamed(autogen_context: AutogenContext, op: DropUnnamedCheckOp) -> str:
    return f"pass  # unnamed CHECK ({op.sqltext}) is left out of table_args, so it is dropped"


@renderers.dispatch_for(AddUnnamedCheckOp)
def _render_add_unnamed(autogen_context: AutogenContext, op: AddUnnamedCheckOp) -> str:
    return f"pass  # unnamed CHECK ({op.sqltext}) is created through table_args"


class SqliteCheckBatchOps(ops.ModifyTableOps):
    """A SQLite batch block that recreates the table with its unnamed CHECKs listed.

    ``unnamed_checks`` is what the table must have after the block,
    ``unnamed_checks_before`` what it had; ``reverse()`` swaps them, so the
    downgrade block puts back exactly what the upgrade block removed.
    """

    def __init__(
        self,
        table_name: str,
        operations: list[ops.MigrateOperation],
        schema: str | None,
        unnamed_checks: list[str],
        unnamed_checks_before: list[str],
    ) -> None:
        super().__init__(table_name, operations, schema=schema)
        self.unnamed_checks = list(unnamed_checks)
        self.unnamed_checks_before = list(unnamed_checks_before)

    @classmethod
    def from_container(cls, container: ops.ModifyTableOps) -> SqliteCheckBatchOps:
        converted = cls(
            container.table_name,
            list(container.ops),
            container.schema,
            container.info[UNNAMED_AFTER],
            container.info[UNNAMED_BEFORE],
        )
        converted.info.update(container.info)
        return converted

    def reverse(self) -> SqliteCheckBatchOps:
        return SqliteCheckBatchOps(
            self.table_name,
            list(reversed([op.reverse() for op in self.ops])),
            self.schema,
            self.unnamed_checks_before,
            self.unnamed_checks,
        )

    @property
    def must_recreate(self) -> bool:
        return any(isinstance(op, (AddUnnamedCheckOp, DropUnnamedCheckOp)) for op in self.ops)


@renderers.dispatch_for(SqliteCheckBatchOps)
def _render_sqlite_check_batch(
    autogen_context: AutogenContext, op: SqliteCheckBatchOps
) -> list[str]:
    if not op.ops:
        return []
    sa_prefix = _sqlalchemy_autogenerate_prefix(autogen_context)
    args = "".join(f"{sa_prefix}CheckConstraint({sql!r}), " for sql in op.unnamed_checks)
    # 'auto' still recreates when another operation needs it, and then uses table_args
    recreate = "always" if op.must_recreate else "auto"
    lines = [
        f"with {_alembic_autogenerate_prefix(autogen_context)}batch_alter_table("
        f"{op.table_name!r}, schema={op.schema!r}, recreate={recreate!r}, "
        f"table_args=({args})) as batch_op:"
    ]
    # always a batch block: SQLite cannot ALTER constraints, whatever render_as_batch says
    with autogen_context._within_batch():
        for inner in op.ops:
            lines.extend(render_op(autogen_context, inner))
    lines.append("")
    return lines


class DropColumnCheckOp(ops.AlterColumnOp):
    """MariaDB: drop a column-level CHECK by redefining its column unchanged."""

    def __init__(
        self, table_name: str, column: Column[Any], sqltext: str, schema: str | None = None
    ) -> None:
        super().__init__(
            table_name,
            column.name,
            schema=schema,
            existing_type=column.type,
            existing_nullable=column.nullable,
            existing_server_default=column.server_default,
            existing_comment=column.comment,
            modify_type=column.type,
        )
        self.sqltext = sqltext

    def reverse(self) -> ops.CreateCheckConstraintOp:  # type: ignore[override]
        # undoing a CHECK drop is adding the CHECK, not altering the column back;
        # MariaDB names a column-level CHECK after its column
        return CreateCheckOp(self.column_name, self.table_name, self.sqltext, schema=self.schema)

    def to_diff_tuple(self) -> tuple[Any, ...]:
        return (
            "remove_constraint",
            _check(self.table_name, self.schema, self.sqltext, name=self.column_name),
        )


def use_sqlite_check_batches(upgrade_ops: ops.UpgradeOps) -> None:
    """Turn table containers that carry unnamed-CHECK lists into SqliteCheckBatchOps."""
    for index, op in enumerate(upgrade_ops.ops):
        if (
            isinstance(op, ops.ModifyTableOps)
            and not isinstance(op, SqliteCheckBatchOps)
            and UNNAMED_AFTER in op.info
            and op.ops
        ):
            upgrade_ops.ops[index] = SqliteCheckBatchOps.from_container(op)
