"""The pre-flight never writes, never crashes with a traceback, and sees what it should."""

from __future__ import annotations

import types

import pytest
import sqlalchemy as sa
from alembic.runtime.migration import MigrationContext

import alembic_guard
from alembic_guard.safety.recording import record_upgrade
from alembic_guard.safety.sql import classify
from tests.safety.rules.helpers import TABLE, of, preflight

SEED = ["INSERT INTO t (id, v) VALUES (1, 1), (2, 2)"]


def count(dialect, sql: str) -> int:
    with dialect.engine.connect() as connection:
        return int(connection.exec_driver_sql(sql).scalar())


@pytest.mark.parametrize("reach", ["impl.connection", "environment_context.get_bind()", "impl"])
def test_the_migration_cannot_reach_the_real_connection(dialect, guarded_project, reach):
    body = f'op.get_context().{reach}.execute(sa.text("DELETE FROM t"))'
    findings = preflight(guarded_project, body, seed=SEED)
    (finding,) = of(findings, "AG001")
    assert "cannot answer without running the migration" in finding.message
    assert count(dialect, "SELECT count(*) FROM t") == 2


def test_context_get_bind_is_the_recording_bind_too(dialect, guarded_project):
    body = 'from alembic import context\ncontext.get_bind().execute(sa.text("DELETE FROM t"))'
    findings = preflight(guarded_project, body, seed=SEED)
    assert of(findings, "AG104") and not of(findings, "AG001")
    assert count(dialect, "SELECT count(*) FROM t") == 2


@pytest.mark.dialects("postgresql")
def test_data_checks_are_read_only(dialect, guarded_project):
    """AG210 evaluates the CHECK condition over the rows; nextval() there must not run."""
    setup = TABLE + '\nop.execute("CREATE SEQUENCE sq")'
    findings = preflight(
        guarded_project,
        "op.create_check_constraint('ck', 't', \"nextval('sq') > 0\")",
        setup=setup,
        seed=SEED,
    )
    assert of(findings, "AG210")
    with dialect.engine.connect() as connection:
        assert connection.exec_driver_sql("SELECT is_called FROM sq").scalar() is False


@pytest.mark.dialects("postgresql")
def test_a_construct_compiled_for_one_dialect_does_not_crash(dialect, guarded_project):
    body = "op.execute(sa.text('SELECT 1').columns())\nop.execute(sa.schema.CreateSequence(sa.Sequence('s2')))"
    findings = preflight(guarded_project, body)
    assert all(f.code != "AG401" for f in findings)


@pytest.mark.dialects("sqlite")
def test_reading_rows_of_the_recorded_bind_reads_the_database(dialect, guarded_project):
    body = 'assert op.get_bind().execute(sa.text("SELECT count(*) FROM t")).scalar_one() == 2'
    assert not of(preflight(guarded_project, body, seed=SEED), "AG001")


@pytest.mark.dialects("sqlite")
def test_reading_the_result_of_a_write_is_a_clear_finding(dialect, guarded_project):
    body = 'op.get_bind().execute(sa.text("UPDATE t SET v = 0 WHERE id = 1")).lastrowid'
    (finding,) = of(preflight(guarded_project, body, seed=SEED), "AG001")
    assert "reads .lastrowid of the result of a write" in finding.message


@pytest.mark.dialects("postgresql")
def test_a_new_table_in_the_default_schema_named_explicitly_is_new(dialect, guarded_project):
    body = (
        'op.create_table("n", sa.Column("id", sa.Integer, primary_key=True), sa.Column("a", sa.Integer), schema="public")\n'
        'op.create_index("ix_n_a", "n", ["a"])'
    )
    assert not of(preflight(guarded_project, body), "AG206")


def test_upgrade_arguments_reach_multidb_migrations(dialect):
    seen: list[str] = []

    def upgrade(engine_name: str) -> None:
        seen.append(engine_name)

    script = types.SimpleNamespace(
        revision="r1", path=__file__, module=types.SimpleNamespace(upgrade=upgrade)
    )
    with dialect.engine.connect() as connection:
        record_upgrade(
            script, MigrationContext.configure(connection), arguments={"engine_name": "engine1"}
        )
    assert seen == ["engine1"]


def test_mariadb_urls_parse_raw_sql_as_mysql():
    dialect = sa.create_mock_engine("mariadb://", lambda *a, **k: None).dialect
    assert [s.kind for s in classify("DELETE FROM `t`", dialect)] == ["delete"]
    assert classify("ALTER TABLE t MODIFY s varchar(30), ALGORITHM=COPY", dialect)[0].forces_copy


def test_check_upgrade_findings_do_not_depend_on_a_previous_run(dialect, guarded_project):
    findings = preflight(guarded_project, 'op.drop_column("t", "v")')
    again = alembic_guard.check_upgrade(guarded_project.config(), "head")
    assert [(f.code, f.line) for f in findings] == [(f.code, f.line) for f in again]
