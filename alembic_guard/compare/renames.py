"""Plugin ``alembic_guard.renames``: renamed tables and columns, not drop + add.

A schema-level comparator at priority LAST: it reads what Alembic's own
comparators produced (a ``DropTableOp``/``CreateTableOp`` pair; a
``DropColumnOp``/``AddColumnOp`` pair in one table) and rewrites the pairs
it is sure of into renames, explaining each in the generated script:

* a hint wins: ``info={"renamed_from": "old"}`` on a Column or Table;
* ``rename_deny`` pairs never rename;
* otherwise :mod:`alembic_guard.matching` scores every pair and takes the
  best one-to-one assignment; at or above ``rename_threshold`` the pair is
  renamed, above ``rename_candidates`` it stays a drop + add with a comment
  naming the candidate;
* with ``interactive_renames`` on a terminal, each candidate is asked.

Indexes, unique constraints, foreign keys and CHECKs that followed a renamed
column are not dropped and re-created: equal ones are left alone, and ones
whose (convention-derived) name changed are renamed where the database can.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Hashable, Iterable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from alembic.autogenerate.api import AutogenContext
from alembic.operations import ops
from alembic.util import PriorityDispatchResult
from sqlalchemy import Column, ForeignKeyConstraint, Table, UniqueConstraint
from sqlalchemy.engine import Dialect

from ..config import GuardSettings, settings_of
from ..dialects import database_for, database_named
from ..errors import GuardError
from ..keys import expression_key, with_columns_renamed
from ..matching import (
    ColumnProfile,
    TableProfile,
    assign,
    column_evidence,
    column_scores,
    table_name_similarity,
    table_score,
)
from ..ops.checks import (
    UNNAMED_AFTER,
    UNNAMED_BEFORE,
    AddUnnamedCheckOp,
    CreateCheckOp,
    DropCheckOp,
    DropUnnamedCheckOp,
    SqliteCheckBatchOps,
)
from ..ops.notes import add_note
from ..ops.renames import (
    DropIndexExactlyOp,
    NativeColumnRenamesOps,
    RenameColumnOp,
    RenameConstraintOp,
    RenameIndexOp,
    RenameTableOp,
)
from .ordering import dropped_foreign_keys

RENAMED_FROM = "renamed_from"

Asker = Callable[[str], bool]


def _family(column: Column[Any], dialect: str) -> Hashable:
    affinity = column.type._type_affinity
    name = affinity.__name__ if affinity is not None else type(column.type).__name__
    if name == "Float":
        return "Numeric"
    if name == "Boolean" and database_named(dialect).stores_boolean_as_integer:
        return "Integer"
    return name


_BOOLEAN_LITERALS = {"true": "1", "false": "0"}


def _default_key(column: Column[Any], dialect: str) -> Hashable:
    default = column.server_default
    if default is None:
        return None
    argument = getattr(default, "arg", default)
    text = str(getattr(argument, "text", argument)).strip()
    # MySQL reports TRUE as 1 and a numeric default as a quoted string
    text = _BOOLEAN_LITERALS.get(text.lower(), text)
    unquoted = text[1:-1] if len(text) > 1 and text[0] == text[-1] == "'" else text
    if unquoted.replace(".", "", 1).lstrip("-").isdigit():
        text = unquoted
    return expression_key(text, dialect) or text


def _membership(column: Column[Any]) -> Hashable:
    table = column.table
    unique = bool(column.unique) or any(
        isinstance(c, UniqueConstraint) and [x.name for x in c.columns] == [column.name]
        for c in table.constraints
    )
    indexed = bool(column.index)
    # MariaDB/MySQL create an index behind every foreign key, named after it: not the model's
    implicit = {
        str(c.name) for c in table.constraints if isinstance(c, ForeignKeyConstraint) and c.name
    }
    for index in table.indexes:
        names = [c.name for c in index.columns]
        if column.name not in names or str(index.name) in implicit:
            continue
        # a unique index is how some databases report a unique constraint
        if index.unique and names == [column.name]:
            unique = True
        else:
            indexed = True
    # reflection can list one foreign key twice
    targets = tuple(sorted({fk.target_fullname.rsplit(".", 1)[0] for fk in column.foreign_keys}))
    return (bool(column.primary_key), unique, indexed, targets)


def _type_key(column: Column[Any], dialect: Dialect) -> Hashable:
    try:
        return str(column.type.compile(dialect=dialect)).lower()
    except Exception:  # a type the dialect cannot compile: compare its repr
        return repr(column.type)


def profile(column: Column[Any], position: int, dialect: Dialect) -> ColumnProfile:
    return ColumnProfile(
        name=column.name,
        family=_family(column, dialect.name),
        type_key=_type_key(column, dialect),
        nullable=bool(column.nullable),
        default=_default_key(column, dialect.name),
        membership=_membership(column),
        position=position,
    )


def _label(schema: str | None, name: str) -> str:
    return f"{schema}.{name}" if schema else name


@dataclass
class _Pair:
    """A decided (dropped, added) pair and why."""

    source: int
    target: int
    score: float
    forced: str | None = None  # "hint" or "answered yes"
    evidence: tuple[str, ...] = field(default=())


class RenameDetector:
    """Rewrites drop + add pairs of one autogenerate run into renames."""

    def __init__(
        self, autogen_context: AutogenContext, settings: GuardSettings, ask: Asker | None
    ) -> None:
        assert autogen_context.dialect is not None
        self.autogen_context = autogen_context
        self.dialect = autogen_context.dialect
        self.settings = settings
        self.ask = ask
        self.denied = {(old.lower(), new.lower()) for old, new in settings.rename_deny}
        #: index/constraint drops and creates kept beside a column rename: the drops must
        #: run before the rename and the creates after it (see _around_renames)
        self.before_renames: list[ops.MigrateOperation] = []
        self.after_renames: list[ops.MigrateOperation] = []
        #: (schema, old table) -> new table; (schema, table as renamed) -> {old: new column}
        self.renamed_tables: dict[tuple[str | None, str], str] = {}
        self.renamed_columns: dict[tuple[str | None, str], dict[str, str]] = {}
        #: SQLite: a named CHECK over a renamed column, dropped first and re-created last
        #: in the rename's own batch block
        self.first_in_batch: list[ops.MigrateOperation] = []
        self.last_in_batch: list[ops.MigrateOperation] = []
        #: the container being worked on renames its columns with ALTER TABLE (SQLite)
        self.renames_natively = False

    # -- deciding -----------------------------------------------------------

    def _is_denied(self, old: str, new: str) -> bool:
        """``old``/``new`` as "table.column" (or table names); the deny list may give the
        new column without its table, as in ``users.email -> email_address``."""
        old, new = old.lower(), new.lower()
        return (old, new) in self.denied or (old, new.rsplit(".", 1)[-1]) in self.denied

    def decide(
        self,
        scores: Any,
        hints: dict[int, int],
        labels: Callable[[int, int], tuple[str, str]],
    ) -> tuple[list[_Pair], list[_Pair]]:
        """(renames, candidates kept as drop + add) from a score matrix and hints."""
        chosen = [
            _Pair(s, t, float(scores[s, t]) if scores.size else 1.0, forced="hint")
            for t, s in hints.items()
        ]
        scores = scores.copy()
        for pair in chosen:
            scores[pair.source, :] = 0.0
            scores[:, pair.target] = 0.0
        if self.denied:
            for s, t in zip(*np.nonzero(scores), strict=True):
                if self._is_denied(*labels(int(s), int(t))):
                    scores[s, t] = 0.0
        floor = min(self.settings.rename_candidates, self.settings.rename_threshold)
        kept: list[_Pair] = []
        for s, t, score in assign(scores, floor):
            pair = _Pair(s, t, score)
            if self.ask is not None:
                old, new = labels(s, t)
                if self.ask(f"Rename {old} -> {new}? (score {score:.2f}) [y/N] "):
                    pair.forced = "answered yes"
                    chosen.append(pair)
                else:
                    kept.append(pair)
            elif score >= self.settings.rename_threshold:
                chosen.append(pair)
            else:
                kept.append(pair)
        return chosen, kept

    # -- columns ------------------------------------------------------------

    def rename_columns(self, container: ops.ModifyTableOps) -> None:
        drops = [op for op in container.ops if isinstance(op, ops.DropColumnOp)]
        adds = [op for op in container.ops if isinstance(op, ops.AddColumnOp)]
        table = container.table_name
        hints = self._column_hints(table, drops, adds)
        # same-named tables live in several schemas: say which one
        label = _label(container.schema, table)
        if not drops or not adds:
            return
        old_columns = [d.to_column() for d in drops]
        new_columns = [a.column for a in adds]
        dropped = [
            profile(c, p, self.dialect)
            for c, p in zip(old_columns, _positions(old_columns), strict=True)
        ]
        added = [
            profile(c, p, self.dialect)
            for c, p in zip(new_columns, _positions(new_columns), strict=True)
        ]
        same_type = self._same_type(old_columns, new_columns)
        scores = column_scores(dropped, added, same_type)

        def labels(s: int, t: int) -> tuple[str, str]:
            return f"{label}.{dropped[s].name}", f"{label}.{added[t].name}"

        renames, kept = self.decide(scores, hints, labels)
        mapping: dict[str, str] = {}
        replaced: dict[int, ops.MigrateOperation] = {}
        removed: set[int] = set()
        for pair in renames:
            old, new = old_columns[pair.source], new_columns[pair.target]
            rename = self._rename_column_op(container, old, new)
            evidence = column_evidence(
                dropped[pair.source], added[pair.target], bool(same_type[pair.source, pair.target])
            )
            reason = (
                pair.forced or f"score {pair.score:.2f} >= {self.settings.rename_threshold:.2f}"
            )
            add_note(
                rename,
                f"rename {label}.{old.name} -> {new.name} ({reason}: {', '.join(evidence)}). "
                f"Stock autogenerate would drop and re-add it, losing its data.",
            )
            replaced[id(adds[pair.target])] = rename
            removed.add(id(drops[pair.source]))
            mapping[old.name] = new.name
        for pair in kept:
            source, target = dropped[pair.source], added[pair.target]
            add_note(
                adds[pair.target],
                f"possible rename {label}.{source.name} -> {target.name} (score {pair.score:.2f}, "
                f"below {self.settings.rename_threshold:.2f}: "
                f"{', '.join(column_evidence(source, target, bool(same_type[pair.source, pair.target])))}). If it "
                f"is one, set info={{'renamed_from': '{source.name}'}} on the column and autogenerate again.",
            )
        container.ops = [replaced.get(id(op), op) for op in container.ops if id(op) not in removed]
        self.renames_natively = self._renames_natively(container)
        if mapping:
            self.renamed_columns[(container.schema, table)] = mapping
            self.carry_dependents(container, mapping)

    def _renames_natively(self, container: ops.ModifyTableOps) -> bool:
        """SQLite renames the container's columns with ALTER TABLE ... RENAME COLUMN: every
        rename is only a rename, and the library is 3.25 or newer.  (A rename that also
        changes the column needs the batch rebuild, and then all of them stay in it, so the
        downgrade finds every column under the name it expects.)"""
        renames = [op for op in container.ops if isinstance(op, RenameColumnOp)]
        if database_for(self.dialect).alters_in_place or not renames:
            return False
        if isinstance(container, SqliteCheckBatchOps) or any(
            isinstance(op, (AddUnnamedCheckOp, DropUnnamedCheckOp)) for op in container.ops
        ):
            # the unnamed CHECKs are rewritten through the rebuild's table_args, in the
            # same block as the renames they follow
            return False
        version = getattr(self.dialect.dbapi, "sqlite_version_info", (0,))
        return tuple(version) >= (3, 25) and not any(op.has_changes() for op in renames)

    def _same_type(self, old: list[Column[Any]], new: list[Column[Any]]) -> np.ndarray:
        """Alembic's own verdict (``impl.compare_type``) on whether two types are the same,
        asked once per distinct pair of type spellings, not once per column pair."""
        impl = self.autogen_context.migration_context.impl
        old_keys = [_type_key(c, self.dialect) for c in old]
        new_keys = [_type_key(c, self.dialect) for c in new]
        first_old = dict(zip(old_keys, old, strict=True))
        first_new = dict(zip(new_keys, new, strict=True))
        verdict = {
            (ko, kn): not impl.compare_type(first_old[ko], first_new[kn])
            for ko in first_old
            for kn in first_new
        }
        same = [[verdict[(ko, kn)] for kn in new_keys] for ko in old_keys]
        return np.array(same, dtype=bool).reshape(len(old), len(new))

    def _column_hints(
        self, table: str, drops: list[ops.DropColumnOp], adds: list[ops.AddColumnOp]
    ) -> dict[int, int]:
        hints: dict[int, int] = {}
        by_name = {d.column_name: i for i, d in enumerate(drops)}
        for t, add in enumerate(adds):
            old = add.column.info.get(RENAMED_FROM)
            if not old:
                continue
            if old not in by_name:
                raise GuardError(
                    f"Column {table}.{add.column.name} says info={{'renamed_from': {old!r}}}, "
                    f"but the database has no column {table}.{old} that the model drops "
                    f"(dropped here: {', '.join(sorted(by_name)) or 'none'}). Remove the hint or "
                    f"correct the old name."
                )
            hints[t] = by_name[old]
        return hints

    def _rename_column_op(
        self, container: ops.ModifyTableOps, old: Column[Any], new: Column[Any]
    ) -> RenameColumnOp:
        impl = self.autogen_context.migration_context.impl
        kw: dict[str, Any] = {
            "existing_type": old.type,
            "existing_nullable": old.nullable,
            "existing_server_default": old.server_default,
            "existing_comment": old.comment,
        }
        if impl.compare_type(old, new):
            kw["modify_type"] = new.type
        if bool(old.nullable) != bool(new.nullable):
            kw["modify_nullable"] = new.nullable
        if _default_key(old, self.dialect.name) != _default_key(new, self.dialect.name):
            kw["modify_server_default"] = new.server_default
        return RenameColumnOp(
            container.table_name, old.name, new.name, schema=container.schema, **kw
        )

    # -- what follows a renamed column ---------------------------------------

    def carry_dependents(self, container: ops.ModifyTableOps, mapping: dict[str, str]) -> None:
        """Indexes and constraints that only changed because their column was renamed."""
        drops = [
            op
            for op in container.ops
            if _dependent_signature(op, mapping, self.dialect.name, old=True)
        ]
        creates = [
            op
            for op in container.ops
            if _dependent_signature(op, mapping, self.dialect.name, old=False)
        ]
        replaced: dict[int, ops.MigrateOperation | None] = {}
        for drop in drops:
            signature = _dependent_signature(drop, mapping, self.dialect.name, old=True)
            for create in creates:
                if id(create) in replaced:
                    continue
                if _dependent_signature(create, mapping, self.dialect.name, old=False) != signature:
                    continue
                old_name, new_name = _dependent_name(drop), _dependent_name(create)
                if old_name == new_name and self._rebuild_copies_text(drop):
                    # the batch rebuild would copy the reflected text, old column names and
                    # all: drop it before the renames and create it after, in the same block
                    self.first_in_batch.append(drop)
                    self.last_in_batch.append(create)
                    replaced[id(drop)], replaced[id(create)] = drop, create
                elif old_name == new_name:
                    replaced[id(drop)] = replaced[id(create)] = None
                else:
                    rename = self._rename_dependent(
                        container.table_name,
                        container.schema,
                        _dependent_kind(drop),
                        old_name,
                        new_name,
                    )
                    if rename is not None:
                        replaced[id(drop)] = None
                        replaced[id(create)] = rename
                break
        # what stays a drop or a create still names columns by their old or new names
        self.before_renames.extend(op for op in drops if id(op) not in replaced)
        self.after_renames.extend(op for op in creates if id(op) not in replaced)
        kept_ops: list[ops.MigrateOperation] = []
        for op in container.ops:
            replacement = replaced.get(id(op), op)
            if replacement is not None:
                kept_ops.append(replacement)
        container.ops = kept_ops

    def _rebuild_copies_text(self, drop: ops.MigrateOperation) -> bool:
        """SQLite renames a column by rebuilding the table (batch mode), which copies a
        named CHECK's reflected SQL verbatim; the other databases rewrite it themselves."""
        return (
            not database_for(self.dialect).alters_in_place
            and isinstance(drop, DropCheckOp)
            and not self.renames_natively
        )

    def _rename_dependent(
        self, table: str, schema: str | None, kind: str, old: str, new: str
    ) -> ops.MigrateOperation | None:
        database = database_for(self.dialect)
        is_index = kind == "index" or (kind == "unique" and database.unique_constraints_are_indexes)
        op: ops.MigrateOperation
        if is_index and database.renames_indexes:
            op = RenameIndexOp(table, old, new, schema=schema)
        elif not is_index and database.renames_constraints:
            op = RenameConstraintOp(table, old, new, schema=schema)
        else:
            return None  # SQLite, or a MySQL constraint: drop and create stay
        add_note(
            op,
            f"{kind} {old} is renamed to {new}, its name derived from the renamed column or table",
        )
        return op

    # -- tables -------------------------------------------------------------

    def rename_tables(self, upgrade_ops: ops.UpgradeOps) -> None:
        drops = [op for op in upgrade_ops.ops if isinstance(op, ops.DropTableOp)]
        creates = [op for op in upgrade_ops.ops if isinstance(op, ops.CreateTableOp)]
        hints = self._table_hints(drops, creates)
        if not drops or not creates:
            return
        old_tables = [_dropped_table(d) for d in drops]
        new_tables = [_created_table(c) for c in creates]
        old_profiles = [_table_profile(t, self.dialect.name) for t in old_tables]
        new_profiles = [_table_profile(t, self.dialect.name) for t in new_tables]
        scores = np.array(
            [
                [
                    table_score(old_profiles[i], new_profiles[j]) if d.schema == c.schema else 0.0
                    for j, c in enumerate(new_tables)
                ]
                for i, d in enumerate(old_tables)
            ]
        ).reshape(len(old_tables), len(new_tables))

        def labels(s: int, t: int) -> tuple[str, str]:
            return old_tables[s].name, new_tables[t].name

        renames, kept = self.decide(scores, hints, labels)
        for pair in kept:
            old, new = old_tables[pair.source], new_tables[pair.target]
            add_note(
                creates[pair.target],
                f"possible rename of table {old.name} -> {new.name} (score {pair.score:.2f}, below "
                f"{self.settings.rename_threshold:.2f}). If it is one, set "
                f"info={{'renamed_from': '{old.name}'}} on the table and autogenerate again.",
            )
        for pair in renames:
            self._apply_table_rename(
                upgrade_ops,
                drops[pair.source],
                creates[pair.target],
                old_tables[pair.source],
                new_tables[pair.target],
                pair,
                old_profiles[pair.source],
                new_profiles[pair.target],
            )

    def _table_hints(
        self, drops: list[ops.DropTableOp], creates: list[ops.CreateTableOp]
    ) -> dict[int, int]:
        hints: dict[int, int] = {}
        by_name = {(d.schema, d.table_name): i for i, d in enumerate(drops)}
        for t, create in enumerate(creates):
            old = _created_table(create).info.get(RENAMED_FROM)
            if not old:
                continue
            key = (create.schema, old)
            if key not in by_name:
                raise GuardError(
                    f"Table {create.table_name} says info={{'renamed_from': {old!r}}}, but the "
                    f"database has no table {old} that the model drops (dropped here: "
                    f"{', '.join(sorted(n for _, n in by_name)) or 'none'}). Remove the hint or "
                    f"correct the old name."
                )
            hints[t] = by_name[key]
        return hints

    def _apply_table_rename(
        self,
        upgrade_ops: ops.UpgradeOps,
        drop: ops.DropTableOp,
        create: ops.CreateTableOp,
        old: Table,
        new: Table,
        pair: _Pair,
        old_profile: TableProfile,
        new_profile: TableProfile,
    ) -> None:
        rename = RenameTableOp(old.name, new.name, schema=new.schema)
        self.renamed_tables[(old.schema, old.name)] = new.name
        shared = len(old_profile.columns & new_profile.columns)
        reason = pair.forced or f"score {pair.score:.2f} >= {self.settings.rename_threshold:.2f}"
        add_note(
            rename,
            f"rename table {_label(new.schema, old.name)} -> {new.name} ({reason}: {shared} of "
            f"{len(old_profile.columns | new_profile.columns)} column definitions shared, "
            f"{'same' if old_profile.keys == new_profile.keys else 'different'} indexes and "
            f"constraints, name similarity {table_name_similarity(old.name, new.name):.2f}). "
            f"Stock autogenerate would drop it, "
            f"losing its rows, and create an empty one.",
        )
        container = ops.ModifyTableOps(new.name, [], schema=new.schema)
        container.ops.extend(self._column_diffs(old, new))
        container.ops.extend(self._key_diffs(old, new))
        container.ops.extend(self._check_diffs(old, new, container))
        # the new table's own container holds the indexes Alembic would create with it
        followers = [
            op
            for op in upgrade_ops.ops
            if isinstance(op, ops.ModifyTableOps)
            and (op.schema, op.table_name) in ((new.schema, new.name), (old.schema, old.name))
        ]
        for follower in followers:
            if follower.table_name == new.name:
                container.ops.extend(
                    op for op in follower.ops if not isinstance(op, ops.CreateIndexOp)
                )
        position = upgrade_ops.ops.index(create)
        upgrade_ops.ops[position] = rename
        upgrade_ops.ops = [op for op in upgrade_ops.ops if op is not drop and op not in followers]
        if container.ops:
            # its column pairs are renamed by the column pass that follows
            upgrade_ops.ops.insert(upgrade_ops.ops.index(rename) + 1, container)

    def _column_diffs(self, old: Table, new: Table) -> list[ops.MigrateOperation]:
        found: list[ops.MigrateOperation] = []
        impl = self.autogen_context.migration_context.impl
        for column in new.columns:
            if column.name not in old.c:
                found.append(
                    ops.AddColumnOp.from_column_and_tablename(new.schema, new.name, column)
                )
            else:
                before = old.c[column.name]
                alter = ops.AlterColumnOp(
                    new.name,
                    column.name,
                    schema=new.schema,
                    existing_type=before.type,
                    existing_nullable=before.nullable,
                    existing_server_default=before.server_default,
                )
                if impl.compare_type(before, column):
                    alter.modify_type = column.type
                if bool(before.nullable) != bool(column.nullable):
                    alter.modify_nullable = column.nullable
                if alter.has_changes():
                    found.append(alter)
        for column in old.columns:
            if column.name not in new.c:
                found.append(
                    ops.DropColumnOp.from_column_and_tablename(new.schema, new.name, column)
                )
        return found

    def _key_diffs(self, old: Table, new: Table) -> list[ops.MigrateOperation]:
        """Indexes, unique constraints and foreign keys of a renamed table.

        An equal one (same kind and columns) is carried by the rename; one whose
        (convention-derived) name changed is renamed where the database can, else
        dropped and created; the rest are created or dropped.
        """
        found: list[ops.MigrateOperation] = []
        ignored = self._implicit_indexes(old, new)
        remaining = [k for k in _table_keys(old) if not (k.is_index and k.name in ignored)]
        for key in _table_keys(new):
            if key.is_index and key.name in ignored:
                continue
            twin = next((k for k in remaining if k.signature == key.signature), None)
            if twin is None:
                found.append(key.create(new))
                continue
            remaining.remove(twin)
            if twin.name == key.name or not twin.name or not key.name:
                continue
            marker = twin.drop(new)
            rename = self._rename_dependent(
                new.name, new.schema, _dependent_kind(marker), twin.name, key.name
            )
            found.extend([rename] if rename is not None else [marker, key.create(new)])
        found.extend(key.drop(new) for key in remaining if key.name)
        found.extend(self._primary_key_rename(old, new))
        return found

    def _primary_key_rename(self, old: Table, new: Table) -> list[ops.MigrateOperation]:
        """A primary key the model names (itself or by convention) whose name changes with
        the table's. PostgreSQL keeps the old name across the rename, and its index holds
        that name in the schema's namespace, so a new table taking the old table's name
        would fail "relation pk_... already exists". MySQL names every primary key PRIMARY,
        SQLite's names share no namespace: there it stays."""
        before, after = old.primary_key.name, new.primary_key.name
        if not before or not after or str(before) == str(after):
            return []
        rename = self._rename_dependent(new.name, new.schema, "primary", str(before), str(after))
        return [rename] if rename is not None else []

    def _implicit_indexes(self, old: Table, new: Table) -> set[str]:
        """Index names Alembic's own comparison leaves out for this database (MySQL and
        MariaDB create an index behind a foreign key that has none: dropping it fails with
        1553), found the way Alembic finds them: the dialect's
        ``correct_for_autogen_constraints`` on the reflected and the model's indexes."""
        impl = self.autogen_context.migration_context.impl
        conn_indexes, model_indexes = set(old.indexes), set(new.indexes)
        before = {str(i.name) for i in conn_indexes} | {str(i.name) for i in model_indexes}
        conn_uniques = {c for c in old.constraints if isinstance(c, UniqueConstraint)}
        model_uniques = {c for c in new.constraints if isinstance(c, UniqueConstraint)}
        impl.correct_for_autogen_constraints(
            conn_uniques, conn_indexes, model_uniques, model_indexes
        )
        after = {str(i.name) for i in conn_indexes} | {str(i.name) for i in model_indexes}
        return before - after

    def _check_diffs(
        self, old: Table, new: Table, container: ops.ModifyTableOps
    ) -> list[ops.MigrateOperation]:
        if not self.settings.checks:
            return []
        from . import checks

        comparison = checks.comparison_for(self.autogen_context)
        db_checks = comparison.checks_in(old.schema).get(old.name, [])
        decision = comparison.decide_pair(new, list(db_checks))
        checks.remember_unnamed(container, decision)
        return checks.table_check_ops(
            self.autogen_context, comparison, decision, new.schema, new.name, old, new, db_checks
        )


