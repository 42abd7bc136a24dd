"""What a rule may ask about the world an operation runs in."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class RuleContext:
    """Facts about the target database and the pending set, read before any rule runs."""

    dialect: str
    server_version: tuple[int, ...] | None = None
    #: (schema, table) created by an earlier operation of the same pending set
    created_tables: set[tuple[str | None, str]] = field(default_factory=set)
