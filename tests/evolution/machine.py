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
import traceback
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from hypothesis import strategies as st

from tests.evolution.changes import CHANGES, starting_schema
from tests.evolution.model import Schema, Table
from tests.helpers import snapshot
from tests.helpers.databases import scratch_database
from tests.helpers.project import AlembicProject
from tests.helpers.schemas import include_schemas, schema_checks

#: counts of what the runs did, read by the soak runner
STATS = {"sequences": 0, "steps": 0, "long sequences": 0, "steps with a second schema": 0}


@dataclass
class Server:
    """Where fresh databases come from: a dialect name and a URL of a database on it."""

    dialect: str
    url: str


@dataclass(frozen=True)
class Database:
    """A fresh database: its URL, the name of its second schema and, on SQLite, the
    files to ATTACH on every connection (name -> path)."""

    url: str
    other_schema: str
    attach: dict[str, str]


@contextmanager
def fresh_database(server: Server) -> Iterator[Database]:
    """A new empty database on ``server`` for one example, with a second schema
    (PostgreSQL: ``extra``; MariaDB: a second database; SQLite: an attached file),
    dropped afterwards."""
    name = f"evo_{uuid.uuid4().hex[:10]}"
    if server.dialect == "sqlite":
        folder = Path(tempfile.mkdtemp(prefix="evolution_"))
        try:
            yield Database(
                f"sqlite:///{folder / 'evolution.db'}",
                "extra",
                {"extra": str(folder / "extra.db")},
            )
        finally:
            shutil.rmtree(folder, ignore_errors=True)
        return
    if server.dialect == "postgresql":
        with scratch_database(server.url, name) as url:
            engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
            with engine.begin() as connection:
                connection.exec_driver_sql("CREATE SCHEMA extra")
            engine.dispose()
            yield Database(url, "extra", {})
        return
    with scratch_database(server.url, name) as url, scratch_database(server.url, f"{name}_x"):
        yield Database(url, f"{name}_x", {})


class HypothesisChooser:
    def __init__(self, data: Any) -> None:
        self.data = data

    def pick(self, options: Any) -> Any:
        return self.data.draw(st.sampled_from(list(options)))

    def flag(self) -> bool:
        return bool(self.data.draw(st.booleans()))


class Evolution:
    """One sequence of steps on one database."""

    def __init__(self, dialect: str, database: Database) -> None:
        self.dialect = dialect
        self.url = database.url
        self.other_schema = database.other_schema
        self.root = Path(tempfile.mkdtemp(prefix="evolution_project_"))
        # a view the models stop declaring is dropped, as the model's history says
        self.project = AlembicProject(
            self.root / "project",
            database.url,
            ini_settings={"mode": "warn", "undeclared_views": "drop"},
        )
        include_schemas(self.project, [database.other_schema], database.attach)
        self.engine = sa.create_engine(database.url, poolclass=sa.pool.NullPool)
        if database.attach:
            files = database.attach

            @sa.event.listens_for(self.engine, "connect")
            def _attach(dbapi_connection: Any, record: Any) -> None:
                for schema, path in files.items():
                    dbapi_connection.execute(f'ATTACH DATABASE ? AS "{schema}"', (path,))

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
        after = self.read_catalog()
        if before is not None:
            try:
                self.project.downgrade("-1")
            except Exception as error:
                self.fail("downgrade failed", f"{error}\n{text}")
            restored = self.read_catalog()
            if restored != before:
                self.fail(
                    "downgrade did not restore the catalog",
                    _difference(before, restored) + "\n" + text,
                )
            try:
                self.project.upgrade(metadata=models)
            except Exception as error:
                self.fail("upgrade after the downgrade failed", f"{error}\n{text}")
            if self.read_catalog() != after:
                self.fail("the second upgrade reached another catalog", text)
        self.schema, self.catalog = schema, after
        self.seed()

    def read_catalog(self) -> dict[str, Any]:
        """Both schemas' catalogs (the second one's CHECKs included), read with the
        tests' own snapshot."""
        other = snapshot.catalog(self.engine, schema=self.other_schema)
        with self.engine.connect() as connection:
            other["checks"] = sorted(schema_checks(connection, self.other_schema), key=repr)
        return {"default": snapshot.catalog(self.engine), "second schema": other}

    def qualified(self, table: Table) -> str:
        preparer = self.engine.dialect.identifier_preparer
        name = preparer.quote(table.name)
        return f"{preparer.quote_schema(self.other_schema)}.{name}" if table.other else name

    def row_counts(self, schema: Schema) -> dict[int, int]:
        with self.engine.connect() as connection:
            return {
                table.id: connection.exec_driver_sql(
                    f"SELECT count(*) FROM {self.qualified(table)}"
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
                    f"INSERT INTO {self.qualified(table)} ({', '.join(names)}) VALUES ({', '.join(values)})"
                )


def _difference(before: Any, after: Any, path: str = "") -> str:
    """Where two catalogs differ, as ``a.b.c: old -> new`` lines."""
    if isinstance(before, dict) and isinstance(after, dict):
        lines = [
            _difference(before.get(key), after.get(key), f"{path}{key}.")
            for key in sorted(set(before) | set(after), key=str)
            if before.get(key) != after.get(key)
        ]
        return "\n".join(lines)
    return f"{path.rstrip('.')}: {before!r} -> {after!r}"


def run_sequence(server: Server, data: Any, steps: int) -> list[str]:
    """One example: a fresh database, a starting schema, then ``steps`` drawn changes
    (a change that does not apply to the schema is drawn again).  Returns the history."""
    choose = HypothesisChooser(data)
    with fresh_database(server) as database:
        evolution = Evolution(server.dialect, database)
        try:
            evolution.begin(starting_schema(choose, server.dialect, database.other_schema))
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
                STATS["steps with a second schema"] += any(t.other for t in schema.tables.values())
            STATS["long sequences"] += steps >= 6
            return evolution.history
        except AssertionError:
            raise
        except Exception as error:
            # anything else (the harness's or the guard's own error): with the steps
            evolution.fail(f"{type(error).__name__}: {error}", traceback.format_exc())
            raise
        finally:
            evolution.close()
