"""Hostile identifiers end to end, per dialect: mixed case, spaces, quotes, dots,
reserved words, non-ASCII, the drivers' paramstyle traps (``%``, ``:x``) and names
at the length limit, as tables, columns, CHECKs, indexes, views and foreign keys,
through autogenerate, rendering, upgrade, ``alembic check``, ``alembic-guard diff``
and downgrade.  ``IDENTIFIERS`` lists the names tried per dialect."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic import command

from alembic_guard.dialects import canonicalizer_for
from alembic_guard.dialects.base import ScratchRequest, ViewRequest
from tests.helpers import snapshot
from tests.helpers.identifiers import RENAMES, catalog, identifiers, models, second_database
from tests.helpers.project import AlembicProject
from tests.helpers.snapshot import check_constraints
from tests.safety.rules.helpers import of, preflight

CLI = str(Path(sys.executable).with_name("alembic-guard"))

#: dialect -> every distinct identifier the round trip creates
IDENTIFIERS = {name: identifiers(name) for name in ("postgresql", "mariadb", "sqlite")}


def diff(a: str, b: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([CLI, "diff", a, b], capture_output=True, text=True)


def revision_of(script: str) -> str:
    match = re.search(r"^revision: str = '(\w+)'|^revision = '(\w+)'", script, re.MULTILINE)
    assert match, script
    return match.group(1) or match.group(2)


def test_hostile_names_round_trip(dialect, project: AlembicProject, tmp_path: Path):
    empty = catalog(dialect.engine)
    stage1 = models(dialect.name, 1)
    first = project.revision(stage1, "hostile names").read_text()
    project.upgrade()
    project.check(stage1)
    after1 = catalog(dialect.engine)
    assert set(after1["tables"]) == {"OrderItems", *(t.name for t in stage1.sorted_tables)}
    assert set(after1["views"]) == {"user", "café"}
    assert len(after1["checks"]) == 8, after1["checks"]

    stage2 = models(dialect.name, 2)
    second = project.revision(stage2, "rename, check, view").read_text()
    upgrade = second.split("def downgrade")[0]
    for new in RENAMES.values():
        assert f"new_column_name={new!r}" in upgrade, upgrade
    assert "drop_column" not in upgrade and "add_column" not in upgrade, upgrade
    assert "'check'" in upgrade, upgrade  # the changed CHECK, by its name
    assert "replace_view('user'" in upgrade or "view('user'" in upgrade, upgrade
    project.upgrade()
    project.check(stage2)
    after2 = catalog(dialect.engine)
    columns = {name for name, _ in after2["columns"]["OrderItems"]}
    assert set(RENAMES.values()) <= columns and not set(RENAMES) & columns

    # alembic-guard diff: the database against itself, then stage 1 rebuilt in a
    # second database against stage 2
    same = diff(dialect.url, dialect.url)
    assert same.returncode == 0 and same.stdout.strip() == "No differences.", same
    with second_database(dialect, tmp_path) as other:
        config = project.config()
        config.set_main_option("sqlalchemy.url", other.replace("%", "%%"))
        command.upgrade(config, revision_of(first))
        result = diff(other, dialect.url)
    assert result.returncode == 1, result.stdout + result.stderr
    lines = [line.strip() for line in result.stdout.splitlines()]
    for old, new in RENAMES.items():
        assert f"- table OrderItems: column {old} only in A" in lines, result.stdout
        assert f"+ table OrderItems: column {new} only in B" in lines, result.stdout
    assert any(line.startswith("~ table OrderItems: check check is") for line in lines)
    assert any(line.startswith("~ view user: definition is") for line in lines)
    assert "Traceback" not in result.stderr

    project.downgrade("-1")
    assert catalog(dialect.engine) == after1
    project.downgrade("base")
    assert catalog(dialect.engine) == empty


@pytest.mark.dialects("sqlite")
def test_sqlite_rename_beside_check_changes_keeps_unnamed_checks(dialect, project):
    """A column rename splits the table's batch block in three; each block rebuilds the
    table, so each must carry the unnamed CHECKs (the first and last once lost them)."""

    def models(stage: int) -> sa.MetaData:
        m = sa.MetaData()
        sa.Table(
            "t",
            m,
            sa.Column("id", sa.Integer, primary_key=True),
            sa.Column("b" if stage == 1 else "b new", sa.Integer),
            sa.Column("p", sa.Integer),
            sa.CheckConstraint(sa.column("p") > stage, name="ck_p"),
            sa.CheckConstraint(sa.column("p") < 100),
        )
        return m

    project.revision(models(1))
    project.upgrade()
    script = project.revision(models(2)).read_text()
    assert "new_column_name='b new'" in script
    project.upgrade()
    project.check(models(2))
    assert any(name is None for _, name, _ in check_constraints(dialect.engine))


def long_named_models() -> sa.MetaData:
    """Names generated by a naming convention past every dialect's limit (63 bytes on
    PostgreSQL, 64 characters on MariaDB): SQLAlchemy cuts them with a hash suffix."""
    m = sa.MetaData(
        naming_convention={
            "ck": "ck_%(table_name)s_%(constraint_name)s",
            "ix": "ix_%(table_name)s_%(column_0_N_name)s",
            "uq": "uq_%(table_name)s_%(column_0_N_name)s",
            "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        }
    )
    parent = "Parent Table With A Rather Long Name Ωmega 表"
    child = "child_table_whose_name_is_long_enough_already_ending_here"
    sa.Table(parent, m, sa.Column("id", sa.Integer, primary_key=True))
    sa.Table(
        child,
        m,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("Quantity Ordered", sa.Integer, index=True),
        sa.Column("unit price in cents", sa.Integer),
        sa.Column("parent_id", sa.Integer, sa.ForeignKey(f"{parent}.id")),
        sa.CheckConstraint(sa.column("Quantity Ordered") > 0, name="positive quantity"),
        sa.UniqueConstraint("Quantity Ordered", "unit price in cents"),
    )
    return m


def test_truncated_generated_names_round_trip(dialect, project):
    before = catalog(dialect.engine)
    models = long_named_models()
    script = project.revision(models).read_text()
    assert "op.f(" in script
    project.upgrade()
    project.check(models)
    names = [name for _, name, _ in check_constraints(dialect.engine) if name]
    assert len(names) == 1 and names[0].startswith("ck_child_table_whose")
    if dialect.name == "postgresql":
        assert len(names[0].encode()) <= 63
    elif dialect.name == "mariadb":
        assert len(names[0]) <= 64
    project.downgrade("base")
    assert catalog(dialect.engine) == before


@pytest.mark.dialects("sqlite")
@pytest.mark.xfail(
    strict=True,
    reason="upstream: SQLite batch mode rebuilds a table from SQLAlchemy's reflection, which "
    "keeps a CHECK name's doubled quotes (say \"\"hi\"\") and reads ':x' in a CHECK's text "
    "as a bind parameter (NULL); the guard cannot reach that reflection",
)
def test_sqlite_batch_rebuild_keeps_quoted_check_names_and_colon_names(dialect, project):
    # the rename also changes the type: that needs the batch rebuild
    project.revision(_hostile_checks(1))
    project.upgrade()
    project.revision(_hostile_checks(2, sa.BigInteger))
    project.upgrade()
    project.check(_hostile_checks(2, sa.BigInteger))


def _hostile_checks(stage: int, type_: type[sa.types.TypeEngine] = sa.Integer) -> sa.MetaData:
    m = sa.MetaData()
    sa.Table(
        "t",
        m,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column(":x", sa.Integer),
        sa.Column("b" if stage == 1 else "b new", type_),
        sa.CheckConstraint(sa.column(":x") != 5, name='say "hi"'),
    )
    return m


@pytest.mark.dialects("sqlite")
def test_sqlite_plain_rename_beside_quoted_check_names_and_colon_names(dialect, project):
    """A plain rename needs no rebuild: SQLite's own RENAME COLUMN keeps such CHECKs."""
    project.revision(_hostile_checks(1))
    project.upgrade()
    before = snapshot.catalog(dialect.engine)
    project.revision(_hostile_checks(2))
    project.upgrade()
    project.check(_hostile_checks(2))
    project.downgrade("-1")
    assert snapshot.catalog(dialect.engine) == before


