"""Plugin ``alembic_guard.checks``: CHECK constraints in autogenerate and ``alembic check``.

Matching, per existing table:

1. a named model CHECK and a database CHECK of the same name are the same
   rule; they differ only if their expressions differ;
2. the rest are matched by expression, whatever the database called them
   (``t_qty_check``, ``CONSTRAINT_1``, no name at all on SQLite);
3. what is still unmatched is asked of the database, in one batch for the
   whole run (:mod:`alembic_guard.dialects`): it renders the model's
   expression its own way, which settles ``BETWEEN`` vs ``>= AND <=`` and
   the like for good;
4. what is left is added or dropped; an add and a drop on the same columns
   are reported together as a changed rule, old and new text side by side.

Catalog reads are one query per schema.  The whole run is decided at the
first table, so canonicalisation is one batch, not one round trip per table.
"""

from __future__ import annotations

import logging
import re
import weakref
from collections.abc import Iterable
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any

from alembic import util
from alembic.autogenerate.api import AutogenContext
from alembic.operations import ops
from alembic.util import PriorityDispatchResult
from alembic.util.sqla_compat import _get_constraint_final_name, all_table_check_constraints
from sqlalchemy import CheckConstraint, Column, Table
from sqlalchemy import types as sa_types
from sqlalchemy.engine import Dialect
from sqlalchemy.sql.elements import conv

from ..config import settings_of
from ..dialects import canonicalizer_for, catalog_for, database_for
from ..dialects.base import CannotCanonicalize, Catalog, DbCheck, ScratchRequest
from ..errors import GuardError
from ..keys import expression_key, referenced_columns, source_variants, squash
from ..ops.checks import (
    UNNAMED_AFTER,
    UNNAMED_BEFORE,
    AddUnnamedCheckOp,
    CreateCheckOp,
    DropCheckOp,
    DropColumnCheckOp,
    DropUnnamedCheckOp,
    use_sqlite_check_batches,
)
from ..ops.notes import add_note
from ..sql_text import escape_text_binds
from .fallback import fall_back, refused

log = logging.getLogger(__name__)


@dataclass
class ModelCheck:
    constraint: CheckConstraint
    table: Table
    name: str | None  # the name the database will see (convention applied), None if unnamed
    sqltext: str
    canonical: str | None = None  # the database's rendering, when it was asked


@dataclass
class TableDecision:
    """What the comparator will add to one table's ModifyTableOps."""

    drops: list[DbCheck] = field(default_factory=list)
    adds: list[ModelCheck] = field(default_factory=list)
    #: (old, new) pairs reported as one changed rule
    changes: list[tuple[DbCheck, ModelCheck]] = field(default_factory=list)
    #: (old, new) pairs with the same expression and another name
    renames: list[tuple[DbCheck, ModelCheck]] = field(default_factory=list)
    unnamed_before: list[str] = field(default_factory=list)
    unnamed_after: list[str] = field(default_factory=list)


@dataclass
class _Pairing:
    table: Table
    model: list[ModelCheck]
    db: list[DbCheck]
    same_name: list[tuple[ModelCheck, DbCheck]] = field(default_factory=list)
    matched: list[tuple[ModelCheck, DbCheck]] = field(default_factory=list)


def _compiled(constraint: CheckConstraint, dialect: Dialect) -> str:
    """The expression exactly as CREATE TABLE would write it (no table prefix)."""
    # only the DDL compiler's SQL compiler is used; it needs no statement
    compiler = dialect.ddl_compiler(dialect, None)  # type: ignore[arg-type]
    text = str(
        compiler.sql_compiler.process(constraint.sqltext, include_table=False, literal_binds=True)
    )
    # format-style drivers get every % doubled by the compiler; the database sees one
    if dialect.paramstyle in ("format", "pyformat"):
        text = text.replace("%%", "%")
    return text


