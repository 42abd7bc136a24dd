"""What real histories do that once gave false drift or false findings (issue items 4-8)."""

from __future__ import annotations

import logging

import pytest
import sqlalchemy as sa

import alembic_guard
from tests.compare.detect import GUARD, check_diffs
from tests.safety.rules.helpers import TABLE, of, preflight


def _jobs(md: sa.MetaData) -> sa.Table:
    return sa.Table(
        "jobs", md, sa.Column("id", sa.Integer, primary_key=True), sa.Column("state", sa.String(9))
    )


def test_a_model_check_attached_twice_is_one_constraint(dialect, project):
    """CheckConstraint(table.c.x.in_(...), name=...) in a migration that imports the models
    attaches a second copy to the model table: one constraint, no false drift."""
    history = sa.MetaData()
    sa.CheckConstraint(_jobs(history).c.state.in_(["new", "done"]), name="ck_state")
    project.revision(history, "jobs")
    project.upgrade()
    models = sa.MetaData()
    table = _jobs(models)
    sa.CheckConstraint(table.c.state.in_(["new", "done"]), name="ck_state")
    # the migration's own copy, built from the live model's column
    sa.CheckConstraint(table.c.state.in_(["new", "done"]), name="ck_state")
    assert len([c for c in table.constraints if isinstance(c, sa.CheckConstraint)]) == 2
    assert check_diffs(dialect.engine, models, GUARD) == []
    project.check(models)


@pytest.mark.dialects("mariadb")
def test_mariadb_json_valid_checks_are_implied_by_the_type(dialect, project):
    md = sa.MetaData()
    sa.Table("docs", md, sa.Column("id", sa.Integer, primary_key=True), sa.Column("body", sa.JSON))
    project.revision(md, "docs")
    project.upgrade()
    with dialect.engine.connect() as connection:
        clauses = connection.exec_driver_sql(
            "SELECT CHECK_CLAUSE FROM information_schema.CHECK_CONSTRAINTS "
            "WHERE TABLE_NAME = 'docs' AND CONSTRAINT_SCHEMA = DATABASE()"
        ).fetchall()
    assert any("json_valid" in c[0] for c in clauses)  # MariaDB added it by itself
    assert check_diffs(dialect.engine, md, GUARD) == []
    project.check(md)
    script = project.revision(md, "nothing").read_text()
    assert "json_valid" not in script


@pytest.mark.dialects("postgresql")
def test_a_type_alter_that_changes_nothing_is_not_a_rewrite(dialect, guarded_project):
    setup = 'op.create_table("m", sa.Column("id", sa.Integer, primary_key=True), sa.Column("x", sa.Float(53)))'
    body = 'op.alter_column("m", "x", type_=sa.Float(53), existing_type=sa.Float(precision=24))'
    assert not of(preflight(guarded_project, body, setup=setup), "AG201")


def test_not_null_on_a_column_already_not_null_is_not_flagged(dialect, guarded_project):
    setup = 'op.create_table("m", sa.Column("id", sa.Integer, primary_key=True), sa.Column("x", sa.Integer, nullable=False))'
    body = 'op.alter_column("m", "x", existing_type=sa.Integer, nullable=False)'
    assert not of(preflight(guarded_project, body, setup=setup), "AG204")


@pytest.mark.dialects("postgresql", "sqlite")
def test_a_non_native_enum_losing_long_values_is_a_shrink(dialect, guarded_project):
    setup = (
        'op.create_table("m", sa.Column("id", sa.Integer, primary_key=True), '
        'sa.Column("state", sa.Enum("queued", "running", "cancelled_by_user", name="st", native_enum=False)))'
    )
    body = (
        'op.alter_column("m", "state", type_=sa.Enum("queued", "running", "done", name="st", native_enum=False), '
        'existing_type=sa.Enum("queued", "running", "cancelled_by_user", name="st", native_enum=False))'
    )
    findings = preflight(guarded_project, body, setup=setup)
    assert of(findings, "AG202") and not of(findings, "AG201")
    assert "varchar(7)" in of(findings, "AG202")[0].message.lower()


@pytest.mark.dialects("postgresql")
def test_backfill_placeholders_are_numbered(dialect, guarded_project):
    body = (
        'op.add_column("t", sa.Column("w", sa.Integer))\n'
        'op.execute(sa.text("UPDATE t SET s = :s, v = :v WHERE id > 0").bindparams(s="x", v=1))'
    )
    (finding,) = of(preflight(guarded_project, body, x=("guard.lock_timeout=5s",)), "AG213")
    assert "$1" in finding.message and "$2" in finding.message


