"""Benchmark: autogenerate over N declared, unchanged views on PostgreSQL.

    python benchmarks/views.py [--views N] [--repeat R] [--server HOST:PORT]

    (defaults: 300 views, 5 repetitions, the server named by ALEMBIC_GUARD_PG or
    127.0.0.1:55432, user postgres)

Creates the database ``bench_views`` (dropped again at the end) with one table
per 10 views (``t0``, ``t1``, ...: id serial primary key, name varchar(40),
price integer, active boolean) and N views, 10 per table: plain selects with a
WHERE clause, joins of two tables, an aggregate, and every 10th view reading
another view.  Some are ``select()`` constructs, some SQL text; every view is
created in the database from the very definition that is declared, so all of
them are unchanged.  Then, in the same run, repetitions alternating:

(a) stock Alembic ``compare_metadata`` (plugins ``alembic.autogenerate.*``: the
    tables only), the baseline;
(b) the same with the ``alembic_guard.views`` plugin, which compares the views;
(c) alembic_utils' comparator over the same views as ``PGView`` entities
    (``register_entities``), when alembic_utils is installed (``pip install
    alembic_utils``).  It needs no ``autogenerate_plugins`` entry: importing it
    decorates Alembic's global ``comparators`` (``dispatch_for("schema")``),
    which every AutogenContext branches from, so this script takes it out of
    that dispatcher for (a) and (b) and puts it back for (c) only.

Each comparison runs in a transaction that is rolled back.  The table gives
medians of R repetitions, (b) - (a) the median of the per-repetition
differences, and the SQL statements one comparison sent (cursor executions
counted by a ``before_cursor_execute`` listener).

Before timing, a sanity pass changes one view's declared definition and checks
that (b) and (c) each report it, and that the unchanged models give no diff.
The acceptance line: alembic_guard compares 300 unchanged views in under 1 s.
"""

from __future__ import annotations

import argparse
import math
import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.autogenerate.compare import comparators
from alembic.runtime.migration import MigrationContext
from sqlalchemy import event

from alembic_guard import plugin
from alembic_guard.config import GuardSettings
from alembic_guard.sql_text import driver_sql
from alembic_guard.views import View

try:
    from alembic_utils.pg_view import PGView
    from alembic_utils.replaceable_entity import (
        compare_registered_entities,
        register_entities,
        registry,
    )
except ImportError:
    PGView = None

DATABASE = "bench_views"
STOCK = ["alembic.autogenerate.*"]
GUARD = [*STOCK, "alembic_guard.views"]
VIEW_DIFFS = {
    "add_view",
    "remove_view",
    "replace_view",
    "add_materialized_view",
    "remove_materialized_view",
    "refresh_materialized_view",
}
LIMIT = 1.0


# -- the models ----------------------------------------------------------------------


