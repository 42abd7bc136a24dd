"""Run the rename corpus against a database and measure precision and recall.

python -m tests.renames.evaluate      # rewrite the figures in docs/renames.md
"""

from __future__ import annotations

import os
import re
import sys
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import sqlalchemy as sa
from alembic.autogenerate import produce_migrations
from alembic.operations import ops
from alembic.runtime.migration import MigrationContext
from sqlalchemy.engine import Engine

from alembic_guard.config import GuardSettings
from alembic_guard.ops.renames import RenameColumnOp, RenameTableOp
from alembic_guard.wiring import SETTINGS_OPTION
from tests.helpers.databases import DIALECTS, mysql_server_url
from tests.renames.rename_scenarios import SCENARIOS, RenameScenario

PAGE = Path(__file__).resolve().parents[2] / "docs" / "renames.md"
GUARD = ["alembic.autogenerate.*", "alembic_guard.*"]
REGION = re.compile(r"(<!-- rename figures -->\n).*?(<!-- end of rename figures -->)", re.S)


def renames_in(container: ops.OpContainer) -> set[tuple[str, ...]]:
    found: set[tuple[str, ...]] = set()
    for op in container.ops:
        if isinstance(op, RenameTableOp):
            found.add(("table", op.table_name, op.new_table_name))
        elif isinstance(op, RenameColumnOp):
            found.add(("column", op.table_name, str(op.column_name), op.new_column_name))
        elif isinstance(op, ops.OpContainer):
            found |= renames_in(op)
    return found


def reset(engine: Engine) -> None:
    with engine.begin() as connection:
        md = sa.MetaData()
        md.reflect(connection)
        md.drop_all(connection)


def detect(engine: Engine, scenario: RenameScenario) -> set[tuple[str, ...]]:
    reset(engine)
    with engine.begin() as connection:
        scenario.metadata("before").create_all(connection)
    settings = GuardSettings().with_overrides(scenario.settings, "the scenario")
    with engine.connect() as connection:
        context = MigrationContext.configure(
            connection, opts={"autogenerate_plugins": GUARD, SETTINGS_OPTION: settings}
        )
        script = produce_migrations(context, scenario.metadata("after"))
    return renames_in(script.upgrade_ops)


@dataclass
class Measurement:
    true_positives: int = 0
    false_positives: int = 0
    false_negatives: int = 0
    wrong: list[str] = field(default_factory=list)

    @property
    def precision(self) -> float:
        detected = self.true_positives + self.false_positives
        return self.true_positives / detected if detected else 1.0

    @property
    def recall(self) -> float:
        expected = self.true_positives + self.false_negatives
        return self.true_positives / expected if expected else 1.0


def measure(engine: Engine, scenarios: list[RenameScenario] | None = None) -> Measurement:
    result = Measurement()
    for scenario in SCENARIOS if scenarios is None else scenarios:
        found = detect(engine, scenario)
        result.true_positives += len(found & scenario.expected)
        result.false_positives += len(found - scenario.expected)
        result.false_negatives += len(scenario.expected - found)
        if found != scenario.expected:
            result.wrong.append(
                f"{scenario.name}: expected {sorted(scenario.expected)}, found {sorted(found)}"
            )
    reset(engine)
    return result


def figures_line(dialect: str, m: Measurement) -> str:
    return (
        f"| {dialect} | {len(SCENARIOS)} | {m.true_positives + m.false_negatives} | "
        f"{m.true_positives} | {m.false_positives} | {m.false_negatives} | "
        f"{m.precision:.0%} | {m.recall:.0%} |"
    )


def figures_table(lines: list[str]) -> str:
    header = (
        "| database | scenarios | expected renames | found right | false renames | missed "
        "| precision | recall |\n|---|---|---|---|---|---|---|---|"
    )
    return "\n".join([header, *lines])


@contextmanager
def _engines() -> Iterator[dict[str, Engine]]:
    name = f"ag_renames_{uuid.uuid4().hex[:8]}"
    pg = os.environ.get("ALEMBIC_GUARD_PG", "127.0.0.1:5432")
    admins = [
        (
            sa.create_engine(
                f"postgresql+psycopg://postgres@{pg}/postgres", isolation_level="AUTOCOMMIT"
            ),
            '"',
        ),
        (sa.create_engine(mysql_server_url(), isolation_level="AUTOCOMMIT"), "`"),
    ]
    for admin, quote in admins:
        with admin.connect() as connection:
            connection.exec_driver_sql(f"CREATE DATABASE {quote}{name}{quote}")
    engines = {
        "postgresql": sa.create_engine(
            f"postgresql+psycopg://postgres@{pg}/{name}", poolclass=sa.pool.NullPool
        ),
        "mariadb": sa.create_engine(
            f"{mysql_server_url().rstrip('/')}/{name}", poolclass=sa.pool.NullPool
        ),
        "sqlite": sa.create_engine(
            f"sqlite:///{tempfile.mkdtemp()}/renames.db", poolclass=sa.pool.NullPool
        ),
    }
    try:
        yield engines
    finally:
        for engine in engines.values():
            engine.dispose()
        for admin, quote in admins:
            with admin.connect() as connection:
                connection.exec_driver_sql(f"DROP DATABASE {quote}{name}{quote}")


def main() -> int:
    with _engines() as engines:
        lines = [figures_line(d, measure(engines[d])) for d in DIALECTS]
    text = PAGE.read_text()
    PAGE.write_text(
        REGION.sub(lambda m: m.group(1) + "\n" + figures_table(lines) + "\n\n" + m.group(2), text)
    )
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