@dataclass(frozen=True)
class _Key:
    """An index, unique constraint or foreign key, by what it covers."""

    kind: str  # "index", "unique" or "foreignkey"
    name: str
    columns: tuple[str, ...]
    #: foreign keys: the referred schema (None: the default one), table and columns
    referred: tuple[str | None, str, tuple[str, ...]] | None = None
    is_index: bool = False  # a unique index rather than a unique constraint

    @property
    def signature(self) -> Hashable:
        return (self.kind, self.columns, self.referred)

    def create(self, table: Table) -> ops.MigrateOperation:
        if self.kind == "foreignkey":
            assert self.referred is not None
            return ops.CreateForeignKeyOp(
                self.name,
                table.name,
                self.referred[1],
                list(self.columns),
                list(self.referred[2]),
                source_schema=table.schema,
                referent_schema=self.referred[0],
            )
        if self.kind == "unique" and not self.is_index:
            return ops.CreateUniqueConstraintOp(
                self.name, table.name, list(self.columns), schema=table.schema
            )
        return ops.CreateIndexOp(
            self.name,
            table.name,
            list(self.columns),
            schema=table.schema,
            unique=self.kind == "unique",
        )

    def drop(self, table: Table) -> ops.MigrateOperation:
        """Drop it from the renamed table; the downgrade re-creates it on that table
        (which still has its new name when the downgrade gets there)."""
        restore = self.create(table)
        if isinstance(restore, ops.CreateIndexOp):
            return DropIndexExactlyOp(self.name, table.name, schema=table.schema, _reverse=restore)
        assert isinstance(restore, ops.AddConstraintOp)
        return ops.DropConstraintOp(
            self.name, table.name, type_=self.kind, schema=table.schema, _reverse=restore
        )


