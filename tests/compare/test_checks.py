"""CHECK constraints end to end: database from ``before``, model ``after``,
autogenerate -> upgrade -> ``alembic check`` clean -> downgrade -> the
database's original definitions back (read from the catalog)."""

from __future__ import annotations

import pytest

from tests.compare.check_scenarios import EXPECTED_DIFFS, SCENARIOS, Scenario
from tests.compare.detect import GUARD, check_diffs
from tests.helpers.snapshot import check_constraints

CASES = [
    pytest.param(scenario, name, id=f"{scenario.name}-{name}")
    for scenario in SCENARIOS
    for name in scenario.dialects
]


def build(scenario: Scenario, dialect) -> None:
    before = scenario.metadata("before", dialect.name)
    with dialect.engine.begin() as connection:
        before.create_all(connection)
        for sql in scenario.setup_sql(dialect.name):
            connection.exec_driver_sql(sql)


def test_corpus_size():
    assert len(SCENARIOS) >= 25


@pytest.mark.parametrize("scenario,dialect", CASES, indirect=["dialect"])
def test_check_scenario_round_trip(scenario: Scenario, dialect, project):
    build(scenario, dialect)
    original = check_constraints(dialect.engine)
    after = scenario.metadata("after", dialect.name)

    assert check_diffs(dialect.engine, after, GUARD) == EXPECTED_DIFFS[scenario.expect]

    if scenario.expect == "same":
        project.check(after)
        return
    script = project.revision(after, "checks").read_text()
    assert "# alembic_guard: CHECK" in script
    project.upgrade()
    project.check(after)
    project.downgrade("base")
    assert check_constraints(dialect.engine) == original