def model_checks(table: Table, dialect: Dialect) -> list[ModelCheck]:
    """The CHECKs ``CREATE TABLE`` would emit for ``table`` on ``dialect``."""
    compiler = SimpleNamespace(dialect=dialect)
    found: dict[tuple[str | None, str], ModelCheck] = {}
    for constraint in all_table_check_constraints(table):
        rule = constraint._create_rule
        # Boolean/Enum(create_constraint=True) emit a CHECK only where the type is not native
        if rule is not None and not rule(compiler):
            continue
        check = ModelCheck(
            constraint,
            table,
            _get_constraint_final_name(constraint, dialect),
            _compiled(constraint, dialect),
        )
        # CheckConstraint(table.c.x.in_(...)) in a migration that imports the models attaches
        # a second copy to the model table: the same name and rule is one constraint
        # (unnamed ones stay apart: two equal unnamed CHECKs are two constraints)
        found.setdefault(
            (check.name, check.sqltext) if check.name else (None, str(len(found))), check
        )
    return sorted(found.values(), key=lambda c: (c.name or "", c.sqltext))


_JSON_VALID = re.compile(r"json_valid\(\s*`?(?P<column>[^`()]+)`?\s*\)", re.I)


def implied_by_type(db: DbCheck, table: Table) -> bool:
    """MariaDB adds ``CHECK (json_valid(col))`` to every JSON column by itself: the type
    implies it, as a non-native Boolean implies its CHECK."""
    match = _JSON_VALID.fullmatch(db.sqltext.strip())
    if match is None or db.column is None or db.column != match.group("column"):
        return False
    column = table.columns.get(db.column)
    return column is not None and isinstance(column.type, sa_types.JSON)


#: names the database made up for an unnamed CHECK (MariaDB, PostgreSQL)
_GENERATED_NAME = re.compile(r"CONSTRAINT_\d+|\w+_check\d*", re.I)


def _copies(leftover: list[DbCheck], kept: Iterable[DbCheck]) -> list[DbCheck]:
    """Leftover database CHECKs that repeat one already paired with the model, under a name
    the database made up (a migration that re-created a Boolean's CHECK in batch mode, say):
    the same rule again is the same constraint, as identical model CHECKs are."""
    paired = {squash(d.sqltext) for d in kept}
    return [
        d
        for d in leftover
        if (d.name is None or _GENERATED_NAME.fullmatch(d.name)) and squash(d.sqltext) in paired
    ]


def _same(model: ModelCheck, db: DbCheck, dialect: str) -> bool:
    for text in (model.sqltext, model.canonical):
        if text is None:
            continue
        if squash(text) == squash(db.sqltext):
            return True
        key = expression_key(text, dialect)
        if key is not None and key == expression_key(db.sqltext, dialect):
            return True
    return False


def _referenced(sqltext: str, columns: Iterable[str], dialect: str) -> frozenset[str]:
    """The table's columns an expression reads, by parsing it."""
    read = referenced_columns(sqltext, dialect)
    return frozenset(c for c in columns if c.lower() in read)


