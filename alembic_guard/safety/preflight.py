"""Pending revisions -> recorded operations (nothing executed) -> findings."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from alembic.operations import ops
from alembic.runtime.migration import MigrationContext

from .context import RuleContext
from .recording import RecordedOp, record_upgrade
from .rules import Finding, all_rules


def describe(op: ops.MigrateOperation) -> str:
    """A short, stable description of an operation for reports."""
    name = type(op).__name__.removesuffix("Op")
    table = getattr(op, "table_name", None)
    column = getattr(op, "column_name", None)
    if column is None and isinstance(op, ops.AddColumnOp):
        column = op.column.name
    target = ".".join(str(part) for part in (table, column) if part)
    return f"{name}({target})" if target else name


def _server_version(context: MigrationContext) -> tuple[int, ...] | None:
    info = getattr(context.dialect, "server_version_info", None)
    return tuple(int(part) for part in info if isinstance(part, int)) if info else None


def _created_table(op: ops.MigrateOperation) -> tuple[str | None, str] | None:
    if isinstance(op, ops.CreateTableOp):
        return (op.schema, op.table_name)
    return None


def evaluate_records(
    records: Iterable[RecordedOp], rule_context: RuleContext
) -> list[tuple[RecordedOp, Finding]]:
    """Run every rule that applies to the dialect over the recorded operations, in order."""
    rules = [rule for rule in all_rules() if rule.applies_to(rule_context.dialect)]
    findings: list[tuple[RecordedOp, Finding]] = []
    for record in records:
        for rule in rules:
            for message in rule.check(record, rule_context):
                findings.append(
                    (
                        record,
                        Finding(
                            code=rule.code,
                            name=rule.name,
                            severity=rule.severity,
                            message=message,
                            why=rule.why,
                            safe_alternative=rule.safe_alternative,
                            revision=record.revision,
                            path=record.path,
                            line=record.line,
                            operation=describe(record.op),
                            allowed_reason=record.allowed.get(rule.code),
                        ),
                    )
                )
        created = _created_table(record.op)
        if created is not None:
            rule_context.created_tables.add(created)
    return findings


def evaluate(records: Iterable[RecordedOp], rule_context: RuleContext) -> list[Finding]:
    return [finding for _, finding in evaluate_records(records, rule_context)]


def preflight_steps(steps: Sequence[Any], context: MigrationContext) -> list[Finding]:
    """Record the upgrade steps Alembic is about to run and judge them."""
    records: list[RecordedOp] = []
    for step in steps:
        if step.is_upgrade:
            records.extend(record_upgrade(step.revision, context))
    rule_context = RuleContext(
        dialect=context.dialect.name, server_version=_server_version(context)
    )
    return evaluate(records, rule_context)
