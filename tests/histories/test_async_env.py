"""Alembic's own async template (``alembic init -t async``) with the two env.py lines:
the pre-flight, the lock_timeout restore, reads and the real upgrade work on asyncpg and
aiosqlite as on the sync drivers."""

from __future__ import annotations

import io
from contextlib import redirect_stdout
from pathlib import Path

import pytest
from alembic import command
from alembic.config import Config
from sqlalchemy.engine import make_url

from alembic_guard.errors import UpgradeBlocked
from tests.helpers.project import AlembicProject, wire_env_py
from tests.safety.rules.helpers import TABLE

ASYNC_DRIVERS = {"postgresql": "postgresql+asyncpg", "sqlite": "sqlite+aiosqlite"}


class AsyncProject(AlembicProject):
    def __init__(self, root: Path, url: str) -> None:
        self.root, self.url = root, url
        self.ini = root / "alembic.ini"
        self.script_location = root / "migrations"
        with redirect_stdout(io.StringIO()):
            command.init(Config(str(self.ini)), str(self.script_location), template="async")
        self.ini.write_text(
            self.ini.read_text().replace(
                "sqlalchemy.url = driver://user:pass@localhost/dbname",
                "sqlalchemy.url = " + url.replace("%", "%%"),
            )
        )
        wire_env_py(self.script_location / "env.py")


@pytest.fixture
def async_project(dialect, tmp_path: Path) -> AsyncProject:
    url = make_url(dialect.url).set(drivername=ASYNC_DRIVERS[dialect.name])
    return AsyncProject(tmp_path / "async", url.render_as_string(hide_password=False))


@pytest.mark.dialects("postgresql", "sqlite")
def test_async_template_blocks_warns_and_upgrades(dialect, async_project):
    async_project.write_revision("r1", None, TABLE)
    async_project.upgrade("r1")
    async_project.write_revision(
        "r2",
        "r1",
        'n = op.get_bind().execute(sa.text("SELECT count(*) FROM t")).scalar()\n'
        'op.drop_column("t", "v")',
    )
    with pytest.raises(UpgradeBlocked, match="AG102"):
        async_project.upgrade("head")
    out = async_project.upgrade("head", x=("guard=warn",))
    assert "AG102" in out and "AG001" not in out
    with dialect.engine.connect() as connection:
        assert (
            connection.exec_driver_sql("SELECT version_num FROM alembic_version").scalar() == "r2"
        )
    async_project.write_revision("r3", "r2", 'op.add_column("t", sa.Column("w", sa.Integer))')
    async_project.upgrade("head", x=("guard=off",))
    async_project.write_revision("r4", "r3", 'op.add_column("t", sa.Column("z", sa.Integer))')
    async_project.upgrade("head")
    with dialect.engine.connect() as connection:
        assert (
            connection.exec_driver_sql("SELECT version_num FROM alembic_version").scalar() == "r4"
        )