class CheckComparison:
    """Decides every table of one autogenerate run at once."""

    def __init__(self, autogen_context: AutogenContext) -> None:
        self.autogen_context = autogen_context
        connection = autogen_context.connection
        assert connection is not None and autogen_context.dialect is not None
        self.connection = connection
        self.dialect = autogen_context.dialect
        self.catalog: Catalog = catalog_for(connection)
        self.default_schema = self.dialect.default_schema_name
        self.db_checks: dict[str | None, dict[str, list[DbCheck]]] = {}
        self.decisions: dict[tuple[str | None, str], TableDecision] = {}
        self.used_fallback: str | None = None
        self.restore_text: dict[int, str] = {}
        self._decide_all()

    def _schema_key(self, schema: str | None) -> str | None:
        return None if schema == self.default_schema else schema

    def checks_in(self, schema: str | None) -> dict[str, list[DbCheck]]:
        key = self._schema_key(schema)
        if key not in self.db_checks:
            self.db_checks[key] = self.catalog.check_constraints(key)
        return self.db_checks[key]

    def _decide_all(self) -> None:
        dialect = self.dialect.name
        pairings: list[_Pairing] = []
        to_restore: list[tuple[Table, DbCheck]] = []
        for table in self.autogen_context.sorted_tables:
            db = [
                check
                for check in self.checks_in(table.schema).get(table.name, ())
                if not implied_by_type(check, table)
            ]
            model = model_checks(table, self.dialect)
            if db or model:
                pairings.append(self._pair(table, model, db))
        # ask the database only about what parsing could not settle
        pending: list[ModelCheck] = []
        for pairing in pairings:
            pending.extend(m for m, d in pairing.same_name if not _same(m, d, dialect))
            if pairing.db:
                pending.extend(pairing.model)
        if pending:
            self._canonicalize(pending)
        for pairing in pairings:
            self._match_rest(pairing)
            decision = self._decide(pairing)
            self.decisions[(self._schema_key(pairing.table.schema), pairing.table.name)] = decision
            removed = decision.drops + [db for db, _ in decision.changes + decision.renames]
            to_restore.extend((pairing.table, db) for db in removed)
        if to_restore and not self.used_fallback:
            self._choose_restore_texts(to_restore)

    def _pair(self, table: Table, model: list[ModelCheck], db: list[DbCheck]) -> _Pairing:
        pairing = _Pairing(table, list(model), list(db))
        by_name = {d.name: d for d in db if d.name is not None}
        for check in model:
            partner = by_name.pop(check.name, None) if check.name is not None else None
            if partner is not None:
                pairing.same_name.append((check, partner))
                pairing.model.remove(check)
                pairing.db.remove(partner)
        self._match_rest(pairing)
        return pairing

    def _match_rest(self, pairing: _Pairing) -> None:
        """Pair what is left by expression, one to one (again after canonicalisation)."""
        dialect = self.dialect.name
        for check in list(pairing.model):
            for candidate in pairing.db:
                if _same(check, candidate, dialect):
                    pairing.matched.append((check, candidate))
                    pairing.model.remove(check)
                    pairing.db.remove(candidate)
                    break

    def _canonicalize(self, pending: list[ModelCheck]) -> None:
        mode = settings_of(self.autogen_context.migration_context).canonicalize
        if mode == "parse" or refused(self.autogen_context):
            return
        requests = [ScratchRequest(m.table, m.sqltext) for m in pending]
        try:
            texts = canonicalizer_for(self.connection).check_definitions(requests)
        except CannotCanonicalize as exc:
            if mode == "database":
                raise GuardError(
                    f"alembic_guard could not ask the database to render CHECK expressions "
                    f"({exc}), and guard.canonicalize is 'database'. Grant the role TEMPORARY "
                    f"(PostgreSQL) or CREATE TEMPORARY TABLES (MariaDB/MySQL), or set "
                    f"guard.canonicalize=auto to fall back to parsing."
                ) from None
            self.used_fallback = str(exc)
            fall_back(self.autogen_context, str(exc))
            return
        for check, text in zip(pending, texts, strict=True):
            check.canonical = text

    def _choose_restore_texts(self, removed: list[tuple[Table, DbCheck]]) -> None:
        """Pick, per dropped CHECK, a text that the database renders back exactly.

        The downgrade re-creates what the upgrade drops; the database's own
        rendering is tried first, then the spellings of :func:`source_variants`.
        """
        if settings_of(self.autogen_context.migration_context).canonicalize == "parse":
            return
        dialect = self.dialect.name
        candidates: list[tuple[DbCheck, str]] = []
        for _, db in removed:
            candidates.append((db, db.sqltext))
            candidates.extend((db, variant) for variant in source_variants(db.sqltext, dialect))
        tables = {id(db): table for table, db in removed}
        requests = [ScratchRequest(tables[id(db)], text) for db, text in candidates]
        try:
            rendered = canonicalizer_for(self.connection).check_definitions(requests)
        except CannotCanonicalize:
            return
        for (db, text), result in zip(candidates, rendered, strict=True):
            key = id(db)
            if (
                key not in self.restore_text
                and result is not None
                and squash(result) == squash(db.sqltext)
            ):
                self.restore_text[key] = text

    def restore_sql(self, db: DbCheck) -> str:
        """The text the downgrade uses to re-create ``db``."""
        return self.restore_text.get(id(db), db.sqltext)

    def decide_pair(self, table: Table, db: list[DbCheck]) -> TableDecision:
        """Compare a model table with another table's CHECKs (a renamed table's old ones)."""
        pairing = self._pair(table, model_checks(table, self.dialect), list(db))
        pending = [m for m, d in pairing.same_name if not _same(m, d, self.dialect.name)]
        if pairing.db:
            pending.extend(pairing.model)
        if pending:
            self._canonicalize(pending)
        self._match_rest(pairing)
        decision = self._decide(pairing, db)
        removed = decision.drops + [d for d, _ in decision.changes + decision.renames]
        if removed and not self.used_fallback:
            self._choose_restore_texts([(table, d) for d in removed])
        return decision

    def _decide(self, pairing: _Pairing, all_db: list[DbCheck] | None = None) -> TableDecision:
        dialect = self.dialect.name
        decision = TableDecision()
        for model, db in pairing.same_name:
            if not _same(model, db, dialect):
                decision.changes.append((db, model))
        for model, db in pairing.matched:
            # the same rule under another explicit name: the model's name wins
            if model.name is not None and db.name is not None and model.name != db.name:
                decision.renames.append((db, model))
        # a leftover add and drop over the same columns: one rule, changed
        columns = [c.name for c in pairing.table.columns]
        paired_db = [d for _, d in pairing.same_name + pairing.matched]
        copies = _copies(pairing.db, paired_db)
        remaining_db = [d for d in pairing.db if d not in copies]
        for model in pairing.model:
            wanted = _referenced(model.sqltext, columns, dialect)
            partner = next(
                (
                    d
                    for d in remaining_db
                    if wanted and _referenced(d.sqltext, columns, dialect) == wanted
                ),
                None,
            )
            if partner is not None:
                remaining_db.remove(partner)
                decision.changes.append((partner, model))
            else:
                decision.adds.append(model)
        decision.drops.extend(remaining_db)
        if not database_for(self.dialect).names_unnamed_checks:
            if all_db is None:
                all_db = self.checks_in(pairing.table.schema).get(pairing.table.name, [])
            decision.unnamed_before = [d.sqltext for d in all_db if d.name is None]
            kept = [d.sqltext for m, d in pairing.matched if d.name is None]
            new = [m.sqltext for m in decision.adds if m.name is None]
            new += [m.sqltext for _, m in decision.changes if m.name is None]
            decision.unnamed_after = kept + new
        return decision


