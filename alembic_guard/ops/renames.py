"""Rename operations: columns, indexes and constraints, each with ``reverse()``.

Alembic can rename a column (``alter_column(new_column_name=...)``) but its
``AlterColumnOp`` neither reverses a rename nor reports it to ``alembic
check``; and it has no operation for renaming an index or a constraint.
``op.rename_index`` and ``op.rename_constraint`` are registered here; scripts
that use them import this module (autogenerate adds the import).
"""

from __future__ import annotations

from typing import Any

from alembic.autogenerate import renderers
from alembic.autogenerate.api import AutogenContext
from alembic.autogenerate.render import render_op
from alembic.operations import Operations, ops
from sqlalchemy import text

from ..dialects import database_for

_IMPORT = "import alembic_guard.ops.renames  # noqa: F401  (op.rename_index, op.rename_constraint)"


class RenameColumnOp(ops.AlterColumnOp):
    """``alter_column(..., new_column_name=...)`` that reverses and reports the rename."""

    def __init__(self, table_name: str, column_name: str, new_column_name: str, **kw: Any) -> None:
        super().__init__(table_name, column_name, modify_name=new_column_name, **kw)

    @property
    def new_column_name(self) -> str:
        return str(self.modify_name)

    def _attributes(self) -> dict[str, Any]:
        names = ("type", "nullable", "server_default", "comment")
        found: dict[str, Any] = {f"existing_{n}": getattr(self, f"existing_{n}") for n in names}
        for n in names:
            value = getattr(self, f"modify_{n}")
            if value is not None and value is not False:
                found[f"modify_{n}"] = value
        return found

    def reverse(self) -> RenameColumnOp:
        # Alembic's own reverse swaps existing_/modify_ values but not the name
        plain = ops.AlterColumnOp(
            self.table_name, self.column_name, schema=self.schema, **self._attributes()
        ).reverse()
        reversed_op = RenameColumnOp(
            self.table_name, self.new_column_name, str(self.column_name), schema=self.schema
        )
        for key, value in vars(plain).items():
            if key.startswith(("existing_", "modify_")) and key != "modify_name":
                setattr(reversed_op, key, value)
        return reversed_op

    def to_diff_tuple(self) -> list[tuple[Any, ...]]:  # type: ignore[override]
        changes: list[tuple[Any, ...]] = [
            ("rename_column", self.schema, self.table_name, self.column_name, self.new_column_name)
        ]
        if self.has_changes():
            changes.extend(super().to_diff_tuple())
        return changes

    def has_changes(self) -> bool:
        return any(
            (
                self.modify_type is not None,
                self.modify_nullable is not None,
                self.modify_server_default is not False,
                self.modify_comment is not False,
            )
        )


class NativeColumnRenamesOps(ops.ModifyTableOps):
    """SQLite: plain column renames, rendered as ``op.alter_column(...)`` outside a batch
    block, so SQLite (3.25 and newer) runs ``ALTER TABLE ... RENAME COLUMN``.  That
    rewrites every index, CHECK, view, trigger and other table's foreign key naming the
    column; a batch rebuild would copy their SQL verbatim, old column name and all."""

    def reverse(self) -> NativeColumnRenamesOps:
        return NativeColumnRenamesOps(
            self.table_name, [op.reverse() for op in reversed(self.ops)], schema=self.schema
        )


@renderers.dispatch_for(NativeColumnRenamesOps)
def _render_native_renames(
    autogen_context: AutogenContext, op: NativeColumnRenamesOps
) -> list[str]:
    # not through Alembic's ModifyTableOps renderer: with render_as_batch it opens a block
    lines: list[str] = []
    for inner in op.ops:
        lines.extend(render_op(autogen_context, inner))
    return lines


class DropIndexExactlyOp(ops.DropIndexOp):
    """``op.drop_index`` whose reverse is exactly the index it drops: Alembic's own
    reverse rebuilds the index from the drop's arguments and loses UNIQUE."""

    def reverse(self) -> ops.CreateIndexOp:
        if self._reverse is not None:
            return self._reverse
        return super().reverse()


class RenameTableOp(ops.RenameTableOp):
    """``op.rename_table`` with the ``reverse()`` and diff tuple Alembic's lacks."""

    def reverse(self) -> RenameTableOp:
        return RenameTableOp(self.new_table_name, self.table_name, schema=self.schema)

    def to_diff_tuple(self) -> tuple[Any, ...]:
        return ("rename_table", self.schema, self.table_name, self.new_table_name)