def _table_keys(table: Table) -> list[_Key]:
    """The table's keys; the index a database reports behind a unique constraint, and an
    index reflected twice, count once."""
    keys: list[_Key] = []
    for constraint in table.constraints:
        if isinstance(constraint, UniqueConstraint):
            keys.append(
                _Key(
                    "unique", str(constraint.name or ""), tuple(c.name for c in constraint.columns)
                )
            )
        elif isinstance(constraint, ForeignKeyConstraint):
            keys.append(
                _Key(
                    "foreignkey",
                    str(constraint.name or ""),
                    tuple(c.name for c in constraint.columns),
                    _referred(constraint),
                )
            )
    for index in {str(index.name): index for index in table.indexes}.values():
        columns = tuple(c.name for c in index.columns)
        kind = "unique" if index.unique else "index"
        if any(
            k.name == str(index.name) or (k.kind, k.columns) == (kind, columns)
            for k in keys
            if k.kind == "unique"
        ):
            continue
        keys.append(_Key(kind, str(index.name or ""), columns, is_index=True))
    return keys


def _positions(columns: list[Column[Any]]) -> list[int]:
    """Each column's place in its table (by identity: Column.__eq__ builds SQL)."""
    places: dict[int, dict[int, int]] = {}
    found = []
    for column in columns:
        table = column.table
        if id(table) not in places:
            places[id(table)] = {id(c): i for i, c in enumerate(table.columns)}
        found.append(places[id(table)][id(column)])
    return found


