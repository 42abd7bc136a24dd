"""The operations the guard writes at the seams are judged by the upgrade pre-flight
like any other: recorded (never AG001), never taken for raw DDL (AG401, AG402), and
flagged only by the rules that name their real hazard.  They are: a view dropped and
created with its readers (``ViewStepsOp``), SQLite's native column renames
(``NativeColumnRenamesOps``), and MariaDB's ``DROP INDEX IF EXISTS`` of the index a
new one takes over from a foreign key (``DropIndexExactlyOp``)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
import sqlalchemy as sa

import alembic_guard
from tests.helpers.project import AlembicProject
from tests.seams.test_found_by_evolution import _seed as _seed_shop
from tests.seams.test_found_by_evolution import _shop
from tests.seams.test_renames_and_keys import _fees
from tests.seams.test_view_seams import _seed as _seed_vendors
from tests.seams.test_view_seams import _with_reader

#: what says the guard could not read its own operation
NOT_UNDERSTOOD = {"AG001", "AG401", "AG402"}


def _codes(
    dialect,
    project: AlembicProject,
    before: sa.MetaData,
    after: sa.MetaData,
    seed: Callable[[sa.Connection], None],
) -> tuple[set[str], str]:
    project.revision(before, "before")
    project.upgrade(metadata=before)
    with dialect.engine.begin() as connection:
        seed(connection)
    script = project.revision(after, "after").read_text()
    findings = alembic_guard.check_upgrade(project.config(), "head")
    return {f.code for f in findings}, script


@pytest.mark.dialects("postgresql")
def test_a_view_rebuilt_with_its_readers(dialect, project):
    # a column taken away: CREATE OR REPLACE cannot, so the view and its reader go and
    # come back
    codes, script = _codes(
        dialect, project, _with_reader("id, name, city"), _with_reader("id, name"), _seed_vendors
    )
    assert "drop_view('v_reader')" in script.split("def downgrade")[0], script
    assert not codes & NOT_UNDERSTOOD, codes
    assert codes == set(), codes


def test_native_column_renames(dialect, project):
    codes, script = _codes(
        dialect,
        project,
        _fees("fee"),
        _fees("cost", hint=True),
        lambda c: c.exec_driver_sql("INSERT INTO charges (id, fee, note) VALUES (1, 3, 'x')"),
    )
    assert not codes & NOT_UNDERSTOOD, codes
    assert codes == {"AG302"}, (codes, script)


def test_an_index_taking_over_a_foreign_keys_index(dialect, project):
    codes, script = _codes(dialect, project, _shop(), _shop(index="index"), _seed_shop)
    if dialect.name == "mariadb":
        assert "if_exists=True" in script, script
    assert not codes & NOT_UNDERSTOOD, codes
    # PostgreSQL: the new index is built without CONCURRENTLY, a real hazard; MariaDB builds
    # it in place without a lock, and drops the one it made as it goes
    assert codes == ({"AG206"} if dialect.name == "postgresql" else set()), codes
