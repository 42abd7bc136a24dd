"""Errors the guard raises.

Every error is an :class:`alembic.util.CommandError`, so Alembic's command
line prints it as one ``FAILED: ...`` paragraph and exits non-zero instead of
showing a traceback.
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic.util import CommandError


class GuardError(CommandError):
    """Base class of every error alembic_guard raises on purpose."""


class GuardConfigError(GuardError):
    """A configuration key or value is wrong; the message names key and file."""


class GuardWiringError(GuardError):
    """``alembic_guard.configure`` was called outside an Alembic env.py run."""


class UpgradeBlocked(GuardError):
    """The pre-flight found operations that are not allowed; nothing was run."""

    def __init__(self, message: str, findings: Sequence[object]) -> None:
        super().__init__(message)
        self.findings = list(findings)


class PreflightError(GuardError):
    """A pending migration could not be inspected (import error, bad call...)."""


class ConnectionLost(GuardError):
    """The database connection dropped while the guard read from it; says what was
    being done and what was (not) applied."""


class MigrationScriptError(GuardError):
    """A migration script cannot be loaded, or the history has several heads; the
    message names the files."""