def _dropped_table(op: ops.DropTableOp) -> Table:
    reverse = op._reverse
    assert reverse is not None
    column = next(c for c in reverse.columns if isinstance(c, Column))
    return column.table


def _created_table(op: ops.CreateTableOp) -> Table:
    column = next(c for c in op.columns if isinstance(c, Column))
    return column.table


def _table_profile(table: Table, dialect: str) -> TableProfile:
    return TableProfile(
        name=table.name,
        columns=frozenset((c.name.lower(), _family(c, dialect)) for c in table.columns),
        keys=frozenset(key.signature for key in _table_keys(table)),
    )


def _referred(constraint: ForeignKeyConstraint) -> tuple[str | None, str, tuple[str, ...]]:
    """The referred schema (None: the default one), table and columns, from the spelled
    targets: a reflected table's referred table may not be in its MetaData.  The schema
    matters: the same table name can live in two schemas."""
    targets = [e.target_fullname.split(".") for e in constraint.elements]
    schema = ".".join(targets[0][:-2]) or None
    return schema, targets[0][-2], tuple(t[-1] for t in targets)


def _dependent_kind(op: ops.MigrateOperation) -> str:
    if isinstance(op, (ops.DropIndexOp, ops.CreateIndexOp)):
        return "index"
    if isinstance(op, (DropCheckOp, CreateCheckOp)):
        return "check"
    if isinstance(op, ops.DropConstraintOp):
        return str(op.constraint_type)
    if isinstance(op, ops.CreateForeignKeyOp):
        return "foreignkey"
    if isinstance(op, ops.CreateUniqueConstraintOp):
        return "unique"
    return ""


