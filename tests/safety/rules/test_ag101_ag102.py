"""AG101 drop-table, AG102 drop-column: block, allowed per operation and per revision."""

from __future__ import annotations

from tests.safety.rules.helpers import blocking, of, preflight


def test_ag101_blocks_and_counts_rows(dialect, guarded_project):
    findings = preflight(
        guarded_project, 'op.drop_table("t")', seed=["INSERT INTO t (id, v) VALUES (1, 1)"]
    )
    assert blocking(findings, "AG101")
    assert "drops table t" in of(findings, "AG101")[0].message


def test_ag101_allowed_per_operation(dialect, guarded_project):
    body = 'import alembic_guard\nwith alembic_guard.allow("AG101", reason="backed up"):\n    op.drop_table("t")'
    findings = preflight(guarded_project, body)
    assert of(findings, "AG101") and not blocking(findings, "AG101")
    assert of(findings, "AG101")[0].allowed_reason == "backed up"


def test_ag101_new_table_is_exempt(dialect, guarded_project):
    body = 'op.create_table("n", sa.Column("id", sa.Integer, primary_key=True))\nop.drop_table("n")'
    assert not of(preflight(guarded_project, body), "AG101")


def test_ag102_blocks_with_value_count(dialect, guarded_project):
    findings = preflight(
        guarded_project,
        'op.drop_column("t", "v")',
        seed=["INSERT INTO t (id, v) VALUES (1, 5), (2, NULL)"],
    )
    assert blocking(findings, "AG102")
    assert "1 rows hold a value" in of(findings, "AG102")[0].message


def test_ag102_allowed_per_revision(dialect, guarded_project):
    findings = preflight(
        guarded_project,
        'op.drop_column("t", "v")',
        extra='alembic_guard_allow = {"AG102": "unused since r41"}',
    )
    assert of(findings, "AG102")[0].allowed_reason == "unused since r41"


def test_ag101_raw_drop_table(dialect, guarded_project):
    findings = preflight(guarded_project, 'op.execute("DROP TABLE t")')
    assert blocking(findings, "AG101")
