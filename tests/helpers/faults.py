"""Faults for the reliability tests: a real dropped connection, broken migration scripts,
and the real command lines run as subprocesses.

:func:`arm_env_py` edits a project's env.py (user code) the way a user could: it reads
its models from ``models.py`` next to alembic.ini (so a subprocess finds them), and, when
the environment variable :data:`KILL_AT` holds a regular expression, installs a
``before_cursor_execute`` listener on env.py's connection that kills that connection's
own backend from a second connection (PostgreSQL ``pg_terminate_backend``, MariaDB
``KILL``) right before the first statement matching it runs.  It prints
:data:`KILLED` to stderr, so a test can tell the fault really happened.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

#: env var: regular expression of the statement before which the connection is killed
KILL_AT = "ALEMBIC_GUARD_TEST_KILL_AT"
#: env var: URL of the second connection that kills the first
ADMIN_URL = "ALEMBIC_GUARD_TEST_ADMIN_URL"
#: printed to stderr by env.py when it killed its connection
KILLED = "alembic_guard test: killed the connection before"

BIN = Path(sys.executable).parent

_KILLER = f'''
import os as _os
import re as _re
import runpy as _runpy
import sys as _sys
import time as _time
from pathlib import Path as _Path

import sqlalchemy as _sa


def _kill_own_backend_at(connection):
    """Test fault: kill this connection's backend before the statement matching
    ${KILL_AT}, from a second connection."""
    pattern = _os.environ.get("{KILL_AT}")
    if not pattern:
        return
    postgresql = connection.dialect.name == "postgresql"
    own = connection.exec_driver_sql(
        "SELECT pg_backend_pid()" if postgresql else "SELECT CONNECTION_ID()"
    ).scalar()
    fired = []

    @_sa.event.listens_for(connection, "before_cursor_execute")
    def kill(conn, cursor, statement, parameters, context, executemany):
        if fired or not _re.search(pattern, statement):
            return
        fired.append(statement)
        admin = _sa.create_engine(_os.environ["{ADMIN_URL}"], poolclass=_sa.pool.NullPool)
        with admin.connect() as other:
            if postgresql:
                # with a timeout, pg_terminate_backend waits until the backend is gone
                other.exec_driver_sql(f"SELECT pg_terminate_backend({{own}}, 60000)")
            else:
                other.exec_driver_sql(f"KILL CONNECTION {{own}}")
                # KILL returns at once: wait until the server has let the connection go
                gone = "SELECT count(*) FROM information_schema.PROCESSLIST WHERE ID = " + str(own)
                while other.exec_driver_sql(gone).scalar():
                    _time.sleep(0.01)
        admin.dispose()
        first_line = " ".join(statement.split())[:100]
        print(f"{KILLED}: {{first_line}}", file=_sys.stderr, flush=True)


_models = _Path(config.config_file_name).parent / "models.py"
'''

_METADATA = (
    'target_metadata = config.attributes.get("target_metadata") or '
    '(_runpy.run_path(str(_models))["metadata"] if _models.exists() else None)'
)


def arm_env_py(env_py: Path) -> None:
    """Add the killer and the models.py loading to an env.py written by ``alembic init``."""
    source = env_py.read_text()
    anchor = "alembic_guard.configure(context)\n"
    assert anchor in source
    source = source.replace(anchor, anchor + _KILLER, 1)
    for line in (
        "target_metadata = None",
        'target_metadata = config.attributes.get("target_metadata")',
    ):
        source = source.replace(line, _METADATA)
    connect = "    with connectable.connect() as connection:\n"
    assert connect in source
    source = source.replace(connect, connect + "        _kill_own_backend_at(connection)\n", 1)
    env_py.write_text(source)


def run(
    *args: str, cwd: Path, kill_at: str | None = None, admin_url: str | None = None
) -> subprocess.CompletedProcess[str]:
    """Run ``.venv/bin/<args[0]> args[1:]`` in ``cwd`` (a real command line, its own process)."""
    environment = {k: v for k, v in os.environ.items() if k not in (KILL_AT, ADMIN_URL)}
    if kill_at is not None:
        assert admin_url is not None
        environment[KILL_AT] = kill_at
        environment[ADMIN_URL] = admin_url
    return subprocess.run(
        [str(BIN / args[0]), *args[1:]],
        cwd=cwd,
        env=environment,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )


def output(result: subprocess.CompletedProcess[str]) -> str:
    return result.stdout + result.stderr
