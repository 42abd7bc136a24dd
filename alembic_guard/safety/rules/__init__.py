"""The rule registry.  One module per rule (``agNNN_name.py``), each defining
``RULE = define(...)`` from its own docstring; :data:`BUILTIN` lists them.

Rules read recorded operations (Alembic's op objects and the guard's own)
and yield problems; they never look at source text.  Codes: ``AG0xx`` what the
guard could not check, ``AG1xx`` data
loss, ``AG2xx`` locking and rewrites, ``AG3xx`` compatibility with running
code, ``AG4xx`` raw SQL.
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from enum import Enum
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..context import RuleContext
    from ..recording import RecordedOp


class Severity(str, Enum):
    ERROR = "error"  # blocks the upgrade unless allowed
    WARNING = "warning"  # reported, never blocks


@dataclass(frozen=True)
class Finding:
    """One unsafe operation: what, where, why, and what to do instead."""

    code: str
    name: str
    severity: Severity
    message: str
    why: str
    safe_alternative: str
    revision: str
    path: str
    line: int
    operation: str
    allowed_reason: str | None = None
    #: how the revision was recorded, when the reader should know (its reads saw the
    #: database as it was before the upgrade)
    note: str | None = None

    @property
    def blocks(self) -> bool:
        return self.severity is Severity.ERROR and self.allowed_reason is None

    @property
    def how_to_allow(self) -> str:
        return (
            f'wrap the operation in `with alembic_guard.allow("{self.code}", reason="..."):`, '
            f'or set `alembic_guard_allow = {{"{self.code}": "reason"}}` in the revision'
        )


@dataclass(frozen=True)
class Problem:
    """What a rule's check yields: a message, optionally at another severity
    (a lock on a small table is a warning, not an error)."""

    message: str
    severity: Severity | None = None


CheckFunction = Callable[["RecordedOp", "RuleContext"], Iterable["Problem | str"]]


@dataclass(frozen=True)
class Rule:
    """A safety rule. ``check`` yields one problem per hazard in an operation."""

    code: str
    name: str
    severity: Severity
    dialects: frozenset[str]  # empty: every dialect
    summary: str
    why: str
    safe_alternative: str
    example: str
    check: CheckFunction = field(compare=False)

    def applies_to(self, dialect: str) -> bool:
        return not self.dialects or dialect in self.dialects


_SECTION = re.compile(r"^(Why|Safe alternative|Example):\s*$", re.M)


def define(
    doc: str | None,
    *,
    code: str,
    name: str,
    check: CheckFunction,
    severity: Severity = Severity.ERROR,
    dialects: Iterable[str] = (),
) -> Rule:
    """A rule whose documentation is its module's docstring: a summary line, then
    ``Why:``, ``Safe alternative:`` and ``Example:`` sections."""
    if not doc:
        raise ValueError(f"rule {code} has no docstring")
    parts = _SECTION.split(doc.strip())
    summary = " ".join(parts[0].split())
    sections = {parts[i]: parts[i + 1].strip("\n") for i in range(1, len(parts) - 1, 2)}
    missing = {"Why", "Safe alternative", "Example"} - set(sections)
    if missing:
        raise ValueError(f"rule {code} docstring lacks {', '.join(sorted(missing))}")
    return Rule(
        code=code,
        name=name,
        severity=severity,
        dialects=frozenset(dialects),
        summary=summary,
        why=" ".join(sections["Why"].split()),
        safe_alternative=" ".join(sections["Safe alternative"].split()),
        example=_dedent(sections["Example"]),
        check=check,
    )


def _dedent(text: str) -> str:
    import textwrap

    return textwrap.dedent(text).strip("\n")


#: the built-in rule modules, in code order
BUILTIN: list[str] = [
    "ag001_revision_not_checked",
    "ag101_drop_table",
    "ag102_drop_column",
    "ag103_drop_schema_object",
    "ag104_unbounded_dml",
    "ag201_alter_column_type",
    "ag202_shrink_varchar",
    "ag203_add_not_null_column",
    "ag204_set_not_null",
    "ag205_volatile_default",
    "ag206_create_index_blocking",
    "ag207_drop_index_blocking",
    "ag208_concurrently_in_transaction",
    "ag209_foreign_key_not_valid",
    "ag210_check_not_valid",
    "ag211_add_unique_or_primary_key",
    "ag212_lock_timeout_missing",
    "ag213_backfill_under_lock",
    "ag214_mysql_table_copy",
    "ag301_rename_table",
    "ag302_rename_column",
    "ag303_json_not_jsonb",
    "ag401_unparseable_sql",
    "ag402_raw_ddl",
]

_registry: dict[str, Rule] = {}
_loaded = False


def _load_builtin() -> None:
    global _loaded
    if _loaded:
        return
    _loaded = True
    for module in BUILTIN:
        register(importlib.import_module(f"{__name__}.{module}").RULE)


def register(rule: Rule) -> Rule:
    """Add a rule; a second, different rule with the same code is an error."""
    if rule.code in _registry and _registry[rule.code] != rule:
        raise ValueError(f"a rule with code {rule.code} is already registered")
    _registry[rule.code] = rule
    return rule


def unregister(code: str) -> None:
    _registry.pop(code, None)


def all_rules() -> list[Rule]:
    _load_builtin()
    return [_registry[code] for code in sorted(_registry)]


def get_rule(code: str) -> Rule | None:
    _load_builtin()
    return _registry.get(code.upper())


def with_severity(rule: Rule, severity: Severity) -> Rule:
    return replace(rule, severity=severity)