def _dependent_name(op: ops.MigrateOperation) -> str:
    name = getattr(op, "index_name", None) or getattr(op, "constraint_name", None)
    return str(name)


def _dependent_signature(
    op: ops.MigrateOperation, mapping: dict[str, str], dialect: str, *, old: bool
) -> Hashable | None:
    """What an index/constraint op covers, old column names mapped to new; None if not one."""

    def cols(items: Iterable[Any]) -> tuple[str, ...]:
        names = [str(getattr(item, "name", item)) for item in items]
        return tuple(mapping.get(n, n) if old else n for n in names)

    # a unique index and a unique constraint are one thing (MySQL reports the latter as the former)
    if old and isinstance(op, ops.DropIndexOp) and op._reverse is not None:
        return ("unique" if op._reverse.unique else "index", cols(op._reverse.columns))
    if not old and isinstance(op, ops.CreateIndexOp):
        return ("unique" if op.unique else "index", cols(op.columns))
    if old and isinstance(op, DropCheckOp):
        return (
            "check",
            expression_key(with_columns_renamed(op.sqltext, mapping, dialect), dialect),
        )
    if not old and isinstance(op, CreateCheckOp) and isinstance(op.condition, str):
        return ("check", expression_key(op.condition, dialect))
    if old and isinstance(op, ops.DropConstraintOp) and op._reverse is not None:
        reverse = op._reverse
        if isinstance(reverse, ops.CreateUniqueConstraintOp):
            return ("unique", cols(reverse.columns))
        if isinstance(reverse, ops.CreateForeignKeyOp):
            return _foreign_key_signature(reverse, cols(reverse.local_cols))
    if not old and isinstance(op, ops.CreateUniqueConstraintOp):
        return ("unique", cols(op.columns))
    if not old and isinstance(op, ops.CreateForeignKeyOp):
        return _foreign_key_signature(op, cols(op.local_cols))
    return None