_runs: weakref.WeakKeyDictionary[AutogenContext, CheckComparison] = weakref.WeakKeyDictionary()


def comparison_for(autogen_context: AutogenContext) -> CheckComparison:
    """The CHECK comparison of this autogenerate run (decided once, at first use)."""
    comparison = _runs.get(autogen_context)
    if comparison is None:
        comparison = _runs[autogen_context] = CheckComparison(autogen_context)
    return comparison


def _generated_name(table: Table, model: ModelCheck, dialect: Dialect, taken: set[str]) -> str:
    """A name for an unnamed model CHECK, PostgreSQL style, so the downgrade can drop it."""
    columns = sorted(_referenced(model.sqltext, [c.name for c in table.columns], dialect.name))
    base = f"{table.name}_{columns[0]}_check" if columns else f"{table.name}_check"
    limit = dialect.max_identifier_length or 63
    name = base[:limit]
    number = 1
    while name in taken:
        suffix = str(number)
        name = base[: limit - len(suffix)] + suffix
        number += 1
    taken.add(name)
    return name


def _options(model: ModelCheck) -> dict[str, Any]:
    return {k: v for k, v in model.constraint.dialect_kwargs.items() if v}


def _final(autogen_context: AutogenContext, name: str | None) -> str | None:
    """A name that is already the constraint's full name (read from the database, or the
    model's after its naming convention), marked so: env.py hands Alembic the models, and
    Alembic applies their ``ck`` convention to every name an op is given (rendered
    ``op.f(name)``, a name the convention leaves alone)."""
    if name is None or isinstance(name, conv):
        return name
    metadata = autogen_context.metadata
    conventions = [m.naming_convention for m in util.to_list(metadata)] if metadata else []
    if any("ck" in c for c in conventions):
        return conv(name)
    return name


