"""Measure the CHECK corpus with Alembic's checkconstraint_byname and with the
guard, and render the table of docs/checks-comparison.md.

    python -m tests.compare.byname_table      # rewrite the docs page

uses the databases of the test rig (ALEMBIC_GUARD_PG, ALEMBIC_GUARD_MYSQL_URL);
tests/compare/test_byname_table.py fails when the page and a new measurement differ.
"""

from __future__ import annotations

import os
import sys
import tempfile
import uuid
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from tests.compare.check_scenarios import EXPECTED_DIFFS, SCENARIOS, Scenario
from tests.compare.detect import BYNAME, GUARD, check_diffs
from tests.helpers.databases import DIALECTS, mysql_server_url

PAGE = Path(__file__).resolve().parents[2] / "docs" / "checks-comparison.md"
TITLES = {"postgresql": "PostgreSQL", "mariadb": "MariaDB", "sqlite": "SQLite"}
WORDS = {
    (): "nothing",
    ("add_constraint",): "add",
    ("remove_constraint",): "drop",
    ("add_constraint", "remove_constraint"): "drop + add",
}


def _word(kinds: list[str]) -> str:
    return WORDS.get(tuple(kinds), " + ".join(kinds))


def _reset(engine: Engine) -> None:
    with engine.begin() as connection:
        md = sa.MetaData()
        md.reflect(connection)
        md.drop_all(connection)
        if connection.dialect.name == "postgresql":
            connection.exec_driver_sql("DROP TYPE IF EXISTS status_enum")


def measure(engine: Engine, dialect: str) -> list[tuple[Scenario, str, str]]:
    """(scenario, what byname reports, what the guard reports) for each scenario."""
    rows = []
    for scenario in SCENARIOS:
        if dialect not in scenario.dialects:
            continue
        _reset(engine)
        with engine.begin() as connection:
            scenario.metadata("before", dialect).create_all(connection)
            for sql in scenario.setup_sql(dialect):
                connection.exec_driver_sql(sql)
        # a fresh model for each tool: Alembic's ops attach copies of
        # expression-based CHECKs to the model's table when they build constraints
        rows.append(
            (
                scenario,
                _word(check_diffs(engine, scenario.metadata("after", dialect), BYNAME)),
                _word(check_diffs(engine, scenario.metadata("after", dialect), GUARD)),
            )
        )
    _reset(engine)
    return rows


def render(dialect: str, rows: list[tuple[Scenario, str, str]]) -> str:
    def cell(found: str, expected: str) -> str:
        return f"{found} ✓" if found == expected else f"**{found}** ✗"

    right = {"byname": 0, "guard": 0}
    lines = [
        f"## {TITLES[dialect]}",
        "",
        "| scenario | correct answer | `checkconstraint_byname` | `alembic_guard.checks` |",
        "|---|---|---|---|",
    ]
    for scenario, byname, guard in rows:
        expected = _word(EXPECTED_DIFFS[scenario.expect])
        right["byname"] += byname == expected
        right["guard"] += guard == expected
        lines.append(
            f"| {scenario.name} | {expected} | {cell(byname, expected)} | {cell(guard, expected)} |"
        )
    lines += [
        "",
        f"Correct: `checkconstraint_byname` {right['byname']} of {len(rows)}, "
        f"`alembic_guard.checks` {right['guard']} of {len(rows)}.",
        "",
    ]
    return "\n".join(lines)


HEADER = """# CHECK detection: alembic_guard vs Alembic's checkconstraint_byname

Measured, not claimed: `python -m tests.compare.byname_table` builds each
scenario of `tests/compare/check_scenarios.py` in a real database (the state
*before*), runs Alembic's `compare_metadata` against the model *after* once
with `autogenerate_plugins=["alembic.autogenerate.*",
"alembic.ext.checkconstraint_byname"]` and once with `["alembic.autogenerate.*",
"alembic_guard.*"]`, and writes what each reported about CHECK constraints.
The test suite re-measures and fails when this page is out of date.

"nothing" for a scenario whose correct answer is "drop + add" means the
migration would silently keep the old rule; "drop" alone means it would
silently lose the rule.

"""


@contextmanager
def _databases() -> Iterator[dict[str, Engine]]:
    name = f"ag_table_{uuid.uuid4().hex[:8]}"
    pg = os.environ.get("ALEMBIC_GUARD_PG", "127.0.0.1:5432")
    admin_pg = sa.create_engine(
        f"postgresql+psycopg://postgres@{pg}/postgres", isolation_level="AUTOCOMMIT"
    )
    admin_my = sa.create_engine(mysql_server_url(), isolation_level="AUTOCOMMIT")
    for admin, quote in ((admin_pg, '"'), (admin_my, "`")):
        with admin.connect() as connection:
            connection.exec_driver_sql(f"CREATE DATABASE {quote}{name}{quote}")
    folder = tempfile.mkdtemp()
    engines = {
        "postgresql": sa.create_engine(
            f"postgresql+psycopg://postgres@{pg}/{name}", poolclass=sa.pool.NullPool
        ),
        "mariadb": sa.create_engine(
            f"{mysql_server_url().rstrip('/')}/{name}", poolclass=sa.pool.NullPool
        ),
        "sqlite": sa.create_engine(f"sqlite:///{folder}/table.db", poolclass=sa.pool.NullPool),
    }
    try:
        yield engines
    finally:
        for engine in engines.values():
            engine.dispose()
        for admin, quote in ((admin_pg, '"'), (admin_my, "`")):
            with admin.connect() as connection:
                connection.exec_driver_sql(f"DROP DATABASE {quote}{name}{quote}")


def main() -> int:
    # Alembic's byname plugin passes reflected dialect_options on as keyword arguments
    warnings.simplefilter("ignore", sa.exc.SAWarning)
    with _databases() as engines:
        sections = [render(d, measure(engines[d], d)) for d in DIALECTS]
    PAGE.write_text(HEADER + "\n".join(sections))
    print(f"wrote {PAGE}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
