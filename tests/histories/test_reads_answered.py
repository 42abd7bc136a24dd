"""Real migrations read the database to decide what to write: the pre-flight answers the
reads (for real, read-only, rolled back), records the writes, and judges every revision."""

from __future__ import annotations

import pytest

import alembic_guard
from tests.helpers import catalog_state
from tests.safety.rules.helpers import TABLE, of, preflight

SEED = ["INSERT INTO t (id, v, s) VALUES (1, 1, 'a'), (2, NULL, 'b'), (3, 3, NULL)"]


def test_a_count_is_answered_and_the_write_it_decides_is_recorded(dialect, guarded_project):
    body = (
        'n = op.get_bind().execute(sa.text("SELECT COUNT(*) FROM t WHERE v IS NULL")).fetchone()[0]\n'
        "if n:\n"
        '    op.execute("DELETE FROM t")'
    )
    findings = preflight(guarded_project, body, seed=SEED)
    assert [f.code for f in findings if f.code != "AG212"] == ["AG104"]
    assert not of(findings, "AG001")


def test_an_orm_session_reads_rows_and_its_flush_is_recorded(dialect, guarded_project):
    extra = (
        "from sqlalchemy import orm\n"
        "class Base(orm.DeclarativeBase):\n    pass\n"
        "class T(Base):\n"
        '    __tablename__ = "t"\n'
        "    id = sa.Column(sa.Integer, primary_key=True)\n"
        "    v = sa.Column(sa.Integer)\n"
        "    s = sa.Column(sa.String(20))\n"
    )
    body = (
        "session = orm.Session(bind=op.get_bind())\n"
        "for row in session.query(T).filter(T.v.is_(None)):\n"
        "    row.v = 0\n"
        'session.add(T(v=9, s="new"))\n'
        "session.commit()\n"
        'op.alter_column("t", "v", existing_type=sa.Integer, nullable=False)'
    )
    preflight(guarded_project, "pass", seed=SEED)  # r1 applied, rows seeded
    guarded_project.write_revision("r3", "r2", body, extra=extra)
    before = catalog_state.take(dialect.url)
    findings = alembic_guard.check_upgrade(guarded_project.config(), "head")
    assert catalog_state.differences(before, catalog_state.take(dialect.url)) == []
    assert not of(findings, "AG001"), findings
    assert of(findings, "AG204")
    with dialect.engine.connect() as connection:
        rows = connection.exec_driver_sql("SELECT id, v FROM t ORDER BY id").fetchall()
    assert [tuple(r) for r in rows] == [(1, 1), (2, None), (3, 3)]


def test_inspection_is_answered_from_the_database_and_the_pending_set(dialect, guarded_project):
    body = (
        "insp = sa.inspect(op.get_bind())\n"
        'if not insp.has_table("u"):\n'
        '    op.create_table("u", sa.Column("id", sa.Integer, primary_key=True))\n'
        'if "u" in sa.inspect(op.get_bind()).get_table_names():\n'
        '    op.add_column("u", sa.Column("w", sa.Integer))\n'
        'if "w" in [c["name"] for c in sa.inspect(op.get_bind()).get_columns("u")]:\n'
        '    op.drop_column("t", "v")\n'
        "meta = sa.MetaData()\n"
        "meta.reflect(bind=op.get_bind())\n"
        'if "u" in meta.tables and "w" in meta.tables["u"].c:\n'
        '    op.drop_table("t")'
    )
    findings = preflight(guarded_project, body, seed=SEED)
    assert not of(findings, "AG001"), findings
    assert of(findings, "AG102") and of(findings, "AG101")


def test_engine_and_dialect_probes_are_answered(dialect, guarded_project):
    body = (
        "bind = op.get_bind()\n"
        "assert bind.engine.name == bind.dialect.name == bind.engine.dialect.name\n"
        "assert bind.dialect.server_version_info is not None\n"
        'op.drop_column("t", "v")'
    )
    findings = preflight(guarded_project, body)
    assert not of(findings, "AG001"), findings
    assert of(findings, "AG102")


