"""A stateful property test of schema evolution.

The state is a :class:`Schema` the database holds at head.  Each step draws a change,
then: autogenerate (renames carry a ``renamed_from`` hint), upgrade (the guard in warn
mode: safety is judged elsewhere), every row inserted at earlier steps still there,
``alembic check`` clean, ``downgrade -1`` restores the previous catalog (read with the
tests' own snapshot), and the upgrade runs again to the same catalog.  Each example
runs on a database of its own."""

from __future__ import annotations

import shutil
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from hypothesis import strategies as st

from tests.evolution.changes import CHANGES, starting_schema
from tests.evolution.model import Schema
from tests.helpers import snapshot
from tests.helpers.project import AlembicProject

#: counts of what the runs did, read by the soak runner
STATS = {"sequences": 0, "steps": 0, "long sequences": 0}


@dataclass
class Server:
    """Where fresh databases come from: a dialect name and a URL of a database on it."""

    dialect: str
    url: str


@contextmanager
def fresh_database(server: Server) -> Iterator[str]:
    """A new empty database on ``server`` for one example, dropped afterwards."""
    name = f"evo_{uuid.uuid4().hex[:10]}"
    if server.dialect == "sqlite":
        folder = Path(tempfile.mkdtemp(prefix="evolution_"))
        try:
            yield f"sqlite:///{folder / 'evolution.db'}"
        finally:
            shutil.rmtree(folder, ignore_errors=True)
        return
    admin_url = sa.make_url(server.url)
    admin = sa.create_engine(admin_url, poolclass=sa.pool.NullPool, isolation_level="AUTOCOMMIT")
    quote = admin.dialect.identifier_preparer.quote
    with admin.connect() as connection:
        connection.exec_driver_sql(f"CREATE DATABASE {quote(name)}")
    try:
        yield admin_url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            if server.dialect == "postgresql":
                connection.exec_driver_sql(f"DROP DATABASE IF EXISTS {quote(name)} WITH (FORCE)")
            else:
                connection.exec_driver_sql(f"DROP DATABASE IF EXISTS {quote(name)}")
        admin.dispose()


class HypothesisChooser:
    def __init__(self, data: Any) -> None:
        self.data = data

    def pick(self, options: Any) -> Any:
        return self.data.draw(st.sampled_from(list(options)))

    def flag(self) -> bool:
        return bool(self.data.draw(st.booleans()))


class Evolution:
    """One sequence of steps on one database."""

    def __init__(self, dialect: str, url: str) -> None:
        self.dialect = dialect
        self.url = url
        self.root = Path(tempfile.mkdtemp(prefix="evolution_project_"))
        # a view the models stop declaring is dropped, as the model's history says
        self.project = AlembicProject(
            self.root / "project", url, ini_settings={"mode": "warn", "undeclared_views": "drop"}
        )
        self.engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
        self.schema = Schema()
        self.history: list[str] = []
        self.catalog: object = None

    def close(self) -> None:
        self.engine.dispose()
        shutil.rmtree(self.root, ignore_errors=True)

    def fail(self, what: str, detail: object = "") -> None:
        steps = "\n".join(f"  {n}. {s}" for n, s in enumerate(self.history, 1))
        raise AssertionError(
            f"{what} on {self.dialect}\nsteps:\n{steps}\nschema: {self.schema.describe()}\n{detail}"
        )

    def begin(self, schema: Schema) -> None:
        self.history.append(f"start: {schema.describe()}")
        self.run(schema)

    def run(self, schema: Schema) -> None:
        """The database at head gets ``schema``: the whole round trip."""
        models = schema.metadata(self.dialect)
        before, rows = self.catalog, self.row_counts(self.schema)
        try:
            script = self.project.revision(models, f"step {len(self.history)}")
        except Exception as error:
            self.fail("autogenerate failed", error)
        text = script.read_text()
        try:
            self.project.upgrade(metadata=models)
        except Exception as error:
            self.fail("upgrade failed", f"{error}\n{text}")
        survivors = {t: n for t, n in rows.items() if t in schema.tables}
        after_rows = self.row_counts(schema)
        if {t: after_rows.get(t) for t in survivors} != survivors:
            self.fail("rows lost", f"before {survivors}, after {after_rows}\n{text}")
        try:
            self.project.check(models)
        except Exception as error:
            self.fail("alembic check not clean after the upgrade", f"{error}\n{text}")
        after = snapshot.catalog(self.engine)
        if before is not None:
            try:
                self.project.downgrade("-1")
            except Exception as error:
                self.fail("downgrade failed", f"{error}\n{text}")
            restored = snapshot.catalog(self.engine)
            if restored != before:
                self.fail(
                    "downgrade did not restore the catalog",
                    _difference(before, restored) + "\n" + text,
                )
            try:
                self.project.upgrade(metadata=models)
            except Exception as error:
                self.fail("upgrade after the downgrade failed", f"{error}\n{text}")
            if snapshot.catalog(self.engine) != after:
                self.fail("the second upgrade reached another catalog", text)
        self.schema, self.catalog = schema, after
        self.seed()

    def row_counts(self, schema: Schema) -> dict[int, int]:
        quote = self.engine.dialect.identifier_preparer.quote
        with self.engine.connect() as connection:
            return {
                table.id: connection.exec_driver_sql(
                    f"SELECT count(*) FROM {quote(table.name)}"
                ).scalar_one()
                for table in schema.tables.values()
            }

    def seed(self) -> None:
        """One more row in every table, every column given a value the constraints accept."""
        quote = self.engine.dialect.identifier_preparer.quote
        with self.engine.begin() as connection:
            for table in self.schema.tables.values():
                table.rows += 1
                row_id = table.rows
                names, values = ["id"], [str(row_id)]
                for column in table.cols:
                    names.append(quote(column.name))
                    if column.references is not None:
                        values.append("NULL")
                    elif column.numeric:
                        values.append(str(row_id * 3))
                    else:
                        values.append(f"'v{row_id}'")
                connection.exec_driver_sql(
                    f"INSERT INTO {quote(table.name)} ({', '.join(names)}) VALUES ({', '.join(values)})"
                )


def _difference(before: Any, after: Any) -> str:
    lines = []
    for key in sorted(set(before) | set(after)):
        if before.get(key) != after.get(key):
            if isinstance(before.get(key), dict) and isinstance(after.get(key), dict):
                for inner in sorted(set(before[key]) | set(after[key])):
                    if before[key].get(inner) != after[key].get(inner):
                        lines.append(
                            f"{key}.{inner}: {before[key].get(inner)!r} -> {after[key].get(inner)!r}"
                        )
            else:
                lines.append(f"{key}: {before.get(key)!r} -> {after.get(key)!r}")
    return "\n".join(lines)


def run_sequence(server: Server, data: Any, steps: int) -> list[str]:
    """One example: a fresh database, a starting schema, then ``steps`` drawn changes
    (a change that does not apply to the schema is drawn again).  Returns the history."""
    choose = HypothesisChooser(data)
    with fresh_database(server) as url:
        evolution = Evolution(server.dialect, url)
        try:
            evolution.begin(starting_schema(choose, server.dialect))
            STATS["sequences"] += 1
            names = sorted(CHANGES)
            for _ in range(steps):
                while True:
                    schema = evolution.schema.copy()
                    described = CHANGES[choose.pick(names)](schema, choose, server.dialect)
                    if described is not None:
                        break
                evolution.history.append(described)
                evolution.run(schema)
                STATS["steps"] += 1
            STATS["long sequences"] += steps >= 6
            return evolution.history
        finally:
            evolution.close()