def build_models(n_views: int, changed: int | None = None) -> tuple[sa.MetaData, list[View]]:
    """Tables and views; ``changed`` is the index of a view declared differently."""
    metadata = sa.MetaData()
    n_tables = max(1, math.ceil(n_views / 10))
    tables = [
        sa.Table(
            f"t{i}",
            metadata,
            sa.Column("id", sa.Integer, primary_key=True),
            sa.Column("name", sa.String(40)),
            sa.Column("price", sa.Integer),
            sa.Column("active", sa.Boolean),
        )
        for i in range(n_tables)
    ]
    views: list[View] = []
    for k in range(n_views):
        i, j = divmod(k, 10)
        t, o = tables[i], tables[(i + 1) % n_tables]
        bound = 1000 + k if k == changed else k
        definition: Any
        if j == 0:
            definition = sa.select(t.c.id, t.c.name, t.c.price).where(
                t.c.active.is_(True), t.c.price > bound
            )
        elif j == 1:
            definition = f"SELECT id, name FROM t{i} WHERE price > {bound}"
        elif j == 2:
            definition = sa.select(t.c.id, t.c.name).where(
                t.c.price.between(bound, bound + 100), t.c.name.like("a%")
            )
        elif j == 3:
            definition = (
                f"SELECT a.id, a.name, b.price AS other_price FROM t{i} a "
                f"JOIN t{(i + 1) % n_tables} b ON b.id = a.id "
                f"WHERE a.active AND b.price < {100 + bound}"
            )
        elif j == 4:
            definition = (
                f"SELECT active, count(*) AS n, sum(price) AS total FROM t{i} "
                f"WHERE price IS NOT NULL AND id > {bound} GROUP BY active"
            )
        elif j == 5:
            definition = sa.select(
                t.c.id,
                sa.func.coalesce(t.c.name, "").label("label"),
                sa.case((t.c.price > 100, "high"), else_="low").label("band"),
            ).where(t.c.id > bound)
        elif j == 6:
            definition = (
                sa.select(t.c.id, t.c.name, o.c.name.label("other_name"))
                .select_from(t.join(o, o.c.id == t.c.id))
                .where(o.c.active.is_(False), t.c.id > bound)
            )
        elif j == 7:
            definition = (
                f"SELECT id, price FROM t{i} WHERE id IN (1, 2, {bound + 3}) ORDER BY price DESC"
            )
        elif j == 8:
            definition = (
                f"select id, upper(name) as name_upper, price * 2 as double_price "
                f"from t{i} where not active and id <> {bound}"
            )
        elif i % 2:  # every 10th view reads another view: here the select() view 0
            base = views[10 * i]
            definition = sa.select(base.c.id, base.c.name).where(base.c.price < bound)
        else:  # ... here the SQL text view 1
            definition = f"SELECT id, name FROM v{10 * i + 1} WHERE id < {bound}"
        views.append(View(f"v{k}", metadata, definition))
    return metadata, views


# -- running -------------------------------------------------------------------------


class StatementCounter:
    """Cursor executions on an engine (``before_cursor_execute``)."""

    def __init__(self, engine: sa.Engine) -> None:
        self.count = 0
        event.listen(engine, "before_cursor_execute", self._hit)

    def _hit(self, *args: Any) -> None:
        self.count += 1


class AlembicUtilsSwitch:
    """alembic_utils decorates Alembic's global ``comparators`` at import time, so it
    would run in every compare; it is taken out, and put back only for run (c)."""

    def __init__(self) -> None:
        self.entries: list[tuple[Any, tuple[Any, Any]]] = []
        if PGView is None:
            return
        for key, entries in comparators._registry.items():
            for entry in list(entries):
                if entry[0] is compare_registered_entities:
                    entries.remove(entry)
                    self.entries.append((key, entry))
        if not self.entries:
            raise RuntimeError("alembic_utils' comparator is not in Alembic's dispatcher")

    def __enter__(self) -> None:
        for key, entry in self.entries:
            comparators._registry[key].append(entry)

    def __exit__(self, *exc: object) -> None:
        for key, entry in self.entries:
            comparators._registry[key].remove(entry)


def compare(
    engine: sa.Engine, counter: StatementCounter, metadata: sa.MetaData, plugins: list[str]
) -> tuple[float, int, list[Any]]:
    """One autogenerate comparison: (seconds, statements, diffs), rolled back."""
    with engine.connect() as connection, connection.begin() as transaction:
        context = MigrationContext.configure(
            connection,
            opts={
                "target_metadata": metadata,
                "autogenerate_plugins": plugins,
                "include_schemas": False,  # env.py's default; alembic_utils reads it
                "alembic_guard_settings": GuardSettings(),
            },
        )
        before = counter.count
        start = time.perf_counter()
        diffs = compare_metadata(context, metadata)
        seconds = time.perf_counter() - start
        statements = counter.count - before
        transaction.rollback()
    return seconds, statements, diffs


def pg_views(views: list[View], dialect: sa.Dialect) -> list[Any]:
    return [PGView(schema="public", signature=v.name, definition=v.sql(dialect)) for v in views]