def test_preflight_counts_rows_behind_hostile_names(dialect, guarded_project):
    """The pre-flight's data checks quote names for ``text()``: ``%`` written once and
    ``:x`` not read as a bind parameter (else the count is silently lost)."""
    names = ("50%", ":x", 'say "hi"', "o'brien", "%(x)s")
    table = repr("%(x)s")
    columns = "".join(f", sa.Column({n!r}, sa.Integer)" for n in names)
    q = dialect.engine.dialect.identifier_preparer.quote  # doubles % for exec_driver_sql
    seed = f"INSERT INTO {q('%(x)s')} (id, {', '.join(map(q, names))}) VALUES (1, 1, 1, 1, 1, 1)"
    findings = preflight(
        guarded_project,
        "\n".join(f"op.drop_column({table}, {n!r})" for n in names)
        + f"\nop.alter_column({table}, {names[1]!r}, nullable=False, existing_type=sa.Integer())",
        setup=f"op.create_table({table}, sa.Column('id', sa.Integer, primary_key=True){columns})",
        seed=[seed],
    )
    drops = of(findings, "AG102")
    assert len(drops) == len(names)
    for finding in drops:
        assert "1 rows hold a value" in finding.message, finding.message
    assert "1 rows are NULL" not in of(findings, "AG204")[0].message
    assert "no row is NULL now" in of(findings, "AG204")[0].message


@pytest.mark.dialects("postgresql", "mariadb")
def test_canonicalizer_scratch_objects_take_hostile_column_names(dialect):
    """The scratch table and view are written through driver_sql, which doubles ``%``:
    the names in them must be quoted with ``%`` written once."""
    table = sa.Table(
        "t", sa.MetaData(), *(sa.Column(n, sa.Integer) for n in ("50%", ":x", 'say "hi"', "x"))
    )
    q = dialect.engine.dialect.identifier_preparer.quote
    with dialect.engine.begin() as connection:
        sa.MetaData().create_all(connection)
        table.create(connection)
        canonicalizer = canonicalizer_for(connection)
        sql = " AND ".join(f"{q(n).replace('%%', '%')} > 1" for n in ("50%", ":x", 'say "hi"'))
        [check] = canonicalizer.check_definitions([ScratchRequest(table, sql)])
        assert check is not None and "50%" in check and "50%%" not in check
        [view] = canonicalizer.view_definitions(
            [ViewRequest("50% view", None, f"SELECT {q('50%').replace('%%', '%')} FROM t")]
        )
        assert view is not None and "50%" in view.definition
