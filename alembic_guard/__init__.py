"""alembic_guard: autogenerate sees CHECK constraints, views and renames;
``alembic upgrade`` is blocked before anything runs when a pending migration
is unsafe.  Wire it into env.py with :func:`configure`.
"""

from __future__ import annotations

from .wiring import check_upgrade, configure

__version__ = "0.1.0"

__all__ = ["__version__", "check_upgrade", "configure"]