def _drop_op(
    autogen_context: AutogenContext,
    schema: str | None,
    tname: str,
    conn_table: Table,
    db: DbCheck,
    restore_sql: str,
) -> ops.MigrateOperation:
    dialect = autogen_context.dialect
    assert dialect is not None
    if db.name is None and not database_for(dialect).names_unnamed_checks:
        return DropUnnamedCheckOp(tname, restore_sql, schema=schema)
    if db.column is not None and db.column in conn_table.c:
        return DropColumnCheckOp(tname, conn_table.c[db.column], restore_sql, schema=schema)
    restore: ops.MigrateOperation
    if db.no_inherit:
        # Alembic cannot render NO INHERIT: restore the database's exact definition
        preparer = dialect.identifier_preparer
        target = (
            f"{preparer.quote_schema(schema)}.{preparer.quote(tname)}"
            if schema
            else preparer.quote(tname)
        )
        suffix = " NO INHERIT" + (" NOT VALID" if db.not_valid else "")
        restore = ops.ExecuteSQLOp(
            escape_text_binds(
                f"ALTER TABLE {target} ADD CONSTRAINT {preparer.quote(str(db.name))} "
                f"CHECK ({restore_sql}){suffix}"
            )
        )
    else:
        kw = {"postgresql_not_valid": True} if db.not_valid else {}
        name = _final(autogen_context, db.name)
        restore = CreateCheckOp(name, tname, restore_sql, schema=schema, **kw)
    return DropCheckOp(
        _final(autogen_context, str(db.name)),  # type: ignore[arg-type]
        tname,
        db.sqltext,
        restore,
        schema=schema,
    )


def _add_op(
    autogen_context: AutogenContext,
    schema: str | None,
    table: Table,
    model: ModelCheck,
    taken: set[str],
) -> ops.MigrateOperation:
    dialect = autogen_context.dialect
    assert dialect is not None
    if model.name is None and not database_for(dialect).names_unnamed_checks:
        return AddUnnamedCheckOp(table.name, model.sqltext, schema=schema)
    name = model.name
    op = CreateCheckOp(
        _final(autogen_context, name) or _generated_name(table, model, dialect, taken),
        table.name,
        # text, not the expression: a CheckConstraint built from an expression bound to
        # the model's columns would attach itself to the model's table
        model.sqltext,
        schema=schema,
        **_options(model),
    )
    if name is None:
        add_note(
            op,
            f"unnamed in the model; named {op.constraint_name} here so the downgrade can drop it",
        )
    return op


def table_check_ops(
    autogen_context: AutogenContext,
    comparison: CheckComparison,
    decision: TableDecision,
    schema: str | None,
    tname: str,
    conn_table: Table,
    metadata_table: Table,
    db_checks: Iterable[DbCheck],
) -> list[ops.MigrateOperation]:
    """The operations one table's decision calls for, with their notes; filters applied."""
    filters: dict[Any, str | None] = {"table_name": tname, "schema_name": schema}
    taken = {d.name for d in db_checks if d.name}
    emitted: list[ops.MigrateOperation] = []

    def dropped(db: DbCheck) -> bool:
        return db.name is None or autogen_context.run_name_filters(
            db.name, "check_constraint", filters
        )

    def wanted(model: ModelCheck) -> bool:
        return autogen_context.run_object_filters(
            model.constraint, model.name, "check_constraint", False, None
        )

    # same-named tables live in several schemas: say which one
    label = f"{schema}.{tname}" if schema else tname
    pairs = [(db, model, "changed") for db, model in decision.changes]
    pairs += [(db, model, "renamed") for db, model in decision.renames]
    for db, model, how in pairs:
        if not dropped(db) or not wanted(model):
            continue
        drop = _drop_op(autogen_context, schema, tname, conn_table, db, comparison.restore_sql(db))
        add = _add_op(autogen_context, schema, metadata_table, model, taken)
        if how == "renamed":
            text = f"CHECK {db.name} on {label} renamed to {model.name}; expression unchanged ({db.sqltext})"
        else:
            text = f"CHECK {db.name or '(unnamed)'} on {label} changed: was ({db.sqltext}), now ({model.sqltext})"
        add_note(drop, text)
        emitted.extend([drop, add])
        log.info("Detected %s check constraint %r on table %r", how, db.name or model.name, tname)
    for db in decision.drops:
        if dropped(db):
            drop = _drop_op(
                autogen_context, schema, tname, conn_table, db, comparison.restore_sql(db)
            )
            add_note(
                drop,
                f"CHECK {db.name or '(unnamed)'} ({db.sqltext}) is in the database, not in the model",
            )
            emitted.append(drop)
            log.info("Detected removed check constraint %r on table %r", db.name, tname)
    for model in decision.adds:
        if wanted(model):
            add = _add_op(autogen_context, schema, metadata_table, model, taken)
            add_note(add, f"CHECK ({model.sqltext}) is in the model, not in the database")
            emitted.append(add)
            log.info("Detected added check constraint %r on table %r", model.name, tname)
    return emitted


