"""Benchmark: ``alembic check``'s comparison on large schemas, stock Alembic vs alembic_guard.

    python benchmarks/scale.py [--sizes 100,1000,10000] [--repeat 3]
                               [--dialects postgresql,mariadb,sqlite] [--write-docs]

Every table has 8 columns, a SERIAL primary key, a foreign key to the previous
table, an index, a unique constraint and a CHECK; there is one view per 10
tables.  The models describe the database exactly, so both runs must report
no difference.  For each size, in the same run, repetitions alternate:

* stock: ``compare_metadata`` with Alembic's default plugins only (what
  ``alembic check`` runs without the guard);
* guarded: the same with every alembic_guard plugin (CHECKs, renames, views,
  bulk reflection) and its default settings.

Each comparison runs in a child process, so its peak memory (max RSS) is its
own; the child times ``compare_metadata`` alone and counts the SQL statements
it sends.  Medians are reported with the guarded/stock ratio.
PostgreSQL: the server named by ALEMBIC_GUARD_PG (default 127.0.0.1:55432);
MariaDB: ALEMBIC_GUARD_MYSQL_URL; SQLite: a file.  ``--write-docs`` rewrites
the measured table of docs/performance.md.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs" / "performance.md"
BEGIN, END = "<!-- begin scale benchmark -->", "<!-- end scale benchmark -->"
#: every measured row, so that runs of different databases and sizes make one table
RESULTS = ROOT / "benchmarks" / "scale-results.json"
STOCK = ["alembic.autogenerate.*"]
GUARDED = ["alembic.autogenerate.*", "alembic_guard.*"]


def models(tables: int) -> sa.MetaData:
    from alembic_guard.views import View

    metadata = sa.MetaData()
    previous: sa.Table | None = None
    for n in range(tables):
        columns: list[Any] = [
            sa.Column("id", sa.Integer, primary_key=True),
            sa.Column("code", sa.String(32), nullable=False),
            sa.Column("name", sa.String(100)),
            sa.Column("price", sa.Integer),
            sa.Column("qty", sa.Integer),
            sa.Column("note", sa.Text),
            sa.Column("active", sa.Boolean),
            sa.Column(
                "parent_id",
                sa.Integer,
                sa.ForeignKey(f"t{n - 1}.id", name=f"fk_t{n}_parent")
                if previous is not None
                else None,
            ),
        ]
        table = sa.Table(
            f"t{n}",
            metadata,
            *[c for c in columns if c is not None],
            sa.UniqueConstraint("code", name=f"uq_t{n}_code"),
            sa.CheckConstraint("price >= 0", name=f"ck_t{n}_price"),
            sa.Index(f"ix_t{n}_name", "name"),
        )
        if n % 10 == 9:
            View(f"v{n}", metadata, sa.select(table.c.id, table.c.name).where(table.c.price > 0))
        previous = table
    return metadata


def database_url(dialect: str, tables: int, workdir: Path) -> str:
    if dialect == "postgresql":
        host = os.environ.get("ALEMBIC_GUARD_PG", "127.0.0.1:55432")
        return f"postgresql+psycopg://postgres@{host}/bench_scale_{tables}"
    if dialect == "mariadb":
        base = os.environ.get(
            "ALEMBIC_GUARD_MYSQL_URL", "mysql+pymysql://root@127.0.0.1:3306"
        ).rstrip("/")
        return f"{base}/bench_scale_{tables}"
    return f"sqlite:///{workdir / f'bench_scale_{tables}.db'}"


def _server(target: sa.URL, dialect: str) -> sa.URL:
    """The URL for CREATE/DROP DATABASE (URL.set(database=None) would change nothing)."""
    return target._replace(database="postgres" if dialect == "postgresql" else None)


def build(dialect: str, url: str, tables: int) -> None:
    from alembic_guard.views import declared_views

    target = sa.make_url(url)
    if dialect in ("postgresql", "mariadb"):
        admin = sa.create_engine(
            _server(target, dialect),
            isolation_level="AUTOCOMMIT",
        )
        with admin.connect() as connection:
            quote = '"' if dialect == "postgresql" else "`"
            connection.exec_driver_sql(f"DROP DATABASE IF EXISTS {quote}{target.database}{quote}")
            connection.exec_driver_sql(f"CREATE DATABASE {quote}{target.database}{quote}")
        admin.dispose()
    metadata = models(tables)
    engine = sa.create_engine(url)
    ordered = metadata.sorted_tables
    # chunks: one transaction for 10,000 tables runs out of PostgreSQL's lock table
    for start in range(0, len(ordered), 500):
        with engine.begin() as connection:
            metadata.create_all(connection, tables=ordered[start : start + 500])
    with engine.begin() as connection:
        for view in declared_views(metadata):
            connection.exec_driver_sql(
                f"CREATE VIEW {view.name} AS {view.sql(connection.dialect)}".replace("%", "%%")
            )
    engine.dispose()


def drop(dialect: str, url: str) -> None:
    target = sa.make_url(url)
    if dialect == "sqlite":
        Path(target.database or "").unlink(missing_ok=True)
        return
    admin = sa.create_engine(
        _server(target, dialect),
        isolation_level="AUTOCOMMIT",
    )
    with admin.connect() as connection:
        quote = '"' if dialect == "postgresql" else "`"
        connection.exec_driver_sql(f"DROP DATABASE IF EXISTS {quote}{target.database}{quote}")
    admin.dispose()


def child(url: str, tables: int, mode: str) -> None:
    """One comparison; prints {seconds, statements, peak_mb, diffs} as JSON."""
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    from alembic_guard import plugin
    from alembic_guard.config import GuardSettings
    from alembic_guard.wiring import SETTINGS_OPTION

    plugin.ensure_registered()
    metadata = models(tables)
    engine = sa.create_engine(url)
    statements = 0

    def count(*_: Any) -> None:
        nonlocal statements
        statements += 1

    sa.event.listen(engine, "before_cursor_execute", count)
    with engine.connect() as connection:
        opts: dict[str, Any] = {
            "autogenerate_plugins": STOCK if mode == "stock" else GUARDED,
            "target_metadata": metadata,
        }
        if mode == "guarded":
            opts[SETTINGS_OPTION] = GuardSettings()
        context = MigrationContext.configure(connection, opts=opts)
        statements = 0
        start = time.perf_counter()
        diffs = compare_metadata(context, metadata)
        seconds = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        json.dumps(
            {
                "seconds": seconds,
                "statements": statements,
                "peak_mb": peak,
                "diffs": len(diffs),
                "sample": repr(diffs[:3]),
            }
        )
    )


def measure(url: str, tables: int, mode: str) -> dict[str, Any]:
    result = subprocess.run(
        [sys.executable, __file__, "--child", mode, "--url", url, "--tables", str(tables)],
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise SystemExit(f"{mode} run failed:\n{result.stderr[-3000:]}")
    measured: dict[str, Any] = json.loads(result.stdout.strip().splitlines()[-1])
    if measured["diffs"]:
        raise SystemExit(
            f"{mode} run at {tables} tables reported differences: {measured['sample']}"
        )
    return measured


def bench(dialect: str, tables: int, repeat: int, workdir: Path) -> dict[str, Any]:
    url = database_url(dialect, tables, workdir)
    start = time.perf_counter()
    build(dialect, url, tables)
    print(
        f"  built {tables} tables on {dialect} in {time.perf_counter() - start:.0f} s", flush=True
    )
    runs: dict[str, list[dict[str, Any]]] = {"stock": [], "guarded": []}
    try:
        for number in range(repeat):
            order = ("stock", "guarded") if number % 2 == 0 else ("guarded", "stock")
            for mode in order:
                runs[mode].append(measure(url, tables, mode))
                print(f"    {mode:8} {runs[mode][-1]['seconds']:.2f} s", flush=True)
    finally:
        drop(dialect, url)
    row: dict[str, Any] = {"dialect": dialect, "tables": tables}
    for mode, results in runs.items():
        row[mode] = {
            "seconds": statistics.median(r["seconds"] for r in results),
            "statements": statistics.median(r["statements"] for r in results),
            "peak_mb": max(r["peak_mb"] for r in results),
        }
    row["ratio"] = row["guarded"]["seconds"] / row["stock"]["seconds"]
    return row


def table(rows: list[dict[str, Any]], repeat: int) -> str:
    lines = [
        f"Median of {repeat} alternating runs each; statements = SQL statements one comparison sent; "
        "peak = the comparing process's max RSS.",
        "",
        "| database | tables | stock | guarded | guarded / stock | statements stock / guarded | peak MB stock / guarded |",
        "|---|---|---|---|---|---|---|",
    ]
    for row in rows:
        stock, guarded = row["stock"], row["guarded"]
        lines.append(
            f"| {row['dialect']} | {row['tables']:,} | {stock['seconds']:.2f} s | {guarded['seconds']:.2f} s "
            f"| {row['ratio']:.2f} | {stock['statements']:,.0f} / {guarded['statements']:,.0f} "
            f"| {stock['peak_mb']:.0f} / {guarded['peak_mb']:.0f} |"
        )
    return "\n".join(lines)


def other_work() -> str:
    """The pre-flight and the rename matcher, timed by their own benchmarks, in this run."""
    lines = ["", "| work | size | median | limit |", "|---|---|---|---|"]
    sys.path.insert(0, str(ROOT / "benchmarks"))
    sys.path.insert(0, str(ROOT))
    import rename_matching

    seconds, renamed = rename_matching.run(1000)
    lines.append(
        f"| rename matching | 1,000 x 1,000 column candidates ({renamed} renames) | {seconds:.2f} s | 1 s |"
    )
    import preflight

    import alembic_guard

    project = preflight.project_with(200)
    seconds = preflight.timed(lambda: alembic_guard.check_upgrade(project.config(), "head"))
    lines.append(f"| upgrade pre-flight | 200 pending revisions | {seconds:.2f} s | 1 s |")
    return "\n".join(lines)


def write_docs(text: str) -> None:
    page = DOCS.read_text()
    if BEGIN not in page:
        page = page.rstrip() + f"\n\n## Large schemas\n\n{BEGIN}\n{END}\n"
    head, _, rest = page.partition(BEGIN)
    _, _, tail = rest.partition(END)
    DOCS.write_text(f"{head}{BEGIN}\n{text}\n{END}{tail}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="100,1000,10000")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--dialects", default="postgresql")
    parser.add_argument("--write-docs", action="store_true")
    parser.add_argument("--child", choices=("stock", "guarded"), help=argparse.SUPPRESS)
    parser.add_argument("--url", help=argparse.SUPPRESS)
    parser.add_argument("--tables", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.url, args.tables, args.child)
        return 0
    rows = []
    with tempfile.TemporaryDirectory() as workdir:
        for dialect in args.dialects.split(","):
            for size in (int(s) for s in args.sizes.split(",")):
                print(f"{dialect}, {size} tables:", flush=True)
                rows.append(bench(dialect, size, args.repeat, Path(workdir)))
    print(table(rows, args.repeat))
    extra = other_work()
    print(extra)
    if args.write_docs:
        stored = json.loads(RESULTS.read_text()) if RESULTS.is_file() else []
        fresh = {(row["dialect"], row["tables"]) for row in rows}
        merged = [r for r in stored if (r["dialect"], r["tables"]) not in fresh] + rows
        order = {"postgresql": 0, "mariadb": 1, "sqlite": 2}
        merged.sort(key=lambda r: (order.get(r["dialect"], 9), r["tables"]))
        RESULTS.write_text(json.dumps(merged, indent=2) + "\n")
        write_docs(table(merged, args.repeat) + "\n" + extra)
    return 0


if __name__ == "__main__":
    sys.exit(main())
