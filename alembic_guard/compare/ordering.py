"""Comparators that put Alembic's own table operations in an order that runs both ways
(plugin ``alembic_guard.renames``).

``drop_tables_after_their_foreign_keys``:
Alembic emits a removed table's ``drop_table`` before the table operations of the
tables that stay, so a revision that drops a table and the foreign keys into it drops
the table first: PostgreSQL and MariaDB refuse (other objects depend on it), and a
SQLite batch block then reflects a foreign key to a table that is gone.  The containers
dropping those foreign keys move before the first ``drop_table``; the downgrade,
reversed, creates the table before the foreign keys again.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from alembic.autogenerate.api import AutogenContext
from alembic.operations import ops
from alembic.util import PriorityDispatchResult
from sqlalchemy import Table

from ..dialects import database_for
from ..ops.notes import IndexTakenOverOp, add_note
from ..ops.renames import DropIndexExactlyOp


def dropped_foreign_keys(
    container: ops.ModifyTableOps,
) -> list[tuple[ops.DropConstraintOp, ops.CreateForeignKeyOp]]:
    """The container's foreign key drops, each with the create that restores it."""
    return [
        (op, op._reverse)
        for op in container.ops
        if isinstance(op, ops.DropConstraintOp) and isinstance(op._reverse, ops.CreateForeignKeyOp)
    ]


def _drops_foreign_key_into(
    container: ops.ModifyTableOps, dropped: set[tuple[str | None, str]]
) -> bool:
    return any(
        (restore.kw.get("referent_schema"), restore.referent_table) in dropped
        for _, restore in dropped_foreign_keys(container)
    )


def drop_tables_after_their_foreign_keys(
    autogen_context: AutogenContext, upgrade_ops: ops.UpgradeOps, schemas: set[str | None]
) -> PriorityDispatchResult:
    positions = [i for i, op in enumerate(upgrade_ops.ops) if isinstance(op, ops.DropTableOp)]
    if not positions:
        return PriorityDispatchResult.CONTINUE
    dropped = {
        (op.schema, op.table_name) for op in upgrade_ops.ops if isinstance(op, ops.DropTableOp)
    }
    first = positions[0]
    movers = [
        op
        for op in upgrade_ops.ops[first:]
        if isinstance(op, ops.ModifyTableOps) and _drops_foreign_key_into(op, dropped)
    ]
    if movers:
        moved = {id(op) for op in movers}
        rest = [op for op in upgrade_ops.ops if id(op) not in moved]
        upgrade_ops.ops = rest[:first] + movers + rest[first:]
    return PriorityDispatchResult.CONTINUE


def drop_foreign_key_indexes(
    autogen_context: AutogenContext, upgrade_ops: ops.UpgradeOps, schemas: set[str | None]
) -> PriorityDispatchResult:
    """MySQL and MariaDB make an index, named after the foreign key, for a foreign key
    that has none.  Dropping the foreign key leaves it behind, and the next ``alembic
    check`` reports it: it goes right after its foreign key (and the downgrade creates it
    again before the foreign key, which then uses it).  A new index that covers the
    foreign key replaces it: the downgrade creates it again before dropping that index."""
    dialect = autogen_context.dialect
    inspector = autogen_context.inspector
    if dialect is None or not database_for(dialect).indexes_foreign_keys or inspector is None:
        return PriorityDispatchResult.CONTINUE
    dropped_tables = {
        (op.schema, op.table_name) for op in upgrade_ops.ops if isinstance(op, ops.DropTableOp)
    }
    # a renamed table's container names it as renamed; the database still has the old name
    in_database = {
        (op.schema, op.new_table_name): op.table_name
        for op in upgrade_ops.ops
        if isinstance(op, ops.RenameTableOp)
    }
    created = {
        (op.schema, op.table_name) for op in upgrade_ops.ops if isinstance(op, ops.CreateTableOp)
    }
    model_indexes = {
        (table.schema, table.name): {str(index.name) for index in table.indexes}
        for table in _model_tables(autogen_context)
    }
    reflection = _BulkKeys(inspector)
    for container in upgrade_ops.ops:
        if not isinstance(container, ops.ModifyTableOps):
            continue
        key = (container.schema, container.table_name)
        if key in dropped_tables or key in created:
            continue
        fk_drops: list[ops.MigrateOperation] = [
            drop for drop, _ in dropped_foreign_keys(container) if drop.constraint_name
        ]
        index_creates = [op for op in container.ops if isinstance(op, _COVERING)]
        if not fk_drops and not index_creates:
            continue
        # Alembic drops indexes before foreign keys; an index a foreign key needs cannot go
        # first (1553); the downgrade, reversed, then creates the index before the key
        container.ops = fk_drops + [op for op in container.ops if op not in fk_drops]
        gone = {op.column_name for op in container.ops if isinstance(op, ops.DropColumnOp)}
        indexes, foreign_keys = reflection.of(
            container.schema, in_database.get(key, container.table_name)
        )
        reflected = {str(index["name"]): index for index in indexes}
        implicit = _implicit_indexes(foreign_keys, reflected)
        arranged: list[ops.MigrateOperation] = []
        for op in container.ops:
            arranged.append(op)
            if isinstance(op, _COVERING):
                columns = [str(getattr(c, "name", c)) for c in op.columns]
                for name, fk_columns in implicit.items():
                    if columns[: len(fk_columns)] == fk_columns and name not in model_indexes.get(
                        key, set()
                    ):
                        arranged.append(_taken_over(name, container, fk_columns, dialect))
                continue
            if op not in fk_drops or not isinstance(op, ops.DropConstraintOp):
                continue
            name = str(op.constraint_name)
            index = reflected.get(name)
            if (
                index is None
                or index.get("unique")
                or name in model_indexes.get(key, set())
                or gone & {str(c) for c in index["column_names"]}
            ):
                continue
            restore = ops.CreateIndexOp(
                name,
                container.table_name,
                [str(c) for c in index["column_names"]],
                schema=container.schema,
            )
            arranged.append(
                DropIndexExactlyOp(
                    name, container.table_name, schema=container.schema, _reverse=restore
                )
            )
        container.ops = arranged
    return PriorityDispatchResult.CONTINUE


