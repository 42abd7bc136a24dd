"""One autogenerate run, one note: when the database refuses the scratch objects that
render model SQL its own way (a read-only role or transaction, a replica), CHECK
expressions and views are compared by parsing, the database is not asked again in
that run, and the user is told once."""

from __future__ import annotations

import weakref

from alembic.autogenerate.api import AutogenContext

from ..messages import notice

_refusals: weakref.WeakKeyDictionary[AutogenContext, str] = weakref.WeakKeyDictionary()


def refused(autogen_context: AutogenContext) -> bool:
    """Whether the database already refused scratch objects in this run."""
    return autogen_context in _refusals


def fall_back(autogen_context: AutogenContext, reason: str) -> None:
    """Record the refusal and say so, the first time in the run."""
    if autogen_context in _refusals:
        return
    _refusals[autogen_context] = reason
    notice(
        autogen_context.migration_context.config,
        f"CHECK expressions and view definitions are compared by parsing only, because "
        f"the database refused the scratch objects that render them its own way "
        f"({reason}); set guard.canonicalize=parse to compare this way without trying.",
    )
