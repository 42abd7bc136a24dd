"""alembic_guard: autogenerate sees CHECK constraints, views and renames;
``alembic upgrade`` is blocked before anything runs when a pending migration
is unsafe.  Wire it into env.py with :func:`configure`.

Alembic imports :mod:`alembic_guard.plugin` while ``import alembic`` is
still running, so this package imports its public API lazily.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

__all__ = ["__version__", "allow", "check_upgrade", "configure"]

if TYPE_CHECKING:
    from .safety.allowing import allow
    from .wiring import check_upgrade, configure


def __getattr__(name: str) -> Any:
    if name in ("configure", "check_upgrade"):
        from . import wiring

        return getattr(wiring, name)
    if name == "allow":
        from .safety.allowing import allow

        return allow
    raise AttributeError(f"module 'alembic_guard' has no attribute {name!r}")
