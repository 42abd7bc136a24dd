"""Saying, inside a migration, that an operation was reviewed.

Per operation::

    with alembic_guard.allow("AG102", reason="column unused since release 41"):
        op.drop_column("users", "fax")

Per revision (module level)::

    alembic_guard_allow = {"AG101": "table emptied and unused since 2026-10"}

A reason is required: an empty one stops the pre-flight.  When the
migration really runs, ``allow()`` does nothing.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from ..errors import PreflightError
from .recording import active_recorder

REVISION_ATTRIBUTE = "alembic_guard_allow"


def _checked(codes: Mapping[str, Any], where: str) -> dict[str, str]:
    allowed: dict[str, str] = {}
    for code, reason in codes.items():
        if not isinstance(reason, str) or not reason.strip():
            raise PreflightError(
                f"{where} allows {code} without a reason; say why the operation is safe, "
                f'e.g. {{"{code}": "table unused since release 41"}}.'
            )
        allowed[str(code).upper()] = reason.strip()
    return allowed


@contextmanager
def allow(*codes: str, reason: str) -> Iterator[None]:
    """Mark the operations inside the block as reviewed for the given rule codes."""
    recorder = active_recorder()
    if recorder is None:  # the real run: nothing to do
        yield
        return
    where = f"revision {recorder.revision} ({recorder.path}, line {recorder.call_site()})"
    if not codes:
        raise PreflightError(f"{where}: alembic_guard.allow() needs at least one rule code.")
    recorder.allowed.append(_checked(dict.fromkeys(codes, reason), where))
    try:
        yield
    finally:
        recorder.allowed.pop()


def revision_allowances(module: Any, revision: str, path: str) -> dict[str, str]:
    """The ``alembic_guard_allow`` mapping of a revision module, checked."""
    declared = getattr(module, REVISION_ATTRIBUTE, None)
    if declared is None:
        return {}
    if not isinstance(declared, Mapping):
        raise PreflightError(
            f"revision {revision} ({path}): {REVISION_ATTRIBUTE} must be a dict of rule code "
            f'to reason, e.g. {{"AG101": "why it is safe"}}.'
        )
    return _checked(declared, f"revision {revision} ({path})")
