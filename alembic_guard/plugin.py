"""Alembic plugin registration.

Each detection feature is one Alembic plugin named ``alembic_guard.<feature>``
whose module has a ``setup(plugin)`` function, exactly like Alembic's own
``alembic.autogenerate.*`` plugins.  Installed packages are registered by
Alembic from the ``alembic.plugins`` entry point when ``alembic`` is
imported; :func:`ensure_registered` covers running from a source tree
(no entry point) and is idempotent, because pytest and long-lived
processes run env.py many times.
"""

from __future__ import annotations

import importlib

from alembic.runtime.plugins import Plugin, _all_plugins

#: plugin name -> module with ``setup(plugin)``; mirrors pyproject's entry points
PLUGIN_MODULES: dict[str, str] = {
    "alembic_guard.checks": "alembic_guard.compare.checks",
}

#: the autogenerate_plugins value that turns on Alembic's defaults and every guard feature
DEFAULT_AUTOGENERATE_PLUGINS = ["alembic.autogenerate.*", "alembic_guard.*"]


def ensure_registered() -> None:
    """Register every guard plugin that Alembic does not know yet."""
    for name, module_name in PLUGIN_MODULES.items():
        if name not in _all_plugins:
            Plugin.setup_plugin_from_module(importlib.import_module(module_name), name)


def registered() -> list[str]:
    """Names of the guard plugins Alembic currently knows."""
    return sorted(name for name in _all_plugins if name.startswith("alembic_guard."))