def test_a_read_of_a_table_the_pending_set_creates_reads_it_empty(dialect, guarded_project):
    """On a fresh database every table is created by the pending set: a data migration
    reading one sees it empty (with the columns the pending set gave it), not an error."""
    body = (
        'op.create_table("u", sa.Column("id", sa.Integer, primary_key=True), sa.Column("n", sa.Integer))\n'
        'op.add_column("t", sa.Column("w", sa.Integer))\n'
        'n = op.get_bind().execute(sa.text("SELECT COUNT(*) FROM u WHERE n > 0")).scalar()\n'
        'm = op.get_bind().execute(sa.text("SELECT COUNT(*) FROM t WHERE w IS NULL")).scalar()\n'
        "assert (n, m) == (0, 3), (n, m)\n"
        'op.drop_column("t", "v")'
    )
    findings = preflight(guarded_project, body, seed=SEED)
    assert not of(findings, "AG001"), findings
    dropped = of(findings, "AG102")
    assert dropped and "before the upgrade" in (dropped[0].note or "")


def test_a_write_the_database_refuses_as_read_only_is_recorded(dialect, guarded_project):
    body = (
        'op.get_bind().execute(sa.text("WITH d AS (DELETE FROM t RETURNING id) SELECT count(*) FROM d"))'
        if dialect.name == "postgresql"
        else 'op.get_bind().execute(sa.text("DELETE FROM t"))'
    )
    findings = preflight(guarded_project, body, seed=SEED)
    assert not of(findings, "AG001"), findings
    with dialect.engine.connect() as connection:
        assert connection.exec_driver_sql("SELECT count(*) FROM t").scalar() == 3


def test_what_the_recorder_cannot_answer_is_one_finding_and_the_rest_is_judged(
    dialect, guarded_project
):
    """A refusal the migration catches is still reported; the other revision is judged."""
    guarded_project.write_revision("r1", None, TABLE)
    guarded_project.upgrade("r1")
    r2 = guarded_project.write_revision(
        "r2",
        "r1",
        "try:\n"
        '    op.get_bind().connection.cursor().execute("DELETE FROM t")\n'
        "except Exception:\n"
        '    print("failed to update")\n'
        'op.drop_column("t", "s")',
    )
    guarded_project.write_revision("r3", "r2", 'op.drop_column("t", "v")')

    findings = alembic_guard.check_upgrade(guarded_project.config(), "head")
    not_checked = of(findings, "AG001")
    assert len(not_checked) == 1 and not_checked[0].revision == "r2"
    line = next(n for n, text in enumerate(r2.read_text().splitlines(), 1) if "cursor()" in text)
    assert not_checked[0].line == line and "op.get_bind().connection" in not_checked[0].message
    assert not_checked[0].blocks
    # r2 ended at the refusal; r3 was recorded and judged
    assert [f.revision for f in of(findings, "AG102")] == ["r3"]


def test_an_upgrade_that_raises_is_one_finding_not_a_stop(dialect, guarded_project):
    guarded_project.write_revision("r1", None, TABLE)
    guarded_project.upgrade("r1")
    guarded_project.write_revision("r2", "r1", 'op.drop_column("t", "s")\nundefined_name()')
    guarded_project.write_revision("r3", "r2", 'op.drop_column("t", "v")')

    findings = alembic_guard.check_upgrade(guarded_project.config(), "head")
    (raised,) = of(findings, "AG001")
    assert "NameError" in raised.message and "fix it" in raised.message
    assert sorted(f.revision for f in of(findings, "AG102")) == ["r2", "r3"]


def test_ag001_is_allowed_like_any_finding(dialect, guarded_project):
    guarded_project.write_revision("r1", None, TABLE)
    guarded_project.write_revision(
        "r2",
        "r1",
        "op.get_bind().connection",
        extra='alembic_guard_allow = {"AG001": "reviewed: reads the driver connection only"}',
    )
    out = guarded_project.upgrade("head")
    assert "allowed: reviewed" in out


def test_warn_mode_reports_every_recordable_revision(dialect, guarded_project):
    guarded_project.write_revision("r1", None, TABLE)
    guarded_project.upgrade("r1")
    guarded_project.write_revision("r2", "r1", "op.get_bind().connection")
    guarded_project.write_revision("r3", "r2", 'op.drop_column("t", "v")')
    out = guarded_project.upgrade("head", x=("guard=warn",))
    assert "AG001" in out and "AG102" in out
    assert out.count("WARN mode") == 1


