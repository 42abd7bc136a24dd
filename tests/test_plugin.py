"""The package as Alembic sees it: entry points, registration, import order."""

from __future__ import annotations

import subprocess
import sys

import sqlalchemy as sa
from alembic.runtime.plugins import _all_plugins

from alembic_guard import plugin


def run_python(code: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)


def test_entry_points_list_alembic_guard():
    result = run_python(
        "from importlib.metadata import entry_points; print(entry_points(group='alembic.plugins'))"
    )
    assert result.returncode == 0, result.stderr
    assert "alembic_guard.checks" in result.stdout


def test_import_alembic_still_works_and_registers_the_guard():
    result = run_python(
        "import alembic; from alembic.runtime.plugins import _all_plugins; "
        "print(sorted(n for n in _all_plugins if n.startswith('alembic_guard')))"
    )
    assert result.returncode == 0, result.stderr
    assert "alembic_guard.checks" in result.stdout


def test_import_alembic_guard_first_then_alembic():
    result = run_python(
        "import alembic_guard; import alembic; print(alembic_guard.configure.__name__)"
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "configure"


def test_registration_is_idempotent():
    before = dict(_all_plugins)
    plugin.ensure_registered()
    plugin.ensure_registered()
    assert {n: p for n, p in _all_plugins.items()} == {
        **before,
        **{n: _all_plugins[n] for n in plugin.COMPARATORS},
    }
    assert set(plugin.registered()) >= set(plugin.COMPARATORS)


def test_plugins_work_without_env_py_wiring(tmp_path):
    """`autogenerate_plugins=[..., "alembic_guard.*"]` alone turns the comparators on."""
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    engine = sa.create_engine(f"sqlite:///{tmp_path / 'db.sqlite'}")
    with engine.begin() as connection:
        connection.exec_driver_sql("CREATE TABLE t (id INTEGER NOT NULL PRIMARY KEY, q INTEGER)")
    md = sa.MetaData()
    sa.Table(
        "t",
        md,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("q", sa.Integer),
        sa.CheckConstraint("q > 0", name="ck_q"),
    )
    with engine.connect() as connection:
        stock = compare_metadata(MigrationContext.configure(connection), md)
        guarded = compare_metadata(
            MigrationContext.configure(
                connection, opts={"autogenerate_plugins": plugin.DEFAULT_AUTOGENERATE_PLUGINS}
            ),
            md,
        )
    assert stock == []
    assert [d[0] for d in guarded] == ["add_constraint"]


def test_setup_rejects_unknown_feature():
    from alembic.runtime.plugins import Plugin

    class Named:
        name = "alembic_guard.nothing"

    try:
        plugin.setup(Named())  # type: ignore[arg-type]
    except ValueError as error:
        assert "alembic_guard.nothing" in str(error)
    else:  # pragma: no cover
        raise AssertionError("setup accepted an unknown plugin name")
    assert "alembic_guard.nothing" not in _all_plugins
    assert Plugin  # the class Alembic hands to setup()
