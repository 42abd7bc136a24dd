"""AG214 mysql-table-copy (MariaDB/MySQL only)."""

from __future__ import annotations

import pytest

from tests.safety.rules.helpers import blocking, of, preflight

pytestmark = pytest.mark.dialects("mariadb")

WITH_ENUM = 'op.create_table("t", sa.Column("id", sa.Integer, primary_key=True), sa.Column("v", sa.Integer), sa.Column("e", sa.Enum("new", "sent")))'


def test_ag214_blocks_algorithm_copy(dialect, guarded_project):
    findings = of(
        preflight(guarded_project, 'op.execute("ALTER TABLE t ADD COLUMN w INT, ALGORITHM=COPY")'),
        "AG214",
    )
    assert len(findings) == 1 and findings[0].blocks
    assert "ALGORITHM=COPY copies the table" in findings[0].message


def test_ag214_inplace_passes(dialect, guarded_project):
    body = 'op.execute("ALTER TABLE t ADD COLUMN w INT, ALGORITHM=INPLACE, LOCK=NONE")'
    assert not of(preflight(guarded_project, body), "AG214")


def test_ag214_blocks_an_enum_reordered_and_reads_the_current_values(dialect, guarded_project):
    body = 'op.alter_column("t", "e", type_=sa.Enum("new", "paid", "sent"))'
    findings = preflight(guarded_project, body, setup=WITH_ENUM)
    assert blocking(findings, "AG214")
    assert (
        "changes enum t.e from enum('new','sent') to ENUM('new','paid','sent')"
        in of(findings, "AG214")[0].message
    )
    assert not of(findings, "AG201")  # enums on MariaDB/MySQL are AG214's


def test_ag214_enum_values_appended_pass(dialect, guarded_project):
    body = 'op.alter_column("t", "e", type_=sa.Enum("new", "sent", "paid"), existing_type=sa.Enum("new", "sent"))'
    findings = preflight(guarded_project, body, setup=WITH_ENUM)
    assert not of(findings, "AG214") and not of(findings, "AG201")