@renderers.dispatch_for(RenameTableOp)
def _render_rename_table(autogen_context: AutogenContext, op: RenameTableOp) -> str:
    prefix = autogen_context.opts.get("alembic_module_prefix") or "op."
    schema = f", schema={op.schema!r}" if op.schema else ""
    return f"{prefix}rename_table({op.table_name!r}, {op.new_table_name!r}{schema})"


class _RenameNamedOp(ops.MigrateOperation):
    """Rename an index or a constraint of a table; what it covers stays."""

    diff_name = ""

    def __init__(
        self, table_name: str, old_name: str, new_name: str, schema: str | None = None
    ) -> None:
        self.table_name = table_name
        self.old_name = old_name
        self.new_name = new_name
        self.schema = schema

    def reverse(self) -> _RenameNamedOp:
        return type(self)(self.table_name, self.new_name, self.old_name, schema=self.schema)

    def to_diff_tuple(self) -> tuple[Any, ...]:
        return (self.diff_name, self.schema, self.table_name, self.old_name, self.new_name)


@Operations.register_operation("rename_index")
class RenameIndexOp(_RenameNamedOp):
    """Rename an index (PostgreSQL ``ALTER INDEX``, MySQL ``RENAME INDEX``)."""

    diff_name = "rename_index"

    @classmethod
    def rename_index(
        cls,
        operations: Operations,
        table_name: str,
        old_name: str,
        new_name: str,
        *,
        schema: str | None = None,
    ) -> None:
        """``op.rename_index("table", "old", "new")``."""
        operations.invoke(cls(table_name, old_name, new_name, schema=schema))


@Operations.register_operation("rename_constraint")
class RenameConstraintOp(_RenameNamedOp):
    """Rename a constraint (PostgreSQL ``ALTER TABLE ... RENAME CONSTRAINT``)."""

    diff_name = "rename_constraint"

    @classmethod
    def rename_constraint(
        cls,
        operations: Operations,
        table_name: str,
        old_name: str,
        new_name: str,
        *,
        schema: str | None = None,
    ) -> None:
        """``op.rename_constraint("table", "old", "new")``."""
        operations.invoke(cls(table_name, old_name, new_name, schema=schema))


def _qualified(operations: Operations, table_name: str, schema: str | None) -> str:
    preparer = operations.migration_context.dialect.identifier_preparer
    table = preparer.quote(table_name)
    return f"{preparer.quote_schema(schema)}.{table}" if schema else table


@Operations.implementation_for(RenameIndexOp)
def _rename_index(operations: Operations, operation: RenameIndexOp) -> None:
    dialect = operations.migration_context.dialect
    preparer = dialect.identifier_preparer
    old, new = preparer.quote(operation.old_name), preparer.quote(operation.new_name)
    table = _qualified(operations, operation.table_name, operation.schema)
    sql = database_for(dialect).rename_index_sql(preparer, table, operation.schema, old, new)
    operations.execute(text(sql.replace(":", "\\:")))


@Operations.implementation_for(RenameConstraintOp)
def _rename_constraint(operations: Operations, operation: RenameConstraintOp) -> None:
    dialect = operations.migration_context.dialect
    preparer = dialect.identifier_preparer
    table = _qualified(operations, operation.table_name, operation.schema)
    old, new = preparer.quote(operation.old_name), preparer.quote(operation.new_name)
    sql = database_for(dialect).rename_constraint_sql(table, old, new)
    operations.execute(text(sql.replace(":", "\\:")))


@renderers.dispatch_for(_RenameNamedOp)
def _render_rename(autogen_context: AutogenContext, op: _RenameNamedOp) -> str:
    """``op.rename_index(...)`` / ``op.rename_constraint(...)``: the op's name is its diff name."""
    autogen_context.imports.add(_IMPORT)
    schema = f", schema={op.schema!r}" if op.schema else ""
    # op., not batch_op.: a batch block has no rename_index
    prefix = autogen_context.opts.get("alembic_module_prefix") or "op."
    return f"{prefix}{op.diff_name}({op.table_name!r}, {op.old_name!r}, {op.new_name!r}{schema})"