def run_utils(
    engine: sa.Engine,
    counter: StatementCounter,
    switch: AlembicUtilsSwitch,
    metadata: sa.MetaData,
    entities: list[Any],
) -> tuple[float, int, list[Any]]:
    registry.clear()
    register_entities(entities, entity_types=[PGView])
    try:
        with switch:
            return compare(engine, counter, metadata, STOCK)
    finally:
        registry.clear()


def view_diffs(diffs: list[Any]) -> list[Any]:
    return [d for d in diffs if isinstance(d, tuple) and d and d[0] in VIEW_DIFFS]


# -- setup ---------------------------------------------------------------------------


def create_database(admin: sa.Engine) -> None:
    with admin.connect() as connection:
        connection.exec_driver_sql(f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)")
        connection.exec_driver_sql(f"CREATE DATABASE {DATABASE}")


def drop_database(admin: sa.Engine) -> None:
    with admin.connect() as connection:
        connection.exec_driver_sql(f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)")


def populate(engine: sa.Engine, metadata: sa.MetaData, views: list[View]) -> None:
    """The tables, and each view from its declared definition (in declaration order,
    which puts every view after the view it reads)."""
    metadata.create_all(engine)
    with engine.begin() as connection:
        for view in views:
            sql = f'CREATE VIEW "{view.name}" AS {view.sql(connection.dialect)}'
            connection.exec_driver_sql(driver_sql(connection, sql))


def sanity(
    engine: sa.Engine,
    counter: StatementCounter,
    switch: AlembicUtilsSwitch,
    n_views: int,
    metadata: sa.MetaData,
    views: list[View],
) -> list[str]:
    """Check that the comparators run and see a change; returns the problems found."""
    problems: list[str] = []
    _, _, diffs = compare(engine, counter, metadata, STOCK)
    if diffs:
        problems.append(f"stock Alembic finds differences in the unchanged tables: {diffs}")

    _, _, diffs = compare(engine, counter, metadata, GUARD)
    false = view_diffs(diffs)
    for diff in false:
        problems.append(f"alembic_guard: false diff on an unchanged view: {diff!r}")
    if len(diffs) != len(false):
        problems.append(f"alembic_guard run: other differences: {diffs}")

    changed_md, changed_views = build_models(n_views, changed=0)
    _, _, diffs = compare(engine, counter, changed_md, GUARD)
    kinds = [(d[0], d[2]) for d in view_diffs(diffs)]
    if kinds != [("replace_view", views[0].name)]:
        problems.append(
            f"alembic_guard: one changed view ({views[0].name}) gave {kinds}, "
            f"not one replace_view: is the comparator running?"
        )
    if PGView is not None:
        dialect = engine.dialect
        _, _, diffs = run_utils(engine, counter, switch, metadata, pg_views(views, dialect))
        if diffs:
            problems.append(f"alembic_utils: differences on unchanged views: {diffs}")
        _, _, diffs = run_utils(
            engine, counter, switch, changed_md, pg_views(changed_views, dialect)
        )
        kinds = [(d[0], d[1]) for d in diffs]
        if kinds != [("replace_or_revert_entity", f"PGView: public.{views[0].name}")]:
            problems.append(f"alembic_utils: one changed view gave {kinds}")
    return problems


# -- main ----------------------------------------------------------------------------


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--views", type=int, default=300, help="number of views (300)")
    parser.add_argument("--repeat", type=int, default=5, help="repetitions of each run (5)")
    parser.add_argument(
        "--server",
        default=os.environ.get("ALEMBIC_GUARD_PG", "127.0.0.1:55432"),
        help="PostgreSQL host:port, user postgres (ALEMBIC_GUARD_PG or 127.0.0.1:55432)",
    )
    args = parser.parse_args()
    plugin.ensure_registered()
    if PGView is None:
        print("alembic_utils is not installed: run `pip install alembic_utils` to time it too;")
        print("timing stock Alembic and alembic_guard only.\n")

    admin = sa.create_engine(
        f"postgresql+psycopg://postgres@{args.server}/postgres", isolation_level="AUTOCOMMIT"
    )
    create_database(admin)
    engine = sa.create_engine(f"postgresql+psycopg://postgres@{args.server}/{DATABASE}")
    try:
        return bench(engine, args.views, args.repeat)
    finally:
        engine.dispose()
        drop_database(admin)
        admin.dispose()


