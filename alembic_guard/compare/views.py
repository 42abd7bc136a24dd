"""Plugin ``alembic_guard.views``: declared views against the database's views.

One schema-level comparator, run after the table comparators and the
rename detector, so it sees the revision's final table operations:

1. reads every view of the compared schemas in bulk (definition, columns,
   materialized-view indexes, and what each view reads: PostgreSQL from
   ``pg_depend``/``pg_rewrite``, other databases from the parsed definition);
2. asks the database, in one batch, how it would store each declared
   definition (:meth:`Canonicalizer.view_definitions`), and compares texts;
   without that (read-only role, ``canonicalize=parse``) it compares parsed keys;
3. plans creates, replaces and drops; views that read a table or column the
   revision drops or rewrites, or a view that must be dropped and created
   again, are dropped before the table operations and created after them;
4. orders drops readers-first and creates dependencies-first, and explains
   each operation in a comment of the generated script.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from graphlib import CycleError, TopologicalSorter
from typing import Any, cast

from alembic.autogenerate.api import AutogenContext
from alembic.operations import ops
from alembic.util import PriorityDispatchResult
from sqlalchemy.engine import Connection

from ..config import settings_of
from ..dialects import canonicalizer_for, catalog_for, database_for
from ..dialects.base import (
    CannotCanonicalize,
    CanonicalView,
    DbView,
    KeyOf,
    RelationKey,
    ViewRequest,
)
from ..errors import GuardError
from ..keys import referenced_relations, squash, star_relations, view_key
from ..messages import notice
from ..ops.notes import GuardNoteOp, add_note
from ..ops.renames import RenameColumnOp
from ..ops.views import (
    CreateMaterializedViewOp,
    CreateViewOp,
    DropMaterializedViewOp,
    DropViewIndexOp,
    DropViewOp,
    ReplaceViewOp,
)
from ..views import View, ViewIndex, declared_views
from .fallback import fall_back, refused


@dataclass
class _Target:
    """A view as it should be after the revision."""

    key: RelationKey
    schema: str | None
    name: str
    definition: str
    materialized: bool
    indexes: tuple[ViewIndex, ...]
    with_data: bool
    reads: dict[RelationKey, frozenset[str]]
    declared: bool

    def create_op(self) -> CreateViewOp:
        if self.materialized:
            return CreateMaterializedViewOp(
                self.name,
                self.definition,
                schema=self.schema,
                indexes=self.indexes,
                with_data=self.with_data,
            )
        return CreateViewOp(self.name, self.definition, schema=self.schema)


def _target_of_db(db: DbView) -> _Target:
    return _Target(
        db.key,
        db.schema,
        db.name,
        db.definition,
        db.materialized,
        db.indexes,
        True,
        db.reads,
        declared=False,
    )


def _drop_op(db: DbView) -> DropViewOp:
    restore = _target_of_db(db).create_op()
    if db.materialized:
        return DropMaterializedViewOp(db.name, schema=db.schema, _reverse=restore)
    return DropViewOp(db.name, schema=db.schema, _reverse=restore)


def _label(key: RelationKey) -> str:
    return f"{key[0]}.{key[1]}" if key[0] else key[1]


class ViewComparison:
    """One autogenerate run's view plan."""

    def __init__(
        self, autogen_context: AutogenContext, connection: Connection, schemas: Sequence[str | None]
    ) -> None:
        self.autogen_context = autogen_context
        self.connection = connection
        self.schemas = schemas
        self.dialect = connection.dialect
        self.policy = database_for(self.dialect).view_policy()
        self.catalog = catalog_for(connection)
        self.settings = settings_of(autogen_context.migration_context)
        self.targets: dict[RelationKey, _Target] = {}
        self.db_views: dict[RelationKey, DbView] = {}
        #: dropped before the table operations (for good, or to be created again)
        self.drops: dict[RelationKey, DropViewOp] = {}
        #: created or replaced after the table operations, and what each then reads
        self.creates: dict[RelationKey, ops.MigrateOperation] = {}
        self.create_reads: dict[RelationKey, dict[RelationKey, frozenset[str]]] = {}
        self.index_drops: list[ops.MigrateOperation] = []
        self.index_creates: list[ops.MigrateOperation] = []
        self.undeclared: list[DbView] = []
        #: declared views the database refused to make, and its message
        self.rejected: dict[RelationKey, str] = {}
        self.declared_by_key: dict[RelationKey, View] = {}
        self.canonical_forms: dict[RelationKey, CanonicalView | None] = {}

    def key(self, schema: str | None, name: str) -> RelationKey:
        return (self.catalog.schema_key(schema), name)

    # -- reading -----------------------------------------------------------------

    def declared(self) -> dict[RelationKey, View]:
        found = self._declared()
        self.declared_by_key = found
        return found

    def _declared(self) -> dict[RelationKey, View]:
        wanted = {self.catalog.schema_key(schema) for schema in self.schemas}
        found: dict[RelationKey, View] = {}
        for view in declared_views(self.autogen_context.metadata):
            key = self.key(view.schema, view.name)
            if key[0] not in wanted:
                continue
            if not self.autogen_context.run_name_filters(
                view.name, cast(Any, "view"), {"schema_name": view.schema}
            ) or not self.autogen_context.run_object_filters(
                cast(Any, view), view.name, cast(Any, "view"), False, None
            ):
                continue
            if view.materialized and not database_for(self.dialect).materialized_views:
                raise GuardError(
                    f"view {view.qualified_name} is declared materialized, and "
                    f"{self.dialect.name} has no materialized views; declare it as a plain "
                    f"View for this database."
                )
            if key in found:
                raise GuardError(f"view {view.qualified_name} is declared on two MetaData objects")
            found[key] = view
        return found

    def database(self, declared: dict[RelationKey, View]) -> dict[RelationKey, DbView]:
        found: dict[RelationKey, DbView] = {}
        for db in self.catalog.views(self.schemas):
            if not self.autogen_context.run_name_filters(
                db.name, cast(Any, "view"), {"schema_name": db.schema}
            ) or not self.autogen_context.run_object_filters(
                cast(Any, db), db.name, cast(Any, "view"), True, cast(Any, declared.get(db.key))
            ):
                continue
            found[db.key] = db
        return found

    def target_of(self, key: RelationKey, view: View) -> _Target:
        sql = view.sql(self.dialect)
        reads: dict[RelationKey, frozenset[str]] = {}
        for (schema, table), columns in referenced_relations(sql, self.dialect.name).items():
            relation = self.catalog.read_key(schema, view.schema, table)
            reads[relation] = reads.get(relation, frozenset()) | columns
        return _Target(
            key,
            key[0],
            view.name,
            sql,
            view.materialized,
            view.indexes,
            view.with_data,
            reads,
            declared=True,
        )

    def settled_by_key(self, key: RelationKey) -> bool:
        """The parse keys of the declared and the stored definition are equal: unchanged,
        without asking the database (as for CHECK expressions)."""
        ours = view_key(self.targets[key].definition, self.dialect.name)
        return ours is not None and ours == view_key(
            self.db_views[key].definition, self.dialect.name
        )

    def canonical(self, order: list[RelationKey]) -> dict[RelationKey, CanonicalView | None]:
        """The database's form of the declared views the parse key cannot settle (and of
        the declared views they read, so that their scratch views can be created)."""
        wanted: set[RelationKey] = set()
        # new views too: the database says whether their SQL is right before a revision
        # is written that would fail inside the upgrade
        pending = [
            k
            for k in order
            if k in self.targets and (k not in self.db_views or not self.settled_by_key(k))
        ]
        while pending:
            key = pending.pop()
            if key not in wanted:
                wanted.add(key)
                pending.extend(r for r in self.targets[key].reads if r in self.targets)
        keys = [key for key in order if key in wanted]
        requests = [
            ViewRequest(self.targets[k].name, k[0], self.targets[k].definition) for k in keys
        ]
        if not requests or self.settings.canonicalize == "parse" or refused(self.autogen_context):
            return dict.fromkeys(order)
        try:
            results = canonicalizer_for(self.connection).view_definitions(requests)
        except CannotCanonicalize as error:
            if self.settings.canonicalize == "database":
                raise GuardError(
                    f"alembic_guard could not ask the database for its form of the declared "
                    f"views ({error}); set guard.canonicalize=parse or auto to compare parsed "
                    f"definitions instead."
                ) from None
            fall_back(self.autogen_context, str(error))
            return dict.fromkeys(order)
        found: dict[RelationKey, CanonicalView | None] = dict.fromkeys(order)
        for key, result in zip(keys, results, strict=True):
            if result is not None and result.rejected is not None:
                self.rejected[key] = result.rejected
                result = None
            found[key] = result
        return found

    # -- deciding ----------------------------------------------------------------

    def changed(self, target: _Target, db: DbView, canonical: CanonicalView | None) -> bool:
        if canonical is not None:
            return squash(canonical.definition) != squash(db.definition)
        ours = view_key(target.definition, self.dialect.name)
        theirs = view_key(db.definition, self.dialect.name)
        if ours is None or theirs is None:
            return squash(target.definition) != squash(db.definition)
        return ours != theirs

    def compare(self, upgrade_ops: ops.UpgradeOps) -> None:
        declared = self.declared()
        self.db_views = self.database(declared)
        self.targets = {key: self.target_of(key, view) for key, view in declared.items()}
        order = self._sorted(
            {
                key: [r for r in target.reads if r in self.targets and r != key]
                for key, target in self.targets.items()
            }
        )
        canonical = self.canonical(order)
        self.canonical_forms = canonical
        rebuilds: dict[RelationKey, str] = {}
        hidden = sorted(_label(key) for key, db in self.db_views.items() if not db.definition)
        if hidden:
            notice(
                self.autogen_context.migration_context.config,
                f"the database does not show this role the definition of "
                f"{', '.join(hidden)} (MariaDB/MySQL: grant SHOW VIEW); left out of the comparison.",
            )
            self.db_views = {k: db for k, db in self.db_views.items() if db.definition}
            self.targets = {k: t for k, t in self.targets.items() if _label(k) not in hidden}

        for key in order:
            if key not in self.targets:
                continue
            target, db = self.targets[key], self.db_views.get(key)
            if db is None:
                self.create(
                    target, f"view {_label(key)} is declared in the models, not in the database"
                )
            elif db.materialized != target.materialized:
                kind = "a materialized view" if target.materialized else "a plain view"
                rebuilds[key] = f"{_label(key)} is declared as {kind} now"
            elif self.changed(target, db, canonical[key]):
                if self.policy.replace_in_place(db, canonical[key]):
                    replace = ReplaceViewOp(
                        target.name,
                        target.definition,
                        schema=target.schema,
                        old_definition=db.definition,
                    )
                    add_note(replace, f"view {_label(key)}: the definition changed in the models")
                    self.creates[key] = replace
                    self.create_reads[key] = target.reads
                elif db.materialized:
                    rebuilds[key] = (
                        f"the definition of materialized view {_label(key)} changed in the models"
                    )
                else:
                    rebuilds[key] = (
                        f"the definition of view {_label(key)} changed in the models, and "
                        f"{self.dialect.name} cannot CREATE OR REPLACE it (columns removed, "
                        f"renamed, reordered or retyped)"
                    )
            elif target.materialized:
                self.index_changes(target, db)

        for key, db in self.db_views.items():
            if key in self.targets:
                continue
            if self.settings.undeclared_views == "drop":
                drop = _drop_op(db)
                add_note(
                    drop,
                    f"view {_label(key)} is not declared in the models (undeclared_views=drop)",
                )
                self.drops[key] = drop
            else:
                self.undeclared.append(db)

        self.rebuild(upgrade_ops, rebuilds)
        self.verify(upgrade_ops, rebuilds)
        self.replace_back(upgrade_ops)
        self.emit(upgrade_ops)

    def verify(self, upgrade_ops: ops.UpgradeOps, rebuilds: dict[RelationKey, str]) -> None:
        """Stop on a declared view the database refused, unless it reads something this
        revision creates or changes first (then the refusal proves nothing)."""
        if self.settings.canonicalize == "parse":
            unchecked = sorted(
                _label(key)
                for key in self.targets
                if key not in self.db_views or key in self.creates or key in rebuilds
            )
            if unchecked:
                notice(
                    self.autogen_context.migration_context.config,
                    f"the SQL of view {', '.join(unchecked)} was not checked by the database "
                    f"(canonicalize=parse): a mistake in it shows only when the upgrade runs.",
                )
            return
        touched = (
            _touched_tables(upgrade_ops, self.key)
            | set(self.rejected)
            | {
                key
                for key in self.targets
                if key not in self.db_views or key in self.creates or key in rebuilds
            }
        )
        # a view reading a view that reads something touched is touched too
        grown = True
        while grown:
            grown = False
            for key, target in self.targets.items():
                if key not in touched and any(r in touched for r in target.reads):
                    touched.add(key)
                    grown = True
        for key, message in self.rejected.items():
            target = self.targets[key]
            if any(relation in touched and relation != key for relation in target.reads):
                continue
            view = self.declared_by_key[key]
            where = f" (declared at {view.declared_at})" if view.declared_at else ""
            raise GuardError(
                f"view {_label(key)}{where} is refused by the database: {message}. Correct the "
                f"view's SQL in the models and run the command again; no revision was written."
            )

    def replace_back(self, upgrade_ops: ops.UpgradeOps) -> None:
        """A replace the downgrade cannot run as a replace (PostgreSQL, columns appended):
        its reverse drops the view and the views reading it, and creates them again."""
        readers: dict[RelationKey, list[RelationKey]] = {}
        for key, db in self.db_views.items():
            for relation in db.reads:
                readers.setdefault(relation, []).append(key)
        for key, op in self.creates.items():
            if not isinstance(op, ReplaceViewOp) or key not in self.db_views:
                continue
            if self.policy.reverse_in_place(self.db_views[key], self.canonical_forms.get(key)):
                continue
            found: set[RelationKey] = set()
            pending = list(readers.get(key, ()))
            while pending:
                reader = pending.pop()
                if reader in found or reader in self.drops or reader == key:
                    continue
                found.add(reader)
                pending.extend(readers.get(reader, ()))
            order = self._sorted(
                {r: [d for d in self.db_views[r].reads if d in found] for r in found}
            )
            op.readers = tuple(_target_of_db(self.db_views[r]).create_op() for r in order)

    def create(self, target: _Target, why: str) -> None:
        op = target.create_op()
        add_note(op, why)
        self.creates[target.key] = op
        self.create_reads[target.key] = target.reads

    def index_changes(self, target: _Target, db: DbView) -> None:
        ours = {index.name: index for index in target.indexes}
        theirs = {index.name: index for index in db.indexes}
        label = _label(target.key)
        for name, index in theirs.items():
            if ours.get(name) != index:
                restore = self.index_op(target, index)
                drop = DropViewIndexOp(name, target.name, schema=target.schema, _reverse=restore)
                add_note(drop, f"index {name} of materialized view {label} changed or went")
                self.index_drops.append(drop)
        for name, index in ours.items():
            if theirs.get(name) != index:
                create = self.index_op(target, index)
                add_note(create, f"index {name} of materialized view {label} is new or changed")
                self.index_creates.append(create)

    @staticmethod
    def index_op(target: _Target, index: ViewIndex) -> ops.CreateIndexOp:
        return ops.CreateIndexOp(
            index.name, target.name, list(index.columns), schema=target.schema, unique=index.unique
        )

    def rebuild(self, upgrade_ops: ops.UpgradeOps, rebuilds: dict[RelationKey, str]) -> None:
        """Drop before and create after the table operations every view that cannot stay."""
        disturbed = [d for op in upgrade_ops.ops for d in self.policy.disturbances(op, self.key)]
        readers: dict[RelationKey, list[RelationKey]] = {}
        for key, db in self.db_views.items():
            for relation in db.reads:
                readers.setdefault(relation, []).append(key)
        for relation, column, why, _ in disturbed:
            for key in readers.get(relation, ()):
                columns = self.db_views[key].reads.get(relation, frozenset())
                if column is None or not columns or column in columns:
                    rebuilds.setdefault(key, f"{_label(key)} reads {_label(relation)}, and {why}")
        # a declared view over a renamed table or column: dropped before the rename and
        # created after it, so that the downgrade too runs each where its names exist
        for relation, column, why in _renames(upgrade_ops, self.key):
            for key in readers.get(relation, ()):
                columns = self.db_views[key].reads.get(relation, frozenset())
                if key in self.targets and (column is None or not columns or column in columns):
                    rebuilds.setdefault(key, f"{_label(key)} reads {_label(relation)}, and {why}")
        if self.policy.expands_star:
            for relation, why in _added_columns(upgrade_ops, self.key):
                for key in readers.get(relation, ()):
                    target = self.targets.get(key)
                    if target is None:
                        continue
                    stars = {
                        self.catalog.read_key(schema, target.schema, table)
                        for schema, table in star_relations(target.definition, self.dialect.name)
                    }
                    if relation in stars:
                        rebuilds.setdefault(
                            key,
                            f"{_label(key)} selects * from {_label(relation)}, and {why} "
                            f"(the database expands * when the view is made)",
                        )

        # readers of a view that goes for good are checked on every database; readers of a
        # view created again go and come back where the database insists (PostgreSQL) or
        # where a table rebuild re-reads every view (SQLite)
        pending = [(key, True) for key in self.drops] + [(key, False) for key in rebuilds]
        while pending:
            key, for_good = pending.pop()
            for reader in readers.get(key, ()):
                if reader in rebuilds or reader in self.drops:
                    continue
                # a reader the revision replaces too: its downgrade replace would read the
                # view before the view is back as it was
                if for_good or self.policy.rebuild_readers or reader in self.creates:
                    verb = "is dropped" if for_good else "is dropped and created again"
                    rebuilds[reader] = f"{_label(reader)} reads view {_label(key)}, which {verb}"
                    pending.append((reader, False))

        # a table dropped and created again (a rename the detector did not take) is not gone
        created = {
            self.key(op.schema, op.table_name)
            for op in upgrade_ops.ops
            if isinstance(op, ops.CreateTableOp)
        }
        gone_tables = {
            relation
            for relation, column, _, removed in disturbed
            if removed and column is None and relation not in created
        } | {key for key in self.drops if key not in self.targets}
        gone_columns = {
            (relation, column) for relation, column, _, removed in disturbed if removed and column
        }
        # what a view reads is decided first: a reader of a view that goes for good goes too
        order = self._sorted(
            {
                key: [r for r in self.db_views[key].reads if r in rebuilds and r != key]
                for key in rebuilds
            }
        )
        for key in order:
            reason = rebuilds[key]
            db = self.db_views[key]
            drop = _drop_op(db)
            self.drops[key] = drop
            self.creates.pop(key, None)
            target = self.targets.get(key) or _target_of_db(db)
            lost = self.lost_reads(target, gone_tables, gone_columns)
            if lost is None and not target.declared:
                lost = next((f"view {_label(r)}" for r in target.reads if r in gone_tables), None)
            if lost and target.declared:
                raise GuardError(
                    f"view {_label(key)} is declared to read {lost}, which this revision "
                    f"drops; change the view's definition in the models (or remove the view) "
                    f"and autogenerate again."
                )
            if lost:
                add_note(
                    drop,
                    f"WARNING: {_label(key)} is dropped and not created again: the models do "
                    f"not declare it, and it reads {lost}, which this revision drops",
                )
                gone_tables.add(key)
                continue
            add_note(drop, f"dropped here and created again below: {reason}")
            self.create(target, f"created again: {reason}")
        self._readers_of_lost(gone_tables)

    def _readers_of_lost(self, gone: set[RelationKey]) -> None:
        """A view reading a view that goes for good goes too, on every database (MariaDB
        would keep it, broken); a declared one is an error, as for a dropped table."""
        lost = {key for key in gone if key in self.db_views}
        pending = list(lost)
        while pending:
            view = pending.pop()
            for key, db in self.db_views.items():
                if key in lost or view not in db.reads:
                    continue
                if key in self.targets:
                    raise GuardError(
                        f"view {_label(key)} is declared to read view {_label(view)}, which "
                        f"this revision drops; change the view's definition in the models (or "
                        f"remove the view) and autogenerate again."
                    )
                drop = self.drops.get(key) or _drop_op(db)
                add_note(
                    drop,
                    f"WARNING: {_label(key)} is dropped and not created again: the models do "
                    f"not declare it, and it reads view {_label(view)}, which this revision drops",
                )
                self.drops[key] = drop
                self.creates.pop(key, None)
                lost.add(key)
                pending.append(key)

    def lost_reads(
        self,
        target: _Target,
        gone_tables: set[RelationKey],
        gone_columns: set[tuple[RelationKey, str]],
    ) -> str | None:
        """The dropped table or column ``target`` would still read, if any."""
        reads = target.reads
        if target.declared:
            # only columns the definition surely reads: a false alarm here is an error
            reads = {
                self.catalog.read_key(schema, target.schema, table): columns
                for (schema, table), columns in referenced_relations(
                    target.definition, self.dialect.name, strict=True
                ).items()
            }
        for relation, columns in reads.items():
            if relation in gone_tables:
                return f"{_label(relation)}"
            for column in columns:
                if (relation, column) in gone_columns:
                    return f"column {_label(relation)}.{column}"
        return None

    # -- writing -----------------------------------------------------------------

    @staticmethod
    def _sorted(graph: dict[RelationKey, list[RelationKey]]) -> list[RelationKey]:
        """Keys with each after the keys it lists."""
        try:
            return list(TopologicalSorter(graph).static_order())
        except CycleError as error:
            cycle = " -> ".join(_label(key) for key in error.args[1])
            raise GuardError(f"the declared views read each other in a cycle: {cycle}") from None

    def emit(self, upgrade_ops: ops.UpgradeOps) -> None:
        """Drops (readers first) before the table operations, creates (each after what it
        reads) after them; a reversed script is then ordered right as well."""
        drop_order = self._sorted(
            {
                key: [r for r in self.db_views[key].reads if r in self.drops and r != key]
                for key in self.drops
            }
        )
        create_order = self._sorted(
            {
                key: [r for r in self.create_reads.get(key, {}) if r in self.creates and r != key]
                for key in self.creates
            }
        )
        notes: list[ops.MigrateOperation] = []
        if self.undeclared and self.settings.undeclared_views == "comment":
            names = ", ".join(
                _label(db.key)
                for db in sorted(self.undeclared, key=lambda d: (d.schema or "", d.name))
            )
            notes.append(
                GuardNoteOp(
                    [
                        f"views the models do not declare, left alone: {names}",
                        "(declare them with alembic_guard.View, filter them with include_object, "
                        "or set undeclared_views = drop or ignore)",
                    ]
                )
            )
        upgrade_ops.ops = [
            *notes,
            *(self.drops[key] for key in reversed(drop_order)),
            *self.index_drops,
            *upgrade_ops.ops,
            *(self.creates[key] for key in create_order),
            *self.index_creates,
        ]


