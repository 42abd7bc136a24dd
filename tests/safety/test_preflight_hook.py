"""The upgrade hook point: pending steps are recorded, judged, and a blocked
upgrade leaves the database exactly as it was.  The rule here is a trivial
test-only one; the real rules have their own tests."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator

import pytest
from alembic.operations import ops
from alembic.util import CommandError

import alembic_guard
from alembic_guard.errors import UpgradeBlocked
from alembic_guard.safety.rules import Severity, define, register, unregister
from tests.helpers.snapshot import schema_objects


def _flag_drop_table(record, context):
    if isinstance(record.op, ops.DropTableOp):
        yield f"drops table {record.op.table_name}"


def _flag_execute(record, context):
    if isinstance(record.op, ops.ExecuteSQLOp):
        suffix = " inside autocommit_block" if record.in_autocommit_block else ""
        yield f"runs SQL {record.op.sqltext}{suffix}"


@pytest.fixture
def test_rules() -> Iterator[None]:
    doc = "A test rule.\n\nWhy:\n    test why\n\nSafe alternative:\n    test safe way\n\nExample:\n    op.x()\n"
    rules = [
        define(doc, code="TEST001", name="test-drop-table", check=_flag_drop_table),
        define(
            doc, code="TEST002", name="test-execute", check=_flag_execute, severity=Severity.WARNING
        ),
    ]
    for rule in rules:
        register(rule)
    yield
    for rule in rules:
        unregister(rule.code)


def line_of(path, text: str) -> int:
    """1-based line of the first line containing ``text``."""
    return next(n for n, line in enumerate(path.read_text().splitlines(), 1) if text in line)


CREATE = 'op.create_table("t", sa.Column("id", sa.Integer, primary_key=True), sa.Column("v", sa.Integer))'


def version_rows(dialect):
    from sqlalchemy import inspect, text

    with dialect.engine.connect() as connection:
        if "alembic_version" not in inspect(connection).get_table_names():
            return None
        return sorted(
            r[0] for r in connection.execute(text("SELECT version_num FROM alembic_version"))
        )


def test_blocked_upgrade_changes_nothing(dialect, guarded_project, test_rules):
    guarded_project.write_revision("r1", None, CREATE)
    r2 = guarded_project.write_revision(
        "r2", "r1", 'op.add_column("t", sa.Column("w", sa.Integer))\nop.drop_table("t")'
    )
    guarded_project.upgrade("r1")
    before = schema_objects(dialect.engine)
    with pytest.raises(UpgradeBlocked) as blocked:
        guarded_project.upgrade("head")
    assert schema_objects(dialect.engine) == before
    assert version_rows(dialect) == ["r1"]
    message = str(blocked.value)
    assert "TEST001 test-drop-table" in message
    assert f"r2_manual.py:{line_of(r2, 'op.drop_table')}:" in message
    assert "in revision r2" in message and "test safe way" in message


def test_blocked_first_upgrade_creates_no_version_table(dialect, guarded_project, test_rules):
    guarded_project.write_revision("r1", None, CREATE + '\nop.drop_table("t")')
    with pytest.raises(UpgradeBlocked):
        guarded_project.upgrade("head")
    assert schema_objects(dialect.engine)["tables"] == []
    assert version_rows(dialect) is None


@pytest.mark.dialects("sqlite")
def test_warn_mode_runs_and_prints_a_banner(guarded_project, test_rules):
    guarded_project.write_revision("r1", None, CREATE + '\nop.drop_table("t")')
    output = guarded_project.upgrade("head", x=("guard=warn",))
    assert "WARN mode" in output and "TEST001" in output
    assert guarded_project.heads() == ("r1",)


@pytest.mark.dialects("sqlite")
def test_off_mode_skips_the_preflight(guarded_project, test_rules):
    guarded_project.write_revision("r1", None, CREATE + '\nop.drop_table("t")')
    assert "TEST001" not in guarded_project.upgrade("head", x=("guard.mode=off",))


@pytest.mark.dialects("sqlite")
def test_warnings_do_not_block(dialect, guarded_project, test_rules):
    guarded_project.write_revision("r1", None, CREATE + '\nop.execute("UPDATE t SET v = 1")')
    output = guarded_project.upgrade("head")
    assert "TEST002" in output
    assert version_rows(dialect) == ["r1"]


@pytest.mark.dialects("postgresql", "sqlite")
def test_everything_a_migration_can_do_is_recorded_not_run(dialect, guarded_project, test_rules):
    guarded_project.write_revision("r1", None, CREATE)
    guarded_project.upgrade("head")
    body = "\n".join(
        [
            'with op.batch_alter_table("t") as batch_op:',
            '    batch_op.drop_column("v")',
            'op.get_bind().execute(sa.text("DELETE FROM t"))',
            "with op.get_context().autocommit_block():",
            '    op.execute("UPDATE t SET v = 2")',
            'op.drop_table("t")',
        ]
    )
    r2 = guarded_project.write_revision("r2", "r1", body)
    with dialect.engine.begin() as connection:
        connection.exec_driver_sql("INSERT INTO t (id, v) VALUES (1, 1)")
    config = guarded_project.config()
    findings = alembic_guard.check_upgrade(config, "head")
    assert [(f.code, f.line) for f in findings if f.code.startswith("TEST")] == [
        ("TEST002", line_of(r2, "get_bind")),
        ("TEST002", line_of(r2, "UPDATE t")),
        ("TEST001", line_of(r2, "drop_table")),
    ]
    assert "inside autocommit_block" in [f for f in findings if f.code == "TEST002"][1].message
    with dialect.engine.connect() as connection:
        assert connection.exec_driver_sql("SELECT id, v FROM t").all() == [(1, 1)]
    assert version_rows(dialect) == ["r1"]


@pytest.mark.dialects("sqlite")
def test_a_failing_migration_is_named_with_file_and_line(guarded_project, test_rules):
    r1 = guarded_project.write_revision("r1", None, CREATE + "\nraise RuntimeError('boom')")
    with pytest.raises(UpgradeBlocked) as error:
        guarded_project.upgrade("head")
    (finding,) = [f for f in error.value.findings if f.code == "AG001"]
    assert finding.line == line_of(r1, "boom") and finding.path.endswith("r1_manual.py")
    assert "RuntimeError: boom" in finding.message and "fix it" in finding.message
    assert "guard=warn" not in str(error.value).split("Nothing was run.")[0]
    assert guarded_project.heads() == ("r1",)


@pytest.mark.dialects("sqlite")
def test_unanswerable_bind_use_is_a_finding_with_a_clear_message(guarded_project, test_rules):
    guarded_project.write_revision("r1", None, CREATE + "\nop.get_bind().connection")
    with pytest.raises(UpgradeBlocked, match=r"AG001 revision-not-checked") as error:
        guarded_project.upgrade("head")
    assert "uses op.get_bind().connection" in str(error.value)
    # what the revision recorded before that point is judged too
    assert "TEST001" not in str(error.value)


@pytest.mark.dialects("sqlite")
def test_check_upgrade_requires_wiring(dialect, tmp_path, test_rules):
    guarded_project = dialect.project(tmp_path / "unwired", wired=False)
    guarded_project.write_revision("r1", None, CREATE)
    with pytest.raises(CommandError, match="found no alembic_guard wiring"):
        alembic_guard.check_upgrade(guarded_project.config(), "head")


@pytest.mark.dialects("sqlite")
def test_offline_upgrade_is_checked_too(guarded_project, test_rules):
    guarded_project.write_revision("r1", None, CREATE + '\nop.drop_table("t")')
    config = guarded_project.config()
    from alembic import command

    with pytest.raises(UpgradeBlocked):
        command.upgrade(config, "head", sql=True)


@pytest.mark.dialects("sqlite")
def test_blocked_upgrade_on_the_command_line(guarded_project, tmp_path):
    """The real `alembic upgrade` and a built-in rule: non-zero exit, the report, no traceback."""
    guarded_project.write_revision("r1", None, CREATE)
    guarded_project.upgrade("r1")
    guarded_project.write_revision("r2", "r1", 'op.drop_table("t")')
    result = subprocess.run(
        [sys.executable, "-m", "alembic", "-c", str(guarded_project.ini), "upgrade", "head"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=120,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 255
    assert "Traceback" not in output
    assert "FAILED: alembic_guard blocked this upgrade before anything ran" in output


@pytest.mark.dialects("sqlite")
@pytest.mark.parametrize("mode", ["block", "warn", "off"])
def test_check_upgrade_never_runs_migrations_whatever_the_mode(
    dialect, guarded_project, test_rules, mode
):
    guarded_project.write_revision("r1", None, CREATE + '\nop.drop_table("t")')
    findings = alembic_guard.check_upgrade(
        guarded_project.config(x=(f"guard.mode={mode}",)), "head"
    )
    assert [f.code for f in findings if f.code.startswith("TEST")] == ["TEST001"]
    assert version_rows(dialect) is None


@pytest.mark.dialects("sqlite")
def test_warn_mode_runs_a_migration_the_preflight_cannot_record(
    dialect, guarded_project, test_rules
):
    guarded_project.write_revision("r1", None, CREATE + "\nop.get_bind().connection")
    with pytest.raises(UpgradeBlocked, match="AG001"):
        guarded_project.upgrade("head")
    assert version_rows(dialect) is None
    output = guarded_project.upgrade("head", x=("guard=warn",))
    assert "WARN mode" in output and "AG001" in output
    assert version_rows(dialect) == ["r1"]


def test_a_migration_that_inspects_the_database_is_recorded(dialect, guarded_project, test_rules):
    guarded_project.write_revision(
        "r1", None, CREATE + "\nassert 't' in sa.inspect(op.get_bind()).get_table_names()"
    )
    guarded_project.upgrade("head")
    assert version_rows(dialect) == ["r1"]


@pytest.mark.dialects("sqlite")
def test_custom_operations_are_recorded_too(dialect, guarded_project):
    """An operation registered with Operations.register_operation goes through invoke()."""
    from alembic.operations import MigrateOperation, Operations

    if not hasattr(Operations, "guard_test_touch"):

        @Operations.register_operation("guard_test_touch")
        class TouchOp(MigrateOperation):
            def __init__(self, table_name: str) -> None:
                self.table_name = table_name

            @classmethod
            def guard_test_touch(cls, operations, table_name):
                return operations.invoke(cls(table_name))

        @Operations.implementation_for(TouchOp)
        def touch(operations, operation):  # pragma: no cover - never run by the pre-flight
            raise AssertionError("the pre-flight ran a custom operation")

    def flag_touch(record, context):
        if type(record.op).__name__ == "TouchOp":
            yield f"touches {record.op.table_name}"

    doc = "A test rule.\n\nWhy:\n    w\n\nSafe alternative:\n    s\n\nExample:\n    op.x()\n"
    register(define(doc, code="TEST003", name="test-touch", check=flag_touch))
    try:
        guarded_project.write_revision("r1", None, 'op.guard_test_touch("t")')
        findings = alembic_guard.check_upgrade(guarded_project.config(), "head")
    finally:
        unregister("TEST003")
    assert [(f.code, f.message) for f in findings] == [("TEST003", "touches t")]


def test_autogenerate_writes_a_warning_above_a_flagged_operation(dialect, project):
    import sqlalchemy as sa

    before = sa.MetaData()
    sa.Table(
        "t", before, sa.Column("id", sa.Integer, primary_key=True), sa.Column("fax", sa.String(20))
    )
    with dialect.engine.begin() as connection:
        before.create_all(connection)
    after = sa.MetaData()
    sa.Table("t", after, sa.Column("id", sa.Integer, primary_key=True))
    script = project.revision(after, "drop fax").read_text()
    upgrade = script.split("def downgrade")[0]
    warning = upgrade.index("# alembic_guard: WARNING AG102 drop-column: drops column t.fax")
    assert warning < upgrade.index("drop_column")