def remember_unnamed(container: ops.ModifyTableOps, decision: TableDecision) -> None:
    """SQLite: the unnamed CHECKs the table has before and after, for its batch block."""
    if decision.unnamed_before or decision.unnamed_after:
        container.info[UNNAMED_BEFORE] = decision.unnamed_before
        container.info[UNNAMED_AFTER] = decision.unnamed_after


def compare_check_constraints(
    autogen_context: AutogenContext,
    modify_table_ops: ops.ModifyTableOps,
    schema: str | None,
    tname: str,
    conn_table: Table | None,
    metadata_table: Table | None,
) -> PriorityDispatchResult:
    # new tables keep their CHECKs inside create_table; dropped tables take theirs along
    if conn_table is None or metadata_table is None:
        return PriorityDispatchResult.CONTINUE
    comparison = comparison_for(autogen_context)
    decision = comparison.decisions.get((comparison._schema_key(schema), tname))
    if decision is None:
        return PriorityDispatchResult.CONTINUE
    modify_table_ops.ops.extend(
        table_check_ops(
            autogen_context,
            comparison,
            decision,
            schema,
            tname,
            conn_table,
            metadata_table,
            comparison.checks_in(schema).get(tname, ()),
        )
    )
    remember_unnamed(modify_table_ops, decision)
    return PriorityDispatchResult.CONTINUE


def keep_column_checks_in_create_table(
    autogen_context: AutogenContext, upgrade_ops: ops.UpgradeOps, schemas: set[str | None]
) -> PriorityDispatchResult:
    """Put column-level CHECKs of new tables into their ``create_table``.

    Alembic renders a new table from ``table.constraints``, where a CHECK
    declared on a Column (``Column("x", Integer, CheckConstraint("x > 0"))``)
    does not live, so stock autogenerate silently leaves it out.
    """
    for op in upgrade_ops.ops:
        if not isinstance(op, ops.CreateTableOp):
            continue
        assert autogen_context.dialect is not None
        missing = [
            CheckConstraint(
                _compiled(constraint, autogen_context.dialect),
                name=constraint.name,
                **constraint.dialect_kwargs,
            )
            for column in op.columns
            if isinstance(column, Column)
            for constraint in column.constraints
            if isinstance(constraint, CheckConstraint)
        ]
        if missing:
            op.columns = [*op.columns, *missing]
    return PriorityDispatchResult.CONTINUE


def finish_sqlite_batches(
    autogen_context: AutogenContext, upgrade_ops: ops.UpgradeOps, schemas: set[str | None]
) -> PriorityDispatchResult:
    """SQLite: render tables with unnamed CHECKs as batch blocks that keep them."""
    assert autogen_context.dialect is not None
    if not database_for(autogen_context.dialect).names_unnamed_checks:
        use_sqlite_check_batches(upgrade_ops)
    return PriorityDispatchResult.CONTINUE