def _renames(
    upgrade_ops: ops.UpgradeOps, key: KeyOf
) -> Iterable[tuple[RelationKey, str | None, str]]:
    """(table as the database has it now, renamed column or None, why) of the revision."""
    renamed_tables: dict[RelationKey, str] = {}
    for op in upgrade_ops.ops:
        if isinstance(op, ops.RenameTableOp):
            renamed_tables[key(op.schema, op.new_table_name)] = op.table_name
            yield (
                key(op.schema, op.table_name),
                None,
                f"table {op.table_name} is renamed to {op.new_table_name}",
            )
    for op in upgrade_ops.ops:
        if not isinstance(op, ops.ModifyTableOps):
            continue
        table = key(op.schema, op.table_name)
        if table in renamed_tables:
            continue  # its views are rebuilt for the table's rename
        for inner in op.ops:
            if isinstance(inner, RenameColumnOp):
                yield (
                    table,
                    str(inner.column_name),
                    f"column {op.table_name}.{inner.column_name} is renamed to "
                    f"{inner.new_column_name}",
                )


def _added_columns(upgrade_ops: ops.UpgradeOps, key: KeyOf) -> Iterable[tuple[RelationKey, str]]:
    for op in upgrade_ops.ops:
        if isinstance(op, ops.ModifyTableOps):
            for inner in op.ops:
                if isinstance(inner, ops.AddColumnOp):
                    yield (
                        key(op.schema, op.table_name),
                        f"column {op.table_name}.{inner.column.name} is added",
                    )


