"""Operations for views and materialized views: ``op.create_view`` and friends.

Each operation is a small class with ``reverse()`` and ``to_diff_tuple()``,
its implementation (SQL from the per-dialect :class:`ViewDDL`) and its
renderer.  A drop knows the definition it removes (the database's own text),
so the downgrade Alembic writes from ``reverse()`` restores the view exactly.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from alembic.autogenerate import renderers
from alembic.autogenerate.api import AutogenContext
from alembic.autogenerate.render import render_op
from alembic.operations import Operations, ops
from sqlalchemy import text

from ..dialects import database_for
from ..dialects.base import ViewDDL
from ..sql_text import escape_text_binds
from ..views import ViewIndex
from .renames import DropIndexExactlyOp

_IMPORT = "import alembic_guard.ops.views  # noqa: F401  (op.create_view, op.drop_view, ...)"
_INDEX_IMPORT = "from alembic_guard.views import ViewIndex"


def _clean(definition: str) -> str:
    return definition.strip().rstrip(";").strip()


def _run(operations: Operations, statements: Sequence[str]) -> None:
    for statement in statements:
        # verbatim: text() reads ":name" as a bind, and escapes % for the driver itself
        operations.execute(text(escape_text_binds(statement)))


def _ddl(operations: Operations) -> ViewDDL:
    return database_for(operations.migration_context.dialect).view_ddl(
        operations.migration_context.dialect
    )


@Operations.register_operation("create_view")
class CreateViewOp(ops.MigrateOperation):
    """``CREATE VIEW name AS definition``."""

    diff_name = "add_view"

    def __init__(self, view_name: str, definition: str, *, schema: str | None = None) -> None:
        self.view_name = view_name
        self.definition = _clean(definition)
        self.schema = schema

    @classmethod
    def create_view(
        cls,
        operations: Operations,
        view_name: str,
        definition: str,
        *,
        schema: str | None = None,
    ) -> None:
        """``op.create_view("name", "SELECT ...")``."""
        operations.invoke(cls(view_name, definition, schema=schema))

    def reverse(self) -> DropViewOp:
        return DropViewOp(self.view_name, schema=self.schema, _reverse=self)

    def to_diff_tuple(self) -> tuple[Any, ...]:
        return (self.diff_name, self.schema, self.view_name, self.definition)

    def statements(self, ddl: ViewDDL) -> list[str]:
        return ddl.create(self.view_name, self.schema, self.definition)


@Operations.register_operation("drop_view")
class DropViewOp(ops.MigrateOperation):
    """``DROP VIEW name``; reversible when it knows the definition it drops."""

    diff_name = "remove_view"

    def __init__(
        self,
        view_name: str,
        *,
        schema: str | None = None,
        _reverse: CreateViewOp | None = None,
    ) -> None:
        self.view_name = view_name
        self.schema = schema
        self._reverse = _reverse

    @classmethod
    def drop_view(
        cls, operations: Operations, view_name: str, *, schema: str | None = None
    ) -> None:
        """``op.drop_view("name")``."""
        operations.invoke(cls(view_name, schema=schema))

    def reverse(self) -> CreateViewOp:
        if self._reverse is None:
            raise ValueError(
                f"dropping view {self.view_name} is not reversible: its definition is not known"
            )
        return self._reverse

    def to_diff_tuple(self) -> tuple[Any, ...]:
        old = self._reverse.definition if self._reverse is not None else None
        return (self.diff_name, self.schema, self.view_name, old)

    def statements(self, ddl: ViewDDL) -> list[str]:
        return ddl.drop(self.view_name, self.schema)


@Operations.register_operation("replace_view")
class ReplaceViewOp(ops.MigrateOperation):
    """``CREATE OR REPLACE VIEW`` (SQLite: drop + create); the old definition reverses it."""

    diff_name = "replace_view"

    def __init__(
        self,
        view_name: str,
        definition: str,
        *,
        schema: str | None = None,
        old_definition: str | None = None,
        readers: Sequence[CreateViewOp] | None = None,
    ) -> None:
        self.view_name = view_name
        self.definition = _clean(definition)
        self.schema = schema
        self.old_definition = _clean(old_definition) if old_definition is not None else None
        #: set where the database cannot replace the view back (PostgreSQL: columns were
        #: appended): the reverse drops the views reading it (listed dependencies first),
        #: then the view, and creates them again
        self.readers = tuple(readers) if readers is not None else None

    @classmethod
    def replace_view(
        cls,
        operations: Operations,
        view_name: str,
        definition: str,
        *,
        schema: str | None = None,
        old_definition: str | None = None,
    ) -> None:
        """``op.replace_view("name", "SELECT ...")``."""
        operations.invoke(cls(view_name, definition, schema=schema, old_definition=old_definition))

    def reverse(self) -> ReplaceViewOp | ViewStepsOp:
        if self.old_definition is None:
            raise ValueError(
                f"replacing view {self.view_name} is not reversible: the old definition is not known"
            )
        if self.readers is not None:
            current = CreateViewOp(self.view_name, self.definition, schema=self.schema)
            restore = CreateViewOp(self.view_name, self.old_definition, schema=self.schema)
            return ViewStepsOp(
                [
                    *(reader.reverse() for reader in reversed(self.readers)),
                    current.reverse(),
                    restore,
                    *self.readers,
                ]
            )
        return ReplaceViewOp(
            self.view_name,
            self.old_definition,
            schema=self.schema,
            old_definition=self.definition,
        )

    def to_diff_tuple(self) -> tuple[Any, ...]:
        return (self.diff_name, self.schema, self.view_name, self.old_definition, self.definition)

    def statements(self, ddl: ViewDDL) -> list[str]:
        return ddl.replace(self.view_name, self.schema, self.definition)


class ViewStepsOp(ops.MigrateOperation):
    """Several view operations that stand for one change (a view dropped and created
    again with the views reading it); rendered as one line each."""

    def __init__(self, steps: Sequence[ops.MigrateOperation]) -> None:
        self.steps = list(steps)

    def reverse(self) -> ViewStepsOp:
        return ViewStepsOp([step.reverse() for step in reversed(self.steps)])

    def to_diff_tuple(self) -> list[Any]:  # type: ignore[override]
        return [step.to_diff_tuple() for step in self.steps]


@Operations.register_operation("create_materialized_view")
class CreateMaterializedViewOp(CreateViewOp):
    """``CREATE MATERIALIZED VIEW ... WITH [NO] DATA`` and its indexes (PostgreSQL)."""

    diff_name = "add_materialized_view"

    def __init__(
        self,
        view_name: str,
        definition: str,
        *,
        schema: str | None = None,
        indexes: Sequence[ViewIndex] = (),
        with_data: bool = True,
    ) -> None:
        super().__init__(view_name, definition, schema=schema)
        self.indexes = tuple(indexes)
        self.with_data = with_data

    @classmethod
    def create_materialized_view(
        cls,
        operations: Operations,
        view_name: str,
        definition: str,
        *,
        schema: str | None = None,
        indexes: Sequence[ViewIndex] = (),
        with_data: bool = True,
    ) -> None:
        """``op.create_materialized_view("name", "SELECT ...", indexes=[ViewIndex(...)])``."""
        operations.invoke(
            cls(view_name, definition, schema=schema, indexes=indexes, with_data=with_data)
        )

    def reverse(self) -> DropMaterializedViewOp:
        return DropMaterializedViewOp(self.view_name, schema=self.schema, _reverse=self)

    def to_diff_tuple(self) -> tuple[Any, ...]:
        return (self.diff_name, self.schema, self.view_name, self.definition, self.indexes)

    def statements(self, ddl: ViewDDL) -> list[str]:
        return ddl.create_materialized(
            self.view_name, self.schema, self.definition, self.indexes, self.with_data
        )


@Operations.register_operation("drop_materialized_view")
class DropMaterializedViewOp(DropViewOp):
    """``DROP MATERIALIZED VIEW`` (its indexes go with it)."""

    diff_name = "remove_materialized_view"

    @classmethod
    def drop_materialized_view(
        cls, operations: Operations, view_name: str, *, schema: str | None = None
    ) -> None:
        """``op.drop_materialized_view("name")``."""
        operations.invoke(cls(view_name, schema=schema))

    def statements(self, ddl: ViewDDL) -> list[str]:
        return ddl.drop_materialized(self.view_name, self.schema)


@Operations.register_operation("refresh_materialized_view")
class RefreshMaterializedViewOp(ops.MigrateOperation):
    """``REFRESH MATERIALIZED VIEW [CONCURRENTLY]``; its own reverse (a refresh is idempotent)."""

    diff_name = "refresh_materialized_view"

    def __init__(
        self, view_name: str, *, schema: str | None = None, concurrently: bool = False
    ) -> None:
        self.view_name = view_name
        self.schema = schema
        self.concurrently = concurrently

    @classmethod
    def refresh_materialized_view(
        cls,
        operations: Operations,
        view_name: str,
        *,
        schema: str | None = None,
        concurrently: bool = False,
    ) -> None:
        """``op.refresh_materialized_view("name", concurrently=True)``."""
        operations.invoke(cls(view_name, schema=schema, concurrently=concurrently))

    def reverse(self) -> RefreshMaterializedViewOp:
        return self

    def to_diff_tuple(self) -> tuple[Any, ...]:
        return (self.diff_name, self.schema, self.view_name)

    def statements(self, ddl: ViewDDL) -> list[str]:
        return ddl.refresh_materialized(self.view_name, self.schema, self.concurrently)


ViewOperation = CreateViewOp | DropViewOp | ReplaceViewOp | RefreshMaterializedViewOp


def _implement(operations: Operations, operation: ViewOperation) -> None:
    _run(operations, operation.statements(_ddl(operations)))


for _op_class in (
    CreateViewOp,
    DropViewOp,
    ReplaceViewOp,
    CreateMaterializedViewOp,
    DropMaterializedViewOp,
    RefreshMaterializedViewOp,
):
    Operations.implementation_for(_op_class)(_implement)


@Operations.implementation_for(ViewStepsOp)
def _implement_steps(operations: Operations, operation: ViewStepsOp) -> None:
    for step in operation.steps:
        operations.invoke(step)


class DropViewIndexOp(DropIndexExactlyOp):
    """``op.drop_index`` on a materialized view, reversed into exactly the index it drops."""


def render_sql(sql: str) -> str:
    """A SQL text as a Python literal; one that spans lines as one literal per line in
    parentheses.  Not triple-quoted: Alembic indents every rendered line, the inside of a
    triple-quoted string too, and the database would store the text with those spaces."""
    lines = sql.splitlines(keepends=True)
    if len(lines) < 2:
        return repr(sql)
    return "(\n" + "".join(f"    {line!r}\n" for line in lines) + ")"


def _prefix(autogen_context: AutogenContext) -> str:
    autogen_context.imports.add(_IMPORT)
    return autogen_context.opts.get("alembic_module_prefix") or "op."


def _schema(schema: str | None) -> str:
    return f", schema={schema!r}" if schema else ""


@renderers.dispatch_for(CreateViewOp)
def _render_create(autogen_context: AutogenContext, op: CreateViewOp) -> str:
    prefix = _prefix(autogen_context)
    return f"{prefix}create_view({op.view_name!r}, {render_sql(op.definition)}{_schema(op.schema)})"


@renderers.dispatch_for(CreateMaterializedViewOp)
def _render_create_materialized(
    autogen_context: AutogenContext, op: CreateMaterializedViewOp
) -> str:
    prefix = _prefix(autogen_context)
    args = [repr(op.view_name), render_sql(op.definition)]
    if op.schema:
        args.append(f"schema={op.schema!r}")
    if op.indexes:
        autogen_context.imports.add(_INDEX_IMPORT)
        rendered = ", ".join(
            f"ViewIndex({i.name!r}, {list(i.columns)!r}{', unique=True' if i.unique else ''})"
            for i in op.indexes
        )
        args.append(f"indexes=[{rendered}]")
    if not op.with_data:
        args.append("with_data=False")
    return f"{prefix}create_materialized_view({', '.join(args)})"


@renderers.dispatch_for(DropViewOp)
def _render_drop(autogen_context: AutogenContext, op: DropViewOp) -> str:
    return f"{_prefix(autogen_context)}drop_view({op.view_name!r}{_schema(op.schema)})"


@renderers.dispatch_for(DropMaterializedViewOp)
def _render_drop_materialized(autogen_context: AutogenContext, op: DropMaterializedViewOp) -> str:
    prefix = _prefix(autogen_context)
    return f"{prefix}drop_materialized_view({op.view_name!r}{_schema(op.schema)})"


@renderers.dispatch_for(ReplaceViewOp)
def _render_replace(autogen_context: AutogenContext, op: ReplaceViewOp) -> str:
    # the old definition is not rendered: the downgrade, rendered from reverse(), holds it
    prefix = _prefix(autogen_context)
    return (
        f"{prefix}replace_view({op.view_name!r}, {render_sql(op.definition)}{_schema(op.schema)})"
    )


@renderers.dispatch_for(ViewStepsOp)
def _render_steps(autogen_context: AutogenContext, op: ViewStepsOp) -> list[str]:
    lines: list[str] = []
    for step in op.steps:
        lines.extend(render_op(autogen_context, step))
    return lines


@renderers.dispatch_for(RefreshMaterializedViewOp)
def _render_refresh(autogen_context: AutogenContext, op: RefreshMaterializedViewOp) -> str:
    prefix = _prefix(autogen_context)
    concurrently = ", concurrently=True" if op.concurrently else ""
    return f"{prefix}refresh_materialized_view({op.view_name!r}{_schema(op.schema)}{concurrently})"