def _foreign_key_signature(fk: ops.CreateForeignKeyOp, local: tuple[str, ...]) -> Hashable:
    target = (fk.kw.get("referent_schema"), fk.referent_table, tuple(fk.remote_cols))
    return ("foreignkey", local, *target)


def _terminal_asker(settings: GuardSettings) -> Asker | None:
    if not settings.interactive_renames or not sys.stdin.isatty():
        return None

    def ask(question: str) -> bool:
        return input(question).strip().lower() in ("y", "yes")

    return ask


#: tests replace this to answer the interactive question
asker_factory: Callable[[GuardSettings], Asker | None] = _terminal_asker


def detect_renames(
    autogen_context: AutogenContext, upgrade_ops: ops.UpgradeOps, schemas: set[str | None]
) -> PriorityDispatchResult:
    settings = settings_of(autogen_context.migration_context)
    if not settings.renames:
        return PriorityDispatchResult.CONTINUE
    detector = RenameDetector(autogen_context, settings, asker_factory(settings))
    detector.rename_tables(upgrade_ops)
    arranged: list[ops.MigrateOperation] = []
    for container in upgrade_ops.ops:
        if not isinstance(container, ops.ModifyTableOps):
            arranged.append(container)
            continue
        detector.before_renames, detector.after_renames = [], []
        detector.first_in_batch, detector.last_in_batch = [], []
        detector.renames_natively = False
        detector.rename_columns(container)
        before, after = detector.before_renames, detector.after_renames
        _around_renames(container, detector.first_in_batch, detector.last_in_batch)
        if detector.renames_natively:
            arranged.extend(_native_renames(container, before, after))
        elif (before or after) and not database_for(detector.dialect).alters_in_place:
            arranged.extend(_split_batches(container, before, after))
        else:
            _around_renames(container, before, after)
            arranged.append(container)
    upgrade_ops.ops = arranged
    if detector.renamed_tables or detector.renamed_columns:
        _follow_renamed_referents(upgrade_ops, detector.renamed_tables, detector.renamed_columns)
    return PriorityDispatchResult.CONTINUE