#: what makes a new index a foreign key can use instead of the database's own
_COVERING = (ops.CreateIndexOp, ops.CreateUniqueConstraintOp)


def _taken_over(
    name: str, container: ops.ModifyTableOps, columns: list[str], dialect: Any
) -> ops.MigrateOperation:
    """MariaDB: drop it if it is still there (the upgrade after a downgrade finds the one
    the downgrade made, which the database no longer drops itself); MySQL has no DROP
    INDEX IF EXISTS, so there it is a comment whose reverse creates the index."""
    if database_for(dialect).drops_index_if_exists(dialect):
        restore = ops.CreateIndexOp(name, container.table_name, columns, schema=container.schema)
        op = DropIndexExactlyOp(
            name, container.table_name, schema=container.schema, if_exists=True, _reverse=restore
        )
        add_note(
            op,
            f"index {name} backed the foreign key on {', '.join(columns)}; the new index "
            f"covers it now (MariaDB drops its own index itself; the downgrade creates it "
            f"again before it drops the new one)",
        )
        return op
    return IndexTakenOverOp(name, container.table_name, columns, schema=container.schema)


class _BulkKeys:
    """A schema's indexes and foreign keys, read in one reflection per schema (and only
    for a schema where a container needs them)."""

    def __init__(self, inspector: Any) -> None:
        self.inspector = inspector
        self.by_schema: dict[str | None, tuple[dict[Any, Any], dict[Any, Any]]] = {}

    def of(self, schema: str | None, table: str) -> tuple[list[Any], list[Any]]:
        if schema not in self.by_schema:
            self.by_schema[schema] = (
                self.inspector.get_multi_indexes(schema=schema),
                self.inspector.get_multi_foreign_keys(schema=schema),
            )
        indexes, foreign_keys = self.by_schema[schema]
        return list(indexes.get((schema, table), [])), list(foreign_keys.get((schema, table), []))


def _implicit_indexes(foreign_keys: list[Any], reflected: dict[str, Any]) -> dict[str, list[str]]:
    """name -> columns of the indexes the database made for the table's foreign keys (as
    Alembic's MySQL comparison tells them: named after the foreign key or its column)."""
    found: dict[str, list[str]] = {}
    for fk in foreign_keys:
        columns = list(fk["constrained_columns"])
        for name in (fk.get("name"), columns[0] if columns else None):
            index = reflected.get(str(name)) if name else None
            if (
                index is not None
                and not index.get("unique")
                and list(index["column_names"]) == columns
            ):
                found[str(name)] = columns
    return found


def _model_tables(autogen_context: AutogenContext) -> list[Table]:
    metadata = autogen_context.metadata
    if metadata is None:
        return []
    found: list[Table] = []
    for one in metadata if isinstance(metadata, Sequence) else [metadata]:
        found.extend(one.tables.values())
    return found
