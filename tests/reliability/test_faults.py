"""Faults: a database connection that drops, and migration scripts that cannot be loaded.

Every case runs the real command line in a process of its own (``alembic``,
``alembic-guard``) and asserts a non-zero exit, one readable paragraph naming
what was being done (or the broken file), no traceback, and a database left as
it was: ``alembic_version`` and the catalog unchanged, never a half-applied
migration.

Connection drops are real: the project's env.py (user code, see
:mod:`tests.helpers.faults`) kills its own connection's backend from a second
connection right before a chosen statement runs.  They run on PostgreSQL and
MariaDB; SQLite has no connection to drop.  On MariaDB DDL is not transactional
(each statement commits), so a drop in the middle of a migration cannot be
undone there; it is tested only during ``alembic check`` and the pre-flight,
before anything runs.  On PostgreSQL a drop in the middle of the migration itself,
after the pre-flight passed, rolls the whole upgrade back.

Broken scripts (an import that fails, an exception at import, a syntax error, two
heads) run on all three dialects.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import sqlalchemy as sa

from tests.conftest import Database
from tests.helpers import faults
from tests.helpers.project import AlembicProject
from tests.helpers.snapshot import schema_objects

ITEMS = (
    'op.create_table("items", sa.Column("id", sa.Integer, primary_key=True), '
    'sa.Column("price", sa.Integer), sa.CheckConstraint("price > 0", name="ck_items_price"))\n'
    'op.create_table("old", sa.Column("id", sa.Integer, primary_key=True))'
)
MODELS = """\
import sqlalchemy as sa

