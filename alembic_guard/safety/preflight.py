"""Pending revisions -> recorded operations (nothing executed) -> findings."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import Any

import sqlalchemy as sa
from alembic.operations import ops
from alembic.runtime.migration import MigrationContext

from ..config import GuardSettings
from ..dialects import database_for, database_named
from ..errors import PreflightError
from ..lost_connection import is_lost
from .allowing import revision_allowances
from .context import RuleContext
from .pending import PendingSchema
from .raw_tables import created_indexes, created_tables, table_renames
from .recording import RecordedOp, record_upgrade, sql_text
from .rules import Finding, Problem, Rule, Severity, all_rules, with_severity


def describe(op: ops.MigrateOperation) -> str:
    """A short, stable description of an operation for reports."""
    name = type(op).__name__.removesuffix("Op")
    table = getattr(op, "table_name", None)
    column = getattr(op, "column_name", None)
    if column is None and isinstance(op, ops.AddColumnOp):
        column = op.column.name
    if isinstance(op, ops.ExecuteSQLOp):
        sql = " ".join(sql_text(op.sqltext).split())
        return f"Execute({sql[:60]}{'...' if len(sql) > 60 else ''})"
    target = ".".join(str(part) for part in (table, column) if part)
    return f"{name}({target})" if target else name


def _server_version(context: MigrationContext) -> tuple[int, ...] | None:
    info = getattr(context.dialect, "server_version_info", None)
    return tuple(int(part) for part in info if isinstance(part, int)) if info else None


def rules_for(settings: GuardSettings, dialect: str) -> list[Rule]:
    """The rules this project runs on this dialect, with its severity overrides."""
    overrides = {code: Severity(level) for code, level in settings.severity}
    chosen = []
    for rule in all_rules():
        if rule.code in settings.disable or not rule.applies_to(dialect):
            continue
        if rule.code in overrides:
            rule = with_severity(rule, overrides[rule.code])
        chosen.append(rule)
    return chosen


_LOCK_TIMEOUT = re.compile(
    r"\bset\s+(?:local\s+|session\s+)?lock_timeout\s*(?:=|to)\s*([^;\s]+)", re.I
)


_NOT_NULL_CHECK = re.compile(r"\(?\s*([\"`]?\w+[\"`]?)\s+IS\s+NOT\s+NULL\s*\)?", re.I)
_VALIDATE = re.compile(r"\bVALIDATE\s+CONSTRAINT\s+(\"[^\"]+\"|\w+)", re.I)


def rule_dialect(name: str) -> str:
    """The rules' name for a dialect: SQLAlchemy calls MariaDB "mariadb" for mariadb:// URLs."""
    return database_named(name).rule_name or name


def _remember(op: ops.MigrateOperation, context: RuleContext) -> None:
    """What later operations of the pending set may rely on."""
    if isinstance(op, ops.CreateTableOp):
        context.created_tables.add((context.schema_key(op.schema), op.table_name))
        for item in op.columns:
            # the indexes CREATE TABLE comes with: Index items and index=True columns
            if isinstance(item, sa.Index) and item.name:
                context.created_indexes.add(str(item.name).lower())
            elif isinstance(item, sa.Column) and item.index:
                context.created_indexes.add(f"ix_{op.table_name}_{item.name}".lower())
    elif isinstance(op, ops.CreateIndexOp) and context.is_new_table(op.schema, op.table_name):
        context.created_indexes.add(str(op.index_name).lower())
    elif isinstance(op, ops.AddColumnOp):
        context.created_columns.add((context.schema_key(op.schema), op.table_name, op.column.name))
    elif isinstance(op, ops.CreateCheckConstraintOp):
        column = _NOT_NULL_CHECK.fullmatch(str(op.condition).strip())
        if column is not None:
            key = (context.schema_key(op.schema), op.table_name, column.group(1).strip('"`'))
            if op.kw.get("postgresql_not_valid"):
                context.pending_not_null_checks[str(op.constraint_name)] = key
            else:
                context.not_null_checks.add(key)
    elif isinstance(op, ops.RenameTableOp) and context.is_new_table(op.schema, op.table_name):
        context.created_tables.add((context.schema_key(op.schema), op.new_table_name))
    elif isinstance(op, ops.ExecuteSQLOp):
        for schema, table in created_tables(op):
            context.created_tables.add((context.schema_key(schema), table))
        for rename in table_renames(op):
            _remember(rename, context)
        for index, (schema, table) in created_indexes(op):
            if context.is_new_table(schema, table):
                context.created_indexes.add(index.lower())
        for name in _VALIDATE.findall(sql_text(op.sqltext)):
            validated = context.pending_not_null_checks.pop(name.strip('"'), None)
            if validated is not None:
                context.not_null_checks.add(validated)
        setting = _LOCK_TIMEOUT.search(sql_text(op.sqltext))
        if setting is not None:
            # SET lock_timeout = 0 switches it off again
            value = setting.group(1).strip("'\" ").lower()
            context.lock_timeout_set = value not in ("0", "0s", "0ms", "0min", "default")


