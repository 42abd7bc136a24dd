"""The rule registry: one module per rule, each exposing a :class:`Rule`.

Rules read recorded operations (Alembic's op objects and the guard's own)
and yield :class:`Finding` objects; they never look at source text.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
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

    @property
    def blocks(self) -> bool:
        return self.severity is Severity.ERROR and self.allowed_reason is None


CheckFunction = Callable[["RecordedOp", "RuleContext"], Iterable[str]]


@dataclass(frozen=True)
class Rule:
    """A safety rule. ``check`` yields one message per problem in an operation."""

    code: str
    name: str
    severity: Severity
    dialects: frozenset[str]  # empty: every dialect
    why: str
    safe_alternative: str
    check: CheckFunction = field(compare=False)

    def applies_to(self, dialect: str) -> bool:
        return not self.dialects or dialect in self.dialects


_registry: dict[str, Rule] = {}


def register(rule: Rule) -> Rule:
    """Add a rule; a second rule with the same code is an error."""
    if rule.code in _registry and _registry[rule.code] is not rule:
        raise ValueError(f"a rule with code {rule.code} is already registered")
    _registry[rule.code] = rule
    return rule


def unregister(code: str) -> None:
    _registry.pop(code, None)


def all_rules() -> list[Rule]:
    return [_registry[code] for code in sorted(_registry)]