def test_a_small_table_warning_says_how_many_rows(dialect, guarded_project):
    findings = preflight(
        guarded_project,
        'op.drop_column("t", "v")\nop.alter_column("t", "s", existing_type=sa.String(20), nullable=False)',
        seed=["INSERT INTO t (id, v, s) VALUES (1, 1, 'a'), (2, 2, 'b')"],
        x=("guard.small_table_rows=100",),
    )
    (set_not_null,) = of(findings, "AG204")
    assert not set_not_null.blocks
    assert "t holds 2 rows, fewer than small_table_rows = 100" in set_not_null.message


@pytest.mark.dialects("sqlite")
def test_the_warn_mode_notice_is_printed_once(dialect, guarded_project, caplog):
    guarded_project.write_revision("r1", None, TABLE + "\nop.get_bind().connection")
    logging.getLogger().addHandler(handler := logging.StreamHandler())
    try:
        with caplog.at_level(logging.WARNING):
            out = guarded_project.upgrade("head", x=("guard=warn",))
    finally:
        logging.getLogger().removeHandler(handler)
    assert out.count("AG001 revision-not-checked") == 1 and out.count("WARN mode") == 1
    assert not [r for r in caplog.records if r.name == "alembic_guard"]
    assert alembic_guard.check_upgrade(guarded_project.config(), "head") == []


def test_a_pending_table_renamed_by_raw_sql_is_still_new(dialect, guarded_project):
    """prefect's history creates a table, renames it with raw ``ALTER TABLE .. RENAME TO``,
    then reshapes it: on a fresh database nothing of that has rows or readers, so nothing
    is a hazard (nor are raw drops of the indexes it created), and reads see it renamed."""
    rename = (
        'op.execute("RENAME TABLE n TO m")'
        if dialect.name == "mariadb"
        else 'op.execute("ALTER TABLE n RENAME TO m")'
    )
    body = (
        'op.create_table("n", sa.Column("id", sa.Integer, primary_key=True),'
        ' sa.Column("v", sa.Integer), sa.Column("w", sa.Integer, index=True),'
        ' sa.Index("ix_n_vw", "v", "w"))\n'
        'op.create_index("ix_n_v", "n", ["v"])\n'
        'op.execute("CREATE INDEX ix_n_raw ON n (v)")\n'
        f"{rename}\n"
        'assert "m" in sa.inspect(op.get_bind()).get_table_names()\n'
        'op.drop_column("m", "w")\n'
        'op.rename_table("m", "k")\n'
        'op.create_index("ix_k_w", "k", ["v"])\n'
        + (
            'op.execute("DROP INDEX IF EXISTS ix_n_v")\n'
            'op.execute("DROP INDEX ix_n_raw")\n'
            'op.drop_index("ix_n_vw")\n'
            if dialect.name == "postgresql"
            else 'op.drop_index("ix_n_v", table_name="k")\n'
        )
    )
    findings = preflight(guarded_project, body)
    assert not [f for f in findings if f.code not in ("AG303",)], findings


def test_a_created_table_with_an_index_item_replays_and_the_version_table_answers(
    dialect, guarded_project
):
    """mlflow's idioms: ``op.create_table(..., sa.Index("ix", "col"))`` then inspection
    after further operations (the replay builds that table again), and
    ``op.get_context().version_table_schema`` to find the schema."""
    body = (
        'op.create_table("d", sa.Column("id", sa.Integer, primary_key=True),'
        ' sa.Column("u", sa.String(36)), sa.Index("index_d_u", "u"))\n'
        'assert [c["name"] for c in sa.inspect(op.get_bind()).get_columns("d")] == ["id", "u"]\n'
        'op.add_column("d", sa.Column("w", sa.Integer))\n'
        'assert "w" in [c["name"] for c in sa.inspect(op.get_bind()).get_columns("d")]\n'
        "schema = op.get_context().version_table_schema\n"
        'assert op.get_context().version_table == "alembic_version"\n'
        'op.drop_column("t", "v")'
    )
    findings = preflight(guarded_project, body)
    assert not of(findings, "AG001"), findings
    assert of(findings, "AG102")


@pytest.mark.dialects("mariadb", "postgresql")
def test_a_check_the_database_holds_twice_under_made_up_names_is_one(dialect, project):
    """mlflow's history leaves MariaDB with two copies of a Boolean's CHECK
    (``CONSTRAINT_1``, ``CONSTRAINT_2``): the same rule twice under names the database made
    up is one constraint, no drift."""
    models = sa.MetaData()
    sa.Table(
        "metrics",
        models,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("n", sa.Integer),
        sa.Column("is_nan", sa.Boolean(create_constraint=True), nullable=False),
        sa.CheckConstraint("n > 0"),
    )
    project.revision(models, "metrics")
    project.upgrade()
    with dialect.engine.begin() as connection:
        connection.exec_driver_sql("ALTER TABLE metrics ADD CHECK (n > 0)")
        if dialect.name == "mariadb":
            connection.exec_driver_sql("ALTER TABLE metrics ADD CHECK (is_nan in (0,1))")
    assert check_diffs(dialect.engine, models, GUARD) == []
    project.check(models)
