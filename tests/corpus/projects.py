"""Real, public migration histories: four projects that ship Alembic migrations in their
PyPI packages (pinned in the ``corpus`` extra of pyproject.toml).

Each is run the way its users run it: the project's own env.py with the README's two
lines added, its migrations as packaged, its real models as ``target_metadata``.  Where
an entry changes anything else, ``why`` says what and why.
"""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True)
class CorpusProject:
    name: str
    distribution: str
    #: importable package holding env.py and versions/
    migrations: str
    dialects: tuple[str, ...]
    #: Python prepended to env.py: what the application has imported when it runs the history
    prelude: str = ""
    #: (old, new) replacements in env.py, each explained in ``why``
    env_edits: tuple[tuple[str, str], ...] = ()
    #: env.py needs an open connection in ``config.attributes["connection"]``
    wants_connection: bool = False
    #: the application context the project runs its history in (tests/corpus/drive.py)
    application: str = ""
    #: what the project creates on a fresh database before it runs the history
    #: (tests/corpus/drive.py BUILD)
    build_before_upgrade: str = ""
    #: the schema ``alembic check`` compares, where the project builds a fresh database from
    #: its models instead of the history (tests/corpus/drive.py BUILD)
    build_for_check: str = ""
    #: async drivers per dialect, for projects whose env.py runs on asyncio
    async_drivers: dict[str, str] = field(default_factory=dict)
    #: environment variables the project reads its database from ("{url}" is replaced)
    environment: dict[str, str] = field(default_factory=dict)
    #: versions directory per dialect, relative to the migrations package (default versions/)
    versions: dict[str, str] = field(default_factory=dict)
    why: str = ""

    def migrations_dir(self) -> Path:
        spec = importlib.util.find_spec(self.migrations)
        assert spec is not None and spec.submodule_search_locations, self.migrations
        return Path(next(iter(spec.submodule_search_locations)))

    def versions_dir(self, dialect: str) -> str:
        return self.versions.get(dialect, "versions")


OPTUNA = CorpusProject(
    name="optuna",
    distribution="optuna",
    migrations="optuna.storages._rdb.alembic",
    dialects=("postgresql", "mariadb", "sqlite"),
)

MLFLOW = CorpusProject(
    name="mlflow",
    distribution="mlflow-skinny",
    migrations="mlflow.store.db_migrations",
    dialects=("postgresql", "mariadb", "sqlite"),
    prelude="import mlflow.store.db.utils  # noqa: F401\n",
    build_before_upgrade="mlflow-initial",
    why=(
        "env.py reads Base.metadata, and mlflow's store imports the model modules before it "
        "runs the history (mlflow/store/db/utils.py), so env.py gets that import first; a "
        "fresh mlflow database gets its first tables from create_all of initial_models, then "
        "the history"
    ),
)

DAGSTER = CorpusProject(
    name="dagster",
    distribution="dagster",
    migrations="dagster._core.storage.alembic",
    dialects=("postgresql", "mariadb", "sqlite"),
    env_edits=(
        (
            "target_metadata = [SqlEventLogStorageMetadata, SqlRunStorage, SqlScheduleStorage]",
            "import sqlalchemy as _sa\n"
            "from dagster._core.storage.runs.schema import RunStorageSqlMetadata\n"
            "from dagster._core.storage.schedules.schema import ScheduleStorageSqlMetadata\n"
            "target_metadata = _sa.MetaData()\n"
            "for _storage in (SqlEventLogStorageMetadata, RunStorageSqlMetadata,"
            " ScheduleStorageSqlMetadata):\n"
            "    for _table in _storage.tables.values():\n"
            "        if _table.key not in target_metadata.tables:\n"
            "            _table.to_metadata(target_metadata)",
        ),
    ),
    wants_connection=True,
    application="dagster",
    build_for_check="dagster",
    why=(
        "env.py's target_metadata lists two storage classes where their MetaData objects are "
        "meant (stock `alembic check` fails on it), so the check uses the three MetaData "
        "objects, merged into one (each declares `secondary_indexes`, which Alembic refuses "
        "across MetaData objects); env.py runs only with a connection in config.attributes, as dagster's "
        "storages call it; a fresh dagster database is built by create_all + stamp head, and "
        "its migrations skip what does not exist, so the check runs on that schema; it runs its "
        "history inside instance.upgrade(), which names the instance being upgraded"
    ),
)

PREFECT = CorpusProject(
    name="prefect",
    distribution="prefect",
    migrations="prefect.server.database._migrations",
    dialects=("postgresql", "sqlite"),
    application="prefect",
    async_drivers={"postgresql": "postgresql+asyncpg", "sqlite": "sqlite+aiosqlite"},
    environment={"PREFECT_API_DATABASE_CONNECTION_URL": "{url}"},
    versions={"postgresql": "versions/postgresql", "sqlite": "versions/sqlite"},
    why=(
        "env.py reads the database from prefect's settings (PREFECT_API_DATABASE_CONNECTION_URL) "
        "and, like `prefect server database upgrade`, runs in an anyio worker thread; each "
        "database has a history of its own"
    ),
)

PROJECTS = (OPTUNA, MLFLOW, DAGSTER, PREFECT)