def bench(engine: sa.Engine, n_views: int, repeat: int) -> int:
    metadata, views = build_models(n_views)
    populate(engine, metadata, views)
    counter = StatementCounter(engine)
    switch = AlembicUtilsSwitch()
    with engine.connect() as connection:
        version = connection.exec_driver_sql("SHOW server_version").scalar()
    n_tables = len(metadata.tables)
    print(f"PostgreSQL {version}: {n_tables} tables, {n_views} views (declared = in the database)")

    problems = sanity(engine, counter, switch, n_views, metadata, views)
    for problem in problems:
        print(f"PROBLEM: {problem}")

    entities = pg_views(views, engine.dialect) if PGView is not None else []
    runs: dict[str, Callable[[], tuple[float, int, list[Any]]]] = {
        "a": lambda: compare(engine, counter, metadata, STOCK),
        "b": lambda: compare(engine, counter, metadata, GUARD),
    }
    if PGView is not None:
        runs["c"] = lambda: run_utils(engine, counter, switch, metadata, entities)
    times: dict[str, list[float]] = {key: [] for key in runs}
    statements: dict[str, set[int]] = {key: set() for key in runs}
    order = list(runs)
    for r in range(repeat):
        # alternate, and rotate who goes first
        for key in order[r % len(order) :] + order[: r % len(order)]:
            seconds, count, diffs = runs[key]()
            if diffs:  # the models match the database: no run may find anything
                problem = f"run ({key}), repetition {r + 1}: differences {diffs}"
                print(f"PROBLEM: {problem}")
                problems.append(problem)
            times[key].append(seconds)
            statements[key].add(count)

    med = {key: statistics.median(values) for key, values in times.items()}
    paired = statistics.median(b - a for a, b in zip(times["a"], times["b"], strict=True))

    def count(key: str) -> str:
        return "/".join(str(n) for n in sorted(statements[key]))

    print()
    print(f"| run ({n_views} unchanged views, median of {repeat}) | seconds | SQL statements |")
    print("|---|---|---|")
    print(f"| (a) stock Alembic, tables only (baseline) | {med['a']:.3f} | {count('a')} |")
    print(f"| (b) alembic_guard: tables + views | {med['b']:.3f} | {count('b')} |")
    print(f"| (b) - (a): alembic_guard views compare time | {paired:.3f} | |")
    if "c" in med:
        print(f"| (c) alembic_utils: tables + views | {med['c']:.3f} | {count('c')} |")
        utils_views = statistics.median(c - a for a, c in zip(times["a"], times["c"], strict=True))
        print(f"| (c) - (a): alembic_utils views compare time | {utils_views:.3f} | |")
        print()
        print(f"alembic_utils / alembic_guard, whole compare (c)/(b): {med['c'] / med['b']:.1f}x")
        print(
            f"alembic_utils / alembic_guard, views only ((c)-(a))/((b)-(a)): "
            f"{utils_views / paired:.1f}x"
        )
    print()
    verdict = "PASS" if paired < LIMIT and not problems else "FAIL"
    print(
        f"{verdict}: alembic_guard views compare at {n_views} views took {paired:.3f} s "
        f"(limit < {LIMIT:.0f} s; whole compare with tables {med['b']:.3f} s)"
        + ("" if not problems else f"; {len(problems)} problem(s) above")
    )
    if n_views != 300:
        print("(the acceptance line is stated for 300 views)")
    return 0 if verdict == "PASS" else 1


if __name__ == "__main__":
    sys.exit(main())
