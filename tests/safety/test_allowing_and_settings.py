"""Allowing at every level, project settings, report formats, offline mode, timeouts."""

from __future__ import annotations

import io
import json
from contextlib import redirect_stdout

import pytest
from alembic import command

import alembic_guard
from alembic_guard.errors import PreflightError, UpgradeBlocked
from tests.safety.rules.helpers import TABLE, of, preflight

DROP = 'op.drop_column("t", "v")'


def test_allow_without_a_reason_is_rejected(dialect, guarded_project):
    body = 'import alembic_guard\nwith alembic_guard.allow("AG102", reason=" "):\n    op.drop_column("t", "v")'
    with pytest.raises(PreflightError, match="without a reason"):
        preflight(guarded_project, body)


@pytest.mark.dialects("sqlite")
def test_revision_allowance_must_be_a_mapping_with_reasons(dialect, guarded_project):
    with pytest.raises(PreflightError, match="without a reason"):
        preflight(guarded_project, DROP, extra='alembic_guard_allow = {"AG102": ""}')


@pytest.mark.dialects("sqlite")
def test_allowed_findings_are_listed_with_their_reason_and_the_upgrade_runs(
    dialect, guarded_project
):
    guarded_project.write_revision("r1", None, TABLE)
    guarded_project.upgrade("r1")
    guarded_project.write_revision(
        "r2", "r1", DROP, extra='alembic_guard_allow = {"AG102": "unused since r41"}'
    )
    output = guarded_project.upgrade("head")
    assert "AG102 drop-column [allowed: unused since r41]" in output
    assert guarded_project.heads() == ("r2",)


@pytest.mark.dialects("sqlite")
def test_allow_is_a_no_op_when_the_migration_really_runs():
    with alembic_guard.allow("AG102", reason="fine"):
        pass


@pytest.mark.dialects("sqlite")
def test_disabled_rule_reports_nothing(dialect, guarded_project):
    assert not of(preflight(guarded_project, DROP, x=("guard.disable=AG102",)), "AG102")


@pytest.mark.dialects("sqlite")
def test_severity_override_turns_an_error_into_a_warning(dialect, guarded_project):
    findings = preflight(guarded_project, DROP, x=("guard.severity=AG102=warning",))
    assert of(findings, "AG102")[0].severity.value == "warning"
    assert not of(findings, "AG102")[0].blocks


@pytest.mark.dialects("sqlite")
def test_start_after_grandfathers_old_revisions(dialect, guarded_project):
    guarded_project.write_revision("r1", None, TABLE)
    guarded_project.write_revision("r2", "r1", DROP)
    guarded_project.write_revision("r3", "r2", 'op.drop_column("t", "s")')
    findings = alembic_guard.check_upgrade(
        guarded_project.config(x=("guard.start_after=r2",)), "head"
    )
    assert [(f.code, f.revision) for f in of(findings, "AG102")] == [("AG102", "r3")]


@pytest.mark.dialects("sqlite")
def test_start_after_naming_no_revision_is_one_clear_error(dialect, guarded_project):
    guarded_project.write_revision("r1", None, TABLE)
    with pytest.raises(Exception, match="start_after = 'nope' names no revision"):
        alembic_guard.check_upgrade(guarded_project.config(x=("guard.start_after=nope",)), "head")


@pytest.mark.dialects("sqlite")
def test_json_report(dialect, guarded_project):
    guarded_project.write_revision("r1", None, TABLE)
    guarded_project.upgrade("r1")
    guarded_project.write_revision("r2", "r1", DROP)
    config = guarded_project.config(x=("guard.report=json",))
    with pytest.raises(UpgradeBlocked, match="as JSON"):
        command.upgrade(config, "head")
    report = json.loads(guarded_project.output(config))
    assert report["blocked"] is True
    (finding,) = [f for f in report["findings"] if f["code"] == "AG102"]
    assert finding["blocks"] and finding["line"] > 0 and finding["revision"] == "r2"
    assert finding["how_to_allow"].startswith("wrap the operation")


@pytest.mark.dialects("sqlite")
def test_offline_comment_mode_writes_findings_into_the_sql(dialect, guarded_project):
    guarded_project.write_revision("r1", None, TABLE)
    guarded_project.write_revision("r2", "r1", DROP)
    buffer = io.StringIO()
    with redirect_stdout(buffer):
        command.upgrade(guarded_project.config(x=("guard.offline=comment",)), "r1:head", sql=True)
    assert "-- alembic_guard: " in buffer.getvalue() and "AG102" in buffer.getvalue()
    with pytest.raises(UpgradeBlocked), redirect_stdout(io.StringIO()):
        command.upgrade(guarded_project.config(), "r1:head", sql=True)


@pytest.mark.dialects("postgresql")
def test_lock_and_statement_timeouts_are_set_for_the_migrations(dialect, guarded_project):
    guarded_project.write_revision(
        "r1",
        None,
        "row = op.get_bind().execute(sa.text(\"SELECT current_setting('lock_timeout'), "
        "current_setting('statement_timeout')\")).one()\n"
        'op.execute(sa.text(f"CREATE TABLE seen (lock text, stmt text)"))\n'
        "op.execute(sa.text(f\"INSERT INTO seen VALUES ('{row[0]}', '{row[1]}')\"))",
    )
    guarded_project.upgrade("head", x=("guard=warn", "guard.statement_timeout=2min"))
    with dialect.engine.connect() as connection:
        assert connection.exec_driver_sql("SELECT lock, stmt FROM seen").one() == ("5s", "2min")
