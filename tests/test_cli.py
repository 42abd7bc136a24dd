"""`alembic-guard init` makes an environment that is wired and works."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import sqlalchemy as sa
from alembic import command
from alembic.config import Config


def run(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "alembic_guard.cli", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=120,
    )


def test_init_writes_a_wired_environment(tmp_path):
    result = run("init", "migrations", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    env_py = (tmp_path / "migrations" / "env.py").read_text()
    assert "import alembic_guard\nalembic_guard.configure(context)\n" in env_py
    ini = (tmp_path / "alembic.ini").read_text()
    assert "[alembic_guard]" in ini
    ini = ini.replace("driver://user:pass@localhost/dbname", f"sqlite:///{tmp_path / 'db.sqlite'}")
    (tmp_path / "alembic.ini").write_text(ini)
    config = Config(str(tmp_path / "alembic.ini"))
    config.set_main_option("script_location", str(tmp_path / "migrations"))
    command.revision(config, "empty")
    command.upgrade(config, "head")
    with sa.create_engine(f"sqlite:///{tmp_path / 'db.sqlite'}").connect() as connection:
        assert connection.exec_driver_sql("SELECT count(*) FROM alembic_version").scalar() == 1


def test_init_into_an_existing_directory_fails_cleanly(tmp_path):
    (tmp_path / "migrations").mkdir()
    (tmp_path / "migrations" / "x").write_text("x")
    result = run("init", "migrations", cwd=tmp_path)
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    assert "Error:" in result.stderr
