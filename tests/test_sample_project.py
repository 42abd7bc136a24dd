"""The README's demo command runs and leaves the sample database at head."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import sqlalchemy as sa
from alembic.script import ScriptDirectory

REPO = Path(__file__).resolve().parents[1]


def test_demo_exits_zero_and_the_database_is_at_head():
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    result = subprocess.run(
        ["bash", str(REPO / "scripts" / "demo.sh")],
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
    )
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    head = ScriptDirectory(str(REPO / "sample_project" / "migrations")).get_current_head()
    engine = sa.create_engine(f"sqlite:///{REPO / 'sample_project' / 'shop.db'}")
    with engine.connect() as connection:
        assert (
            connection.exec_driver_sql("SELECT version_num FROM alembic_version").scalar() == head
        )
    engine.dispose()
    # the demo shows what the guard adds: a changed CHECK and a renamed column
    assert "CHECK ck_products_price_positive on products changed" in result.stdout
    assert "rename customers.phone -> phone_number" in result.stdout
    # and the upgrade guard: blocked, then allowed with a reason
    assert "FAILED: alembic_guard blocked this upgrade before anything ran" in result.stdout
    assert "AG102 drop-column [allowed: phone is unused since the demo release]" in result.stdout
