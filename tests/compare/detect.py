"""What a set of autogenerate plugins reports for a model against a database."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import CheckConstraint, MetaData
from sqlalchemy.engine import Engine

GUARD = ["alembic.autogenerate.*", "alembic_guard.*"]
BYNAME = ["alembic.autogenerate.*", "alembic.ext.checkconstraint_byname"]


def _flat(diffs: list[object]) -> list[tuple[object, ...]]:
    flat: list[tuple[object, ...]] = []
    for diff in diffs:
        if isinstance(diff, list):
            flat.extend(_flat(diff))
        else:
            assert isinstance(diff, tuple)
            flat.append(diff)
    return flat


def check_diffs(engine: Engine, metadata: MetaData, plugins: list[str]) -> list[str]:
    """Sorted kinds of the CHECK-constraint diffs (add_constraint / remove_constraint)."""
    with engine.connect() as connection:
        context = MigrationContext.configure(
            connection, opts={"autogenerate_plugins": plugins, "target_metadata": metadata}
        )
        diffs = compare_metadata(context, metadata)
    return sorted(
        str(d[0]) for d in _flat(diffs) if len(d) > 1 and isinstance(d[1], CheckConstraint)
    )
