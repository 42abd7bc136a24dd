"""Benchmark: rename matching of N dropped x N added columns of one type.

    python benchmarks/rename_matching.py [N ...]     (default: 100 1000)

Builds one table whose N columns all disappear from the model while N others of
the same type appear (the worst case: every pair is a candidate), then times
the guard's whole column pass (profiles, Alembic's type verdicts, the N x N
score matrix, the optimal assignment, and rewriting the operations). No
database is needed; stock Alembic has no equivalent step to compare with.
"""

from __future__ import annotations

import statistics
import sys
import time

import sqlalchemy as sa
from alembic.autogenerate.api import AutogenContext
from alembic.operations import ops
from alembic.runtime.migration import MigrationContext

from alembic_guard.compare.renames import RenameDetector
from alembic_guard.config import GuardSettings
from alembic_guard.ops.renames import RenameColumnOp


def container(n: int) -> ops.ModifyTableOps:
    old = sa.Table(
        "wide",
        sa.MetaData(),
        sa.Column("id", sa.Integer, primary_key=True),
        *(sa.Column(f"metric_{i}", sa.Integer) for i in range(n)),
    )
    new = sa.Table(
        "wide",
        sa.MetaData(),
        sa.Column("id", sa.Integer, primary_key=True),
        *(sa.Column(f"measure_{i}", sa.Integer) for i in range(n)),
    )
    operations: list[ops.MigrateOperation] = [
        ops.AddColumnOp.from_column_and_tablename(None, "wide", c)
        for c in new.columns
        if c.name != "id"
    ]
    operations += [
        ops.DropColumnOp.from_column_and_tablename(None, "wide", c)
        for c in old.columns
        if c.name != "id"
    ]
    return ops.ModifyTableOps("wide", operations)


def run(n: int, repeat: int = 5) -> tuple[float, int]:
    context = AutogenContext(MigrationContext.configure(dialect_name="postgresql"))
    timings = []
    renamed = 0
    for _ in range(repeat):
        table_ops = container(n)
        detector = RenameDetector(context, GuardSettings(), ask=None)
        start = time.perf_counter()
        detector.rename_columns(table_ops)
        timings.append(time.perf_counter() - start)
        renamed = sum(isinstance(op, RenameColumnOp) for op in table_ops.ops)
    return statistics.median(timings), renamed


def main() -> int:
    sizes = [int(a) for a in sys.argv[1:]] or [100, 1000]
    print("| dropped x added | median seconds (5 runs) | renames written |")
    print("|---|---|---|")
    for n in sizes:
        seconds, renamed = run(n)
        print(f"| {n} x {n} | {seconds:.3f} | {renamed} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