@pytest.mark.dialects("postgresql")
def test_a_type_created_checkfirst_is_a_recorded_write_and_pending_enum_tables_read(
    dialect, guarded_project
):
    """optuna's idiom: ``sa.Enum(...).create(bind, checkfirst=True)`` asks the database whether
    the type exists (a read) and creates it (a write to record); a pending table whose column
    has an enum type the pending set creates still reads (empty), though the type is not there."""
    body = (
        'mood = sa.Enum("happy", "sad", name="mood")\n'
        "mood.create(op.get_bind(), checkfirst=True)\n"
        'op.create_table("u", sa.Column("id", sa.Integer, primary_key=True),'
        ' sa.Column("m", sa.Enum("a", "b", name="letter")))\n'
        "n = op.get_bind().execute(sa.text(\"SELECT COUNT(*) FROM u WHERE m = 'a'\")).scalar()\n"
        "assert n == 0, n\n"
        'op.drop_column("t", "v")'
    )
    findings = preflight(guarded_project, body, seed=SEED)
    assert not of(findings, "AG001"), findings
    assert of(findings, "AG102")
    with dialect.engine.connect() as connection:
        assert not connection.exec_driver_sql(
            "SELECT 1 FROM pg_type WHERE typname IN ('mood', 'letter')"
        ).all()


def test_a_batched_backfill_loop_ends_after_one_round(dialect, guarded_project):
    """prefect's idiom: repeat a batched UPDATE until it changes no row.  The write is
    recorded, not run, and SQL text reports 0 rows changed: the loop ends, nothing hangs."""
    body = (
        "bind = op.get_bind()\n"
        "while True:\n"
        '    result = bind.execute(sa.text("UPDATE t SET v = 0 WHERE v IS NULL"))\n'
        "    if result.rowcount <= 0:\n"
        "        break\n"
        'op.drop_column("t", "s")'
    )
    findings = preflight(guarded_project, body, seed=SEED)
    assert not of(findings, "AG001"), findings
    assert of(findings, "AG102")


def test_a_loop_waiting_for_its_own_writes_stops_the_recording_not_the_preflight(
    dialect, guarded_project
):
    """A loop that reads the next batch, writes it and reads again sees the same rows
    forever (the writes were recorded, not run): the recording of that revision stops with
    the reason, the pre-flight goes on."""
    body = (
        "bind = op.get_bind()\n"
        "while True:\n"
        '    rows = bind.execute(sa.text("SELECT id FROM t WHERE v IS NULL")).fetchall()\n'
        "    if not rows:\n"
        "        break\n"
        "    for (id_,) in rows:\n"
        '        bind.execute(sa.text("UPDATE t SET v = 0 WHERE id = :id"), {"id": id_})\n'
    )
    findings = preflight(guarded_project, body, seed=SEED)
    [stopped] = of(findings, "AG001")
    assert "repeats the same write" in stopped.message
    assert "UPDATE t SET v = 0 WHERE id" in stopped.message


def test_a_final_check_of_its_own_write_does_not_stop_the_recording(dialect, guarded_project):
    """prefect's idiom: create an index, read the catalog to see it is valid, raise if not,
    as the last thing upgrade() does.  The write was recorded, not run, so the check fails;
    nothing follows it, so every operation was seen and judged: no AG001."""
    body = (
        'op.create_index("ix_t_s", "t", ["s"])\n'
        'op.drop_column("t", "v")\n'
        'n = op.get_bind().execute(sa.text("SELECT COUNT(*) FROM t WHERE s IS NULL")).scalar()\n'
        "with op.get_context().autocommit_block():\n"
        "    if n != 99:\n"
        "        raise RuntimeError(\n"
        '            "ix_t_s is missing after creation"\n'
        "        )"
    )
    findings = preflight(guarded_project, body, seed=SEED)
    assert not of(findings, "AG001"), findings
    assert of(findings, "AG102")


def test_a_check_of_its_own_write_with_more_to_do_is_told_why_it_cannot_be_recorded(
    dialect, guarded_project
):
    """The same check with operations after it: those were not seen, so AG001, and the
    finding says why (the write was recorded, not run), not "fix the migration"."""
    body = (
        'op.create_index("ix_t_s", "t", ["s"])\n'
        'n = op.get_bind().execute(sa.text("SELECT COUNT(*) FROM t WHERE s IS NULL")).scalar()\n'
        "if n != 99:\n"
        '    raise RuntimeError("ix_t_s is missing after creation")\n'
        'op.drop_column("t", "v")'
    )
    [stopped] = of(preflight(guarded_project, body, seed=SEED), "AG001")
    assert "following its own operations, which were recorded, not run" in stopped.message
