"""AG201 alter-column-type, AG202 shrink-varchar."""

from __future__ import annotations

import re

import pytest

from tests.safety.rules.helpers import blocking, of, preflight


def test_ag201_blocks_a_rewrite(dialect, guarded_project):
    body = 'with op.batch_alter_table("t") as batch:\n    batch.alter_column("v", type_=sa.BigInteger(), existing_type=sa.Integer())'
    findings = of(preflight(guarded_project, body), "AG201")
    assert len(findings) == 1
    # the type the database holds now, as it spells it
    assert re.search(
        r"changes the type of t\.v from (integer|int\(11\)) to bigint", findings[0].message.lower()
    )
    # SQLite recreates the table in batch mode: a warning there
    assert findings[0].blocks == (dialect.name != "sqlite")


@pytest.mark.dialects("postgresql")
def test_ag201_reads_the_current_type_when_the_migration_does_not_say(dialect, guarded_project):
    body = 'op.alter_column("t", "v", type_=sa.BigInteger())'
    findings = of(preflight(guarded_project, body), "AG201")
    assert "from integer to BIGINT" in findings[0].message and findings[0].blocks


@pytest.mark.dialects("postgresql")
def test_ag201_binary_compatible_changes_pass_on_postgresql(dialect, guarded_project):
    setup = 'op.create_table("t", sa.Column("id", sa.Integer, primary_key=True), sa.Column("s", sa.String(20)), sa.Column("n", sa.Numeric(10, 2)), sa.Column("x", sa.Text))'
    body = "\n".join(
        [
            'op.alter_column("t", "s", type_=sa.String(50))',  # current type read from the catalog
            'op.alter_column("t", "n", type_=sa.Numeric(12, 2), existing_type=sa.Numeric(10, 2))',
            'op.alter_column("t", "x", type_=sa.String())',
        ]
    )
    assert not of(preflight(guarded_project, body, setup=setup), "AG201")


@pytest.mark.dialects("postgresql")
def test_ag201_numeric_scale_change_is_a_rewrite(dialect, guarded_project):
    setup = 'op.create_table("t", sa.Column("id", sa.Integer, primary_key=True), sa.Column("n", sa.Numeric(10, 2)))'
    body = 'op.alter_column("t", "n", type_=sa.Numeric(12, 4), existing_type=sa.Numeric(10, 2))'
    assert blocking(preflight(guarded_project, body, setup=setup), "AG201")


@pytest.mark.dialects("mariadb")
def test_ag201_longer_varchar_passes_on_mariadb(dialect, guarded_project):
    body = 'op.alter_column("t", "s", type_=sa.String(300), existing_type=sa.String(20))'
    assert not of(preflight(guarded_project, body), "AG201")


def test_ag201_new_column_is_exempt(dialect, guarded_project):
    body = 'op.add_column("t", sa.Column("w", sa.Integer))\nop.alter_column("t", "w", type_=sa.BigInteger(), existing_type=sa.Integer())'
    assert not of(preflight(guarded_project, body), "AG201")


SHRINK = 'with op.batch_alter_table("t") as batch:\n    batch.alter_column("s", type_=sa.String(5), existing_type=sa.String(20))'


def test_ag202_counts_values_that_would_not_fit(dialect, guarded_project):
    findings = preflight(
        guarded_project,
        SHRINK,
        seed=["INSERT INTO t (id, s) VALUES (1, 'abcdefgh'), (2, 'ab'), (3, 'abcdefghijk')"],
    )
    found = of(findings, "AG202")
    assert len(found) == 1
    assert "shrinks t.s from " in found[0].message
    assert "(20) to varchar(5)" in found[0].message.lower()
    assert "2 values would not fit" in found[0].message
    assert found[0].blocks == (dialect.name != "sqlite")  # SQLite does not enforce lengths
    assert not of(findings, "AG201")  # the shrink is AG202's


@pytest.mark.dialects("postgresql", "mariadb")
def test_ag202_blocks_even_when_every_value_fits(dialect, guarded_project):
    findings = of(
        preflight(guarded_project, SHRINK, seed=["INSERT INTO t (id, s) VALUES (1, 'ab')"]), "AG202"
    )
    assert findings[0].blocks and "no value is longer now" in findings[0].message


def test_ag202_longer_or_same_length_passes(dialect, guarded_project):
    body = 'with op.batch_alter_table("t") as batch:\n    batch.alter_column("s", type_=sa.String(40), existing_type=sa.String(20))'
    assert not of(preflight(guarded_project, body), "AG202")