def _touched_tables(upgrade_ops: ops.UpgradeOps, key: KeyOf) -> set[RelationKey]:
    """Tables this revision creates, renames (their new names) or changes the columns of."""
    found: set[RelationKey] = set()
    for op in upgrade_ops.ops:
        if isinstance(op, ops.CreateTableOp):
            found.add(key(op.schema, op.table_name))
        elif isinstance(op, ops.RenameTableOp):
            found.add(key(op.schema, op.new_table_name))
        elif isinstance(op, ops.ModifyTableOps) and any(
            isinstance(inner, (ops.AddColumnOp, ops.AlterColumnOp, ops.DropColumnOp))
            for inner in op.ops
        ):
            found.add(key(op.schema, op.table_name))
    return found


def compare_views(
    autogen_context: AutogenContext, upgrade_ops: ops.UpgradeOps, schemas: set[str | None]
) -> PriorityDispatchResult:
    settings = settings_of(autogen_context.migration_context)
    connection = autogen_context.connection
    if not settings.views or connection is None:
        return PriorityDispatchResult.CONTINUE
    schema_list = sorted(schemas, key=lambda schema: schema or "")
    ViewComparison(autogen_context, connection, schema_list).compare(upgrade_ops)
    return PriorityDispatchResult.CONTINUE
