"""Views end to end on PostgreSQL, MariaDB and SQLite: autogenerate -> upgrade ->
``alembic check`` clean, stage after stage; then downgrade, stage by stage, and the
database's previous views (read from its catalog) are back exactly."""

from __future__ import annotations

import pytest

from tests.helpers.snapshot import schema_objects, views
from tests.views.scenarios import SCENARIOS, Scenario


def snapshot(engine) -> tuple[dict[str, object], dict[str, tuple[str, str]]]:
    objects = schema_objects(engine)
    for key in ("columns", "indexes"):
        objects[key].pop("alembic_version", None)  # type: ignore[attr-defined]
    objects["tables"] = [t for t in objects["tables"] if t != "alembic_version"]  # type: ignore[attr-defined]
    return objects, views(engine)


CASES = [
    pytest.param(scenario, name, id=f"{scenario.name}-{name}")
    for scenario in SCENARIOS
    for name in scenario.dialects
]


@pytest.mark.parametrize("scenario,dialect", CASES, indirect=["dialect"])
def test_view_scenario_round_trip(scenario: Scenario, dialect, project):
    snapshots = [snapshot(dialect.engine)]
    for number, stage in enumerate(scenario.stages, 1):
        models = stage.models()
        script = project.revision(models, f"stage {number}", x=stage.x).read_text()
        upgrade = script.split("def downgrade")[0]
        for expected in stage.expect.get(dialect.name, stage.expect.get("*", ())):
            assert expected in upgrade, f"stage {number}: {expected!r} not in\n{upgrade}"
        project.upgrade(x=stage.x)
        project.check(models, x=stage.x)
        snapshots.append(snapshot(dialect.engine))
    for number in range(len(scenario.stages), 0, -1):
        project.downgrade("-1")
        assert snapshot(dialect.engine) == snapshots[number - 1], (
            f"downgrade of stage {number} did not restore stage {number - 1}"
        )
