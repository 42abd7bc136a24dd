"""The ``alembic.plugins`` entry point: ``setup(plugin)`` registers comparators.

Every feature is one Alembic plugin named ``alembic_guard.<feature>``; all
their entry points name this module, and :func:`setup` registers what
belongs to ``plugin.name``.  Alembic loads entry points while ``import
alembic`` is still running, so this module imports nothing from Alembic at
import time and each comparator is a thin wrapper that imports its real
module on first call.

:func:`ensure_registered` covers running from a source tree without the
entry point, and is idempotent: pytest and long-lived processes run env.py
many times, and Alembic raises on a second plugin of the same name.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from alembic.runtime.plugins import Plugin

#: plugin name -> (compare target, compare element, "module:function", priority name)
COMPARATORS: dict[str, list[tuple[str, str, str, str]]] = {
    "alembic_guard.checks": [
        # CHECK conditions (and other model expressions) rendered with % and :name intact
        (
            "schema",
            "checkconstraints",
            "alembic_guard.compare.rendering:use_plain_rendering",
            "FIRST",
        ),
        (
            "table",
            "checkconstraints",
            "alembic_guard.compare.checks:compare_check_constraints",
            "MEDIUM",
        ),
        (
            "schema",
            "checkconstraints",
            "alembic_guard.compare.checks:keep_column_checks_in_create_table",
            "LAST",
        ),
        (
            "schema",
            "checkconstraints",
            "alembic_guard.compare.checks:finish_sqlite_batches",
            "LAST",
        ),
    ],
    "alembic_guard.renames": [
        (
            "schema",
            "renames",
            "alembic_guard.compare.renames:detect_renames",
            "LAST",
        ),
        (
            "schema",
            "renames",
            "alembic_guard.compare.ordering:drop_tables_after_their_foreign_keys",
            "LAST",
        ),
        (
            "schema",
            "renames",
            "alembic_guard.compare.ordering:drop_foreign_key_indexes",
            "LAST",
        ),
    ],
    # before Alembic reflects the tables: its per-column SERIAL probe becomes one query
    "alembic_guard.bulk_reflection": [
        (
            "schema",
            "tables",
            "alembic_guard.compare.serial:use_bulk_serial_probe",
            "FIRST",
        ),
    ],
    # after renames: views are dropped before and created after the final table operations
    "alembic_guard.views": [
        (
            "schema",
            "views",
            "alembic_guard.compare.views:compare_views",
            "LAST",
        ),
    ],
}

#: the autogenerate_plugins value that turns on Alembic's defaults and every guard feature
DEFAULT_AUTOGENERATE_PLUGINS = ["alembic.autogenerate.*", "alembic_guard.*"]


def _lazy(target: str) -> Callable[..., Any]:
    module_name, _, function_name = target.partition(":")

    def comparator(*args: Any, **kw: Any) -> Any:
        function = getattr(importlib.import_module(module_name), function_name)
        return function(*args, **kw)

    comparator.__name__ = function_name
    comparator.__qualname__ = f"{module_name}.{function_name}"
    return comparator


def setup(plugin: Plugin) -> None:
    """Register the comparators of the feature ``plugin.name``."""
    from alembic.util import DispatchPriority  # loaded before Alembic reads entry points

    if plugin.name not in COMPARATORS:
        raise ValueError(f"alembic_guard has no plugin named {plugin.name!r}")
    for target, element, function, priority in COMPARATORS[plugin.name]:
        plugin.add_autogenerate_comparator(
            _lazy(function), target, element, priority=DispatchPriority[priority]
        )


def ensure_registered() -> None:
    """Register every guard plugin that Alembic does not know yet."""
    import sys

    from alembic.runtime.plugins import Plugin, _all_plugins

    for name in COMPARATORS:
        if name not in _all_plugins:
            Plugin.setup_plugin_from_module(sys.modules[__name__], name)


def registered() -> list[str]:
    """Names of the guard plugins Alembic currently knows."""
    from alembic.runtime.plugins import _all_plugins

    return sorted(name for name in _all_plugins if name.startswith("alembic_guard."))