metadata = sa.MetaData()
sa.Table(
    "items",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("price", sa.Integer),
    sa.CheckConstraint("price > 0", name="ck_items_price"),
)
sa.Table("old", metadata, sa.Column("id", sa.Integer, primary_key=True))
"""


def models() -> sa.MetaData:
    """The MetaData of models.py (the subprocesses' env.py reads the file itself)."""
    namespace: dict[str, object] = {}
    exec(MODELS, namespace)
    metadata = namespace["metadata"]
    assert isinstance(metadata, sa.MetaData)
    return metadata


#: the pending revision of the upgrade cases: two tables, then a reviewed drop, which
#: makes the pre-flight read the table's row count
PENDING = (
    'op.create_table("first", sa.Column("id", sa.Integer, primary_key=True))\n'
    'op.create_table("second", sa.Column("id", sa.Integer, primary_key=True))\n'
    'with alembic_guard.allow("AG101", reason="emptied in release 3"):\n'
    '    op.drop_table("old")'
)


@pytest.fixture
def armed(dialect: Database, tmp_path: Path) -> AlembicProject:
    """A wired project at revision r1 (``items`` with a CHECK, and ``old``), whose env.py
    can kill its own connection, and whose models match the database."""
    project = dialect.project(tmp_path / "project")
    faults.arm_env_py(project.script_location / "env.py")
    (project.root / "models.py").write_text(MODELS)
    project.write_revision("r1", None, ITEMS)
    project.upgrade()
    return project


def state(dialect: Database) -> dict[str, object]:
    """The catalog and the version table, to show that nothing was applied."""
    with dialect.engine.connect() as connection:
        versions = sorted(
            row[0] for row in connection.exec_driver_sql("SELECT version_num FROM alembic_version")
        )
    return {"alembic_version": versions, **schema_objects(dialect.engine)}


def assert_clean_failure(output: str, returncode: int, *expected: str) -> None:
    assert returncode != 0, output
    assert "Traceback" not in output, output
    for text in expected:
        assert text in output, f"{text!r} missing from:\n{output}"


# -- the connection drops ------------------------------------------------------

#: the statement before which the connection dies, per dialect
GUARD_FIRST_QUERY = {
    # alembic_guard.bulk_reflection's SERIAL probe, the guard's first catalog read
    "postgresql": r"c\.oid::regclass::text",
    "mariadb": r"information_schema\.CHECK_CONSTRAINTS",
}
ALEMBIC_REFLECTION = {
    "postgresql": r"pg_catalog\.pg_attribute\.attname AS name",
    "mariadb": r"^SHOW CREATE TABLE",
}
#: the pre-flight's first read: the version table, for the pending revisions
PREFLIGHT_VERSION_READ = r"^SELECT alembic_version\.version_num"
#: the pre-flight's data-aware read: the row estimate of the table AG101 sees dropped
PREFLIGHT_ROW_ESTIMATE = {"postgresql": r"reltuples", "mariadb": r"TABLE_ROWS"}

COMPARING = "lost the connection to the database while comparing the database with the models"
PREFLIGHT = "lost the connection to the database while running the upgrade pre-flight"


def _command(name: str, project: AlembicProject, url: str) -> list[str]:
    if name == "diff":
        return ["alembic-guard", "diff", url, "-c", str(project.ini)]
    if name == "autogenerate":
        return ["alembic", "-c", str(project.ini), "revision", "--autogenerate", "-m", "next"]
    return ["alembic", "-c", str(project.ini), "check"]


@pytest.mark.dialects("postgresql", "mariadb")
@pytest.mark.parametrize(
    ("command", "at"),
    [("check", "guard"), ("check", "alembic"), ("diff", "guard"), ("autogenerate", "guard")],
    ids=[
        "check-guard-catalog-read",
        "check-alembic-reflection",
        "diff-guard-catalog-read",
        "autogenerate-guard-catalog-read",
    ],
)
def test_connection_drop_during_check(
    armed: AlembicProject, dialect: Database, command: str, at: str
) -> None:
    before = state(dialect)
    scripts = sorted((armed.script_location / "versions").glob("*.py"))
    pattern = (GUARD_FIRST_QUERY if at == "guard" else ALEMBIC_REFLECTION)[dialect.name]
    result = faults.run(
        *_command(command, armed, dialect.url),
        cwd=armed.root,
        kill_at=pattern,
        admin_url=dialect.url,
    )
    output = faults.output(result)
    assert faults.KILLED in output, output
    assert_clean_failure(output, result.returncode, COMPARING, "nothing was written")
    assert state(dialect) == before
    assert sorted((armed.script_location / "versions").glob("*.py")) == scripts
    # on a live connection there is no drift: the failure was the drop's
    armed.check(models())


@pytest.mark.dialects("postgresql", "mariadb")
@pytest.mark.parametrize("read", ["version-table", "row-estimate"])
def test_connection_drop_during_preflight(
    armed: AlembicProject, dialect: Database, read: str
) -> None:
    armed.write_revision("r2", "r1", PENDING, extra="import alembic_guard")
    before = state(dialect)
    pattern = (
        PREFLIGHT_VERSION_READ if read == "version-table" else PREFLIGHT_ROW_ESTIMATE[dialect.name]
    )
    result = faults.run(
        "alembic",
        "-c",
        str(armed.ini),
        "upgrade",
        "head",
        cwd=armed.root,
        kill_at=pattern,
        admin_url=dialect.url,
    )
    output = faults.output(result)
    assert faults.KILLED in output, output
    assert_clean_failure(output, result.returncode, PREFLIGHT, "nothing was applied")
    assert state(dialect) == before
    # on a live connection the same upgrade runs: the pre-flight stopped a real one
    armed.upgrade()
    assert state(dialect)["alembic_version"] == ["r2"]


@pytest.mark.dialects("postgresql")
def test_connection_drop_in_the_migration_rolls_the_whole_upgrade_back(
    armed: AlembicProject, dialect: Database
) -> None:
    """After the pre-flight passed, during the second CREATE TABLE: the first one, run on
    the same connection, goes with the transaction.  The error is the driver's, reported
    by Alembic (a migration's own SQL is not the guard's to translate)."""
    armed.write_revision("r2", "r1", PENDING, extra="import alembic_guard")
    before = state(dialect)
    result = faults.run(
        "alembic",
        "-c",
        str(armed.ini),
        "upgrade",
        "head",
        cwd=armed.root,
        kill_at=r"CREATE TABLE second",
        admin_url=dialect.url,
    )
    output = faults.output(result)
    assert faults.KILLED in output and "Running upgrade r1 -> r2" in output, output
    assert result.returncode != 0
    # the error shown is the lost connection, not a later one from the guard's cleanup
    assert "AdminShutdown" in output and "PendingRollbackError" not in output, output
    assert state(dialect) == before


# -- migration scripts that cannot be loaded -------------------------------------

GOOD_PENDING = 'op.create_table("pending_table", sa.Column("id", sa.Integer, primary_key=True))'
BROKEN = {
    "import-error": ("import not_a_module\n", "No module named 'not_a_module'"),
    "raises-at-import": ("raise RuntimeError('boom at import')\n", "RuntimeError: boom at import"),
    "syntax-error": ("def oops(:\n    pass\n", "cannot parse the migration"),
}
COMMANDS = {
    "upgrade": ["alembic", "-c", "{ini}", "upgrade", "head"],
    "check": ["alembic", "-c", "{ini}", "check"],
    "autogenerate": ["alembic", "-c", "{ini}", "revision", "--autogenerate", "-m", "next"],
    "lint": ["alembic-guard", "lint", "-c", "{ini}"],
}


def _run_each(project: AlembicProject) -> dict[str, tuple[int, str]]:
    """Each command of COMMANDS as a subprocess (side by side: none may write anything)."""

    def one(argv: list[str]) -> tuple[int, str]:
        result = faults.run(*(a.format(ini=project.ini) for a in argv), cwd=project.root)
        return result.returncode, faults.output(result)

    with ThreadPoolExecutor(len(COMMANDS)) as pool:
        return dict(zip(COMMANDS, pool.map(one, COMMANDS.values()), strict=True))


@pytest.mark.parametrize("fault", list(BROKEN))
def test_a_migration_that_cannot_be_loaded_is_named(
    armed: AlembicProject, dialect: Database, fault: str
) -> None:
    armed.write_revision("r2", "r1", GOOD_PENDING)
    source, problem = BROKEN[fault]
    broken = armed.script_location / "versions" / "r3_broken.py"
    broken.write_text(
        f'revision = "r3"\ndown_revision = "r2"\n{source}\n\ndef upgrade():\n    pass\n'
    )
    before = state(dialect)
    scripts = sorted((armed.script_location / "versions").glob("*.py"))
    line = 3
    for command, (returncode, output) in _run_each(armed).items():
        assert_clean_failure(output, returncode, f"{broken.resolve()}:{line}:", problem)
        if command != "lint":
            assert "nothing was run" in output, output
    # nothing applied (r2 was pending and good), no revision file written
    assert state(dialect) == before
    assert sorted((armed.script_location / "versions").glob("*.py")) == scripts


def test_two_heads_are_named_with_their_files(armed: AlembicProject, dialect: Database) -> None:
    one = armed.write_revision("r2", "r1", GOOD_PENDING)
    other = armed.write_revision(
        "r3", "r1", 'op.create_table("other_table", sa.Column("id", sa.Integer, primary_key=True))'
    )
    before = state(dialect)
    scripts = sorted((armed.script_location / "versions").glob("*.py"))
    for _command, (returncode, output) in _run_each(armed).items():
        assert_clean_failure(
            output,
            returncode,
            "2 heads",
            f"r2 ({one})",
            f"r3 ({other})",
            "alembic merge heads",
        )
    assert state(dialect) == before
    assert sorted((armed.script_location / "versions").glob("*.py")) == scripts


@pytest.mark.dialects("sqlite")
def test_labelled_branches_are_intended_heads(armed: AlembicProject, dialect: Database) -> None:
    """Heads of labelled branches are Alembic's intended multi-head layout: linted and
    upgraded (``upgrade heads``), not reported as a fork."""
    armed.write_revision("r2", "r1", GOOD_PENDING, extra='branch_labels = ("app",)')
    armed.write_revision(
        "r3",
        "r1",
        'op.create_table("other_table", sa.Column("id", sa.Integer, primary_key=True))',
        extra='branch_labels = ("reports",)',
    )
    lint = faults.run("alembic-guard", "lint", "-c", str(armed.ini), cwd=armed.root)
    assert lint.returncode == 0, faults.output(lint)
    upgrade = faults.run("alembic", "-c", str(armed.ini), "upgrade", "heads", cwd=armed.root)
    assert upgrade.returncode == 0, faults.output(upgrade)
    assert "heads" not in faults.output(upgrade)
    with dialect.engine.connect() as connection:
        versions = connection.exec_driver_sql("SELECT version_num FROM alembic_version").scalars()
        assert sorted(versions) == ["r2", "r3"]


@pytest.mark.dialects("postgresql")
def test_a_failing_migration_keeps_its_own_error(armed: AlembicProject) -> None:
    """The guard gives lock_timeout back after the migrations; after a failed statement
    PostgreSQL refuses that until the rollback, which must not replace the real error."""
    armed.write_revision("r2", "r1", 'op.execute("SELECT 1/0")')
    with pytest.raises(sa.exc.DataError, match="division by zero"):
        armed.upgrade()