def _follow_renamed_referents(
    upgrade_ops: ops.UpgradeOps,
    tables: dict[tuple[str | None, str], str],
    columns: dict[tuple[str | None, str], dict[str, str]],
) -> None:
    """Foreign keys into a renamed table (or onto a renamed column) follow the rename on
    every database: a drop + create pair that only differs by that rename is left out (on
    PostgreSQL re-adding it would validate every row under lock).  A foreign key dropped
    for another reason is restored by the downgrade before the table gets its old name
    back, so its restore names the table as renamed."""

    Target = tuple[str | None, str, tuple[str, ...]]

    def renamed(fk: ops.CreateForeignKeyOp) -> Target:
        schema = fk.kw.get("referent_schema")
        table = tables.get((schema, fk.referent_table), fk.referent_table)
        mapping = columns.get((schema, table), {})
        return (schema, table, tuple(mapping.get(c, c) for c in fk.remote_cols))

    def signature(fk: ops.CreateForeignKeyOp, target: Target) -> Hashable:
        options = tuple(str(fk.kw.get(k) or "").upper() for k in ("ondelete", "onupdate"))
        return (tuple(fk.local_cols), target, options)

    for container in upgrade_ops.ops:
        if not isinstance(container, ops.ModifyTableOps):
            continue
        restores = {
            id(drop): restore
            for drop, restore in dropped_foreign_keys(container)
            if renamed(restore)[1:] != (restore.referent_table, tuple(restore.remote_cols))
        }
        if not restores:
            continue
        creates = [op for op in container.ops if isinstance(op, ops.CreateForeignKeyOp)]
        left_out: set[int] = set()
        for drop_id, restore in restores.items():
            target = renamed(restore)
            twin = next(
                (
                    c
                    for c in creates
                    if id(c) not in left_out
                    and (c.constraint_name in (None, restore.constraint_name))
                    and signature(
                        c, (c.kw.get("referent_schema"), c.referent_table, tuple(c.remote_cols))
                    )
                    == signature(restore, target)
                ),
                None,
            )
            if twin is not None:
                left_out.update((drop_id, id(twin)))
                continue
            restore.referent_table = target[1]
            restore.remote_cols = list(target[2])
        container.ops = [op for op in container.ops if id(op) not in left_out]
    upgrade_ops.ops = [
        op for op in upgrade_ops.ops if not (isinstance(op, ops.ModifyTableOps) and not op.ops)
    ]