def evaluate_records(
    records: Iterable[RecordedOp], rule_context: RuleContext, rules: Sequence[Rule] | None = None
) -> list[tuple[RecordedOp, Finding]]:
    """Run the rules over the recorded operations, in order."""
    chosen = (
        list(rules)
        if rules is not None
        else [r for r in all_rules() if r.applies_to(rule_context.dialect)]
    )
    records = list(records)
    for record in records:
        if type(record.op).__name__ in ("CreateViewOp", "CreateMaterializedViewOp"):
            schema = rule_context.schema_key(getattr(record.op, "schema", None))
            name = str(getattr(record.op, "view_name", ""))
            rule_context.recreated_views.add((record.revision, schema, name))
    findings: list[tuple[RecordedOp, Finding]] = []
    for record in records:
        for rule in chosen:
            try:
                problems = list(rule.check(record, rule_context))
            except PreflightError:
                raise
            except Exception as error:
                if is_lost(error, rule_context.connection):
                    # not the rule's fault; the caller says what was being done
                    raise
                raise PreflightError(
                    f"Rule {rule.code} {rule.name} failed on revision {record.revision} "
                    f"({record.path}, line {record.line}), {describe(record.op)}: "
                    f"{type(error).__name__}: {error}. Report it; `-x guard.disable={rule.code}` "
                    f"skips the rule meanwhile."
                ) from None
            for problem in problems:
                if isinstance(problem, str):
                    problem = Problem(problem)
                message = problem.message
                if problem.severity is Severity.WARNING and rule.severity is Severity.ERROR:
                    message += _small_table_note(record.op, rule_context)
                findings.append(
                    (
                        record,
                        Finding(
                            code=rule.code,
                            name=rule.name,
                            severity=problem.severity or rule.severity,
                            message=message,
                            why=rule.why,
                            safe_alternative=rule.safe_alternative,
                            revision=record.revision,
                            path=record.path,
                            line=record.line,
                            operation=describe(record.op),
                            allowed_reason=record.allowed.get(rule.code),
                            note=record.note,
                        ),
                    )
                )
        _remember(record.op, rule_context)
    return findings


def _small_table_note(op: ops.MigrateOperation, context: RuleContext) -> str:
    """Why an error became a warning, when the table was small: its row count."""
    table = getattr(op, "table_name", None) or getattr(op, "source_table", None)
    if context.small_table_rows <= 0 or not isinstance(table, str):
        return ""
    schema = getattr(op, "schema", None)
    rows = context.table_rows(schema, table)
    if rows is None or rows >= context.small_table_rows:
        return ""
    return (
        f" ({table} holds {rows} row{'' if rows == 1 else 's'}, fewer than "
        f"small_table_rows = {context.small_table_rows}: a warning, not an error)"
    )


def evaluate(records: Iterable[RecordedOp], rule_context: RuleContext) -> list[Finding]:
    return [finding for _, finding in evaluate_records(records, rule_context)]


def _grandfathered(context: MigrationContext, settings: GuardSettings) -> set[str]:
    """Revisions up to and including ``start_after``: they predate the guard."""
    if not settings.start_after:
        return set()
    environment = context.environment_context
    if environment is None:
        return set()
    script = environment.script
    try:
        revisions = script.revision_map.iterate_revisions(settings.start_after, "base")
        return {r.revision for r in revisions}
    except Exception as error:
        from ..errors import GuardConfigError

        raise GuardConfigError(
            f"alembic_guard setting start_after = {settings.start_after!r} names no revision "
            f"of this project ({error})."
        ) from None


def preflight_steps(
    steps: Sequence[Any],
    context: MigrationContext,
    settings: GuardSettings | None = None,
    arguments: dict[str, Any] | None = None,
) -> list[Finding]:
    """Record the upgrade steps Alembic is about to run and judge them."""
    settings = settings or GuardSettings()
    skip = _grandfathered(context, settings)
    records: list[RecordedOp] = []
    # what earlier pending revisions create, for the reads of later ones
    pending = PendingSchema(context.dialect.default_schema_name)
    for step in steps:
        if not step.is_upgrade or step.revision.revision in skip:
            continue
        script = step.revision
        allowed = revision_allowances(script.module, script.revision, script.path)
        records.extend(record_upgrade(script, context, allowed, arguments, pending=pending))
    online = not context.as_sql
    rule_context = RuleContext(
        dialect=rule_dialect(context.dialect.name),
        server_version=_server_version(context),
        connection=context.connection if online else None,
        small_table_rows=settings.small_table_rows,
        lock_timeout_set=database_for(context.dialect).session_timeouts
        and settings.lock_timeout != "0",
        default_schema=context.dialect.default_schema_name,
        transaction_per_migration=bool(context.opts.get("transaction_per_migration")),
    )
    return [
        f
        for _, f in evaluate_records(
            records, rule_context, rules_for(settings, rule_context.dialect)
        )
    ]
