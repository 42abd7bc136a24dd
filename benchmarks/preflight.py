"""Benchmark: the upgrade pre-flight over N pending revisions.

    python benchmarks/preflight.py [N ...]      (default: 200)

Writes N revisions (each adds a column, indexes an existing column, runs a data
update with a WHERE clause and sets the new column NOT NULL) into a temporary
Alembic project (on PostgreSQL when ALEMBIC_GUARD_PG names a server, where
the index rule fires in every revision; else on a SQLite file), and times ``alembic_guard.check_upgrade`` (import of
the scripts, recording, every rule) against the same ``alembic upgrade --sql``
with the guard off, measured in the same run.  Nothing is executed on the
database either way.
"""

from __future__ import annotations

import atexit
import io
import os
import statistics
import sys
import tempfile
import time
import uuid
from contextlib import redirect_stdout
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import sqlalchemy as sa
from alembic import command

import alembic_guard
from tests.helpers.project import AlembicProject

BODY = """op.add_column("t", sa.Column("c{n}", sa.Integer, nullable=True))
op.create_index("ix_t_v{n}", "t", ["v"])
op.execute("UPDATE t SET c{n} = 0 WHERE c{n} IS NULL")
op.alter_column("t", "c{n}", existing_type=sa.Integer(), nullable=False)"""


def database_url(root: Path) -> str:
    pg = os.environ.get("ALEMBIC_GUARD_PG")
    if not pg:
        return f"sqlite:///{root / 'bench.db'}"
    name = f"ag_bench_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(
        f"postgresql+psycopg://postgres@{pg}/postgres", isolation_level="AUTOCOMMIT"
    )
    with admin.connect() as connection:
        connection.exec_driver_sql(f"CREATE DATABASE {name}")

    def drop() -> None:
        with admin.connect() as connection:
            connection.exec_driver_sql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")

    atexit.register(drop)
    return f"postgresql+psycopg://postgres@{pg}/{name}"


def project_with(n: int) -> AlembicProject:
    root = Path(tempfile.mkdtemp())
    project = AlembicProject(root, database_url(root))
    project.write_revision(
        "r0",
        None,
        'op.create_table("t", sa.Column("id", sa.Integer, primary_key=True), sa.Column("v", sa.Integer))',
    )
    project.upgrade("r0")
    for i in range(1, n + 1):
        project.write_revision(f"r{i}", f"r{i - 1}", BODY.format(n=i))
    return project


def timed(fn, repeat: int = 5) -> float:
    timings = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        timings.append(time.perf_counter() - start)
    return statistics.median(timings)


def main() -> int:
    sizes = [int(a) for a in sys.argv[1:]] or [200]
    print(f"database: {'PostgreSQL' if os.environ.get('ALEMBIC_GUARD_PG') else 'SQLite'}")
    print(
        "| pending revisions | pre-flight (median of 5) | findings | `upgrade --sql`, guard off | ratio |"
    )
    print("|---|---|---|---|---|")
    for n in sizes:
        project = project_with(n)
        findings = alembic_guard.check_upgrade(project.config(), "head")

        def guard(project: AlembicProject = project) -> None:
            alembic_guard.check_upgrade(project.config(), "head")

        def offline(project: AlembicProject = project) -> None:
            with redirect_stdout(io.StringIO()):
                command.upgrade(project.config(x=("guard=off",)), "r0:head", sql=True)

        g, o = timed(guard), timed(offline)
        print(f"| {n} | {g:.3f} s | {len(findings)} | {o:.3f} s | {g / o:.2f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