def _around_renames(
    container: ops.ModifyTableOps,
    before: list[ops.MigrateOperation],
    after: list[ops.MigrateOperation],
) -> None:
    """Drop what cannot be renamed before the column renames, create it after them, so
    that the downgrade (the same list reversed) also finds each column under its name."""
    moved = {id(op) for op in before + after}
    container.ops = before + [op for op in container.ops if id(op) not in moved] + after


def _split_batches(
    container: ops.ModifyTableOps,
    before_ops: list[ops.MigrateOperation],
    after_ops: list[ops.MigrateOperation],
) -> list[ops.ModifyTableOps]:
    """SQLite: drop the old index/constraint before the rename's batch block and create
    the new one after it; Alembic's batch mode cannot create an index on a column that
    the same block renames (nor, in the downgrade, the reverse)."""
    moved = {id(op) for op in before_ops + after_ops}
    before = _part(container, before_ops, UNNAMED_BEFORE)
    after = _part(container, after_ops, UNNAMED_AFTER)
    container.ops = [op for op in container.ops if id(op) not in moved]
    return [part for part in (before, container, after) if part.ops]


def _native_renames(
    container: ops.ModifyTableOps,
    before_ops: list[ops.MigrateOperation],
    after_ops: list[ops.MigrateOperation],
) -> list[ops.ModifyTableOps]:
    """SQLite: what must go before the renames (its own batch block), the renames as
    ALTER TABLE statements, the container's other operations, then what must follow."""
    renames = [op for op in container.ops if isinstance(op, RenameColumnOp)]
    native = NativeColumnRenamesOps(container.table_name, renames, schema=container.schema)
    blocks = _split_batches(container, before_ops, after_ops)
    for block in blocks:
        block.ops = [op for op in block.ops if not isinstance(op, RenameColumnOp)]
    middle = 1 if before_ops else 0
    blocks.insert(middle, native)
    return [block for block in blocks if block.ops]


def _part(
    container: ops.ModifyTableOps, part_ops: list[ops.MigrateOperation], unnamed_key: str
) -> ops.ModifyTableOps:
    """One more batch block on the container's table.  Each block recreates the table,
    so each must list the unnamed CHECKs the table has then, or they are lost."""
    part = ops.ModifyTableOps(container.table_name, part_ops, schema=container.schema)
    unnamed = container.info.get(unnamed_key)
    if unnamed is None:
        return part
    part.info[UNNAMED_BEFORE] = list(unnamed)
    part.info[UNNAMED_AFTER] = list(unnamed)
    if isinstance(container, SqliteCheckBatchOps):
        return SqliteCheckBatchOps.from_container(part)
    return part


__all__ = ["RENAMED_FROM", "detect_renames"]
