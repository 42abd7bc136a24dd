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
from alembic.autogenerate.render import _render_modify_table, _sqlalchemy_autogenerate_prefix
from alembic.operations import ops
from sqlalchemy import CheckConstraint, Column, MetaData, Table

UNNAMED_AFTER = "alembic_guard.sqlite_unnamed_checks_after"
UNNAMED_BEFORE = "alembic_guard.sqlite_unnamed_checks_before"


def _check(
    table_name: str, schema: str | None, sqltext: str, name: str | None = None
) -> CheckConstraint:
    table = Table(table_name, MetaData(), schema=schema)
    return CheckConstraint(sqltext, name=name, table=table)


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
    """A batch block that recreates the table with its unnamed CHECKs listed."""

    def __init__(
        self,
        table_name: str,
        operations: list[ops.MigrateOperation],
        schema: str | None,
        unnamed_checks: list[str],
    ) -> None:
        super().__init__(table_name, operations, schema=schema)
        self.unnamed_checks = list(unnamed_checks)

    @classmethod
    def from_container(
        cls, container: ops.ModifyTableOps, unnamed_checks: list[str]
    ) -> SqliteCheckBatchOps:
        converted = cls(container.table_name, list(container.ops), container.schema, unnamed_checks)
        converted.info.update(container.info)
        return converted


@renderers.dispatch_for(SqliteCheckBatchOps)
def _render_sqlite_check_batch(
    autogen_context: AutogenContext, op: SqliteCheckBatchOps
) -> list[str]:
    lines = _render_modify_table(autogen_context, op)
    if not lines or not lines[0].lstrip().startswith("with "):
        return lines
    prefix = _sqlalchemy_autogenerate_prefix(autogen_context)
    args = "".join(f"{prefix}CheckConstraint({sql!r}), " for sql in op.unnamed_checks)
    lines[0] = (
        f"with op.batch_alter_table({op.table_name!r}, schema={op.schema!r}, "
        f"recreate='always', table_args=({args})) as batch_op:"
    )
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
        # undoing a CHECK drop is adding the CHECK, not altering the column back; MariaDB names a column-level CHECK after its column
        return ops.CreateCheckConstraintOp(
            self.column_name, self.table_name, self.sqltext, schema=self.schema
        )

    def to_diff_tuple(self) -> tuple[Any, ...]:
        return (
            "remove_constraint",
            _check(self.table_name, self.schema, self.sqltext, name=self.column_name),
        )


def apply_sqlite_check_batches(script: ops.MigrationScript) -> None:
    """Turn table containers that carry unnamed-CHECK lists into SqliteCheckBatchOps.

    The upgrade block lists the unnamed CHECKs the table has after it; the
    matching downgrade block (same table) the ones it had before.
    """
    lists: dict[tuple[str | None, str], tuple[list[str], list[str]]] = {}
    for upgrade_ops in script.upgrade_ops_list:
        for index, op in enumerate(upgrade_ops.ops):
            if isinstance(op, ops.ModifyTableOps) and UNNAMED_AFTER in op.info and op.ops:
                key = (op.schema, op.table_name)
                lists[key] = (op.info[UNNAMED_BEFORE], op.info[UNNAMED_AFTER])
                if not isinstance(op, SqliteCheckBatchOps):
                    upgrade_ops.ops[index] = SqliteCheckBatchOps.from_container(
                        op, op.info[UNNAMED_AFTER]
                    )
    for downgrade_ops in script.downgrade_ops_list:
        for index, op in enumerate(downgrade_ops.ops):
            key = (getattr(op, "schema", None), getattr(op, "table_name", ""))
            if (
                isinstance(op, ops.ModifyTableOps)
                and not isinstance(op, SqliteCheckBatchOps)
                and key in lists
                and op.ops
            ):
                downgrade_ops.ops[index] = SqliteCheckBatchOps.from_container(op, lists[key][0])
