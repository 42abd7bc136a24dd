"""Run squawk (PyPI: squawk-cli) and the guard over the same migrations.

    pip install squawk-cli
    ALEMBIC_GUARD_PG=127.0.0.1:55432 python scripts/compare_squawk.py [--write]

For each case, a throwaway PostgreSQL database gets the setup revision (run for
real), then the case's revision is judged twice: by the guard's pre-flight
(online, read-only) and by squawk over ``alembic upgrade --sql`` output of the
same revision.  Prints, rule by rule, where both flag it and where only one
does; ``--write`` also puts the table into docs/rule-comparison.md.
"""

from __future__ import annotations

import io
import json
import os
import re
import subprocess
import sys
import tempfile
import uuid
from contextlib import redirect_stdout
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import sqlalchemy as sa  # noqa: E402
from alembic import command  # noqa: E402

import alembic_guard  # noqa: E402
from tests.helpers.project import AlembicProject  # noqa: E402

SETUP = (
    'op.create_table("owners", sa.Column("id", sa.Integer, primary_key=True))\n'
    'op.create_table("t", sa.Column("id", sa.Integer, primary_key=True), '
    'sa.Column("v", sa.Integer), sa.Column("s", sa.String(20)), sa.Column("owner_id", sa.Integer), '
    'sa.Column("doc", sa.JSON))\n'
    'op.create_index("ix_t_v", "t", ["v"])'
)

#: (case, the guard rule it exercises, the squawk rule that covers the same hazard or None, body)
CASES: list[tuple[str, str, str | None, str]] = [
    ("drop table", "AG101", "ban-drop-table", 'op.drop_table("t")'),
    ("drop column", "AG102", "ban-drop-column", 'op.drop_column("t", "v")'),
    (
        "drop view (raw SQL)",
        "AG103",
        "ban-drop-view",
        'op.execute("CREATE VIEW tv AS SELECT 1")\nop.execute("DROP VIEW tv")',
    ),
    ("delete without where", "AG104", None, 'op.execute("DELETE FROM t")'),
    ("truncate", "AG104", "ban-truncate-cascade", 'op.execute("TRUNCATE t CASCADE")'),
    (
        "change column type",
        "AG201",
        "changing-column-type",
        'op.alter_column("t", "v", type_=sa.BigInteger, existing_type=sa.Integer)',
    ),
    (
        "shrink varchar",
        "AG202",
        "changing-column-type",
        'op.alter_column("t", "s", type_=sa.String(10), existing_type=sa.String(20))',
    ),
    (
        "add NOT NULL column, no default",
        "AG203",
        "adding-required-field",
        'op.add_column("t", sa.Column("c", sa.Integer, nullable=False))',
    ),
    (
        "set NOT NULL",
        "AG204",
        "adding-not-nullable-field",
        'op.alter_column("t", "v", nullable=False, existing_type=sa.Integer)',
    ),
    (
        "volatile default",
        "AG205",
        "adding-field-with-default",
        'op.add_column("t", sa.Column("r", sa.Float, server_default=sa.text("random()")))',
    ),
    (
        "create index",
        "AG206",
        "require-concurrent-index-creation",
        'op.create_index("ix_t_s", "t", ["s"])',
    ),
    (
        "drop index",
        "AG207",
        "require-concurrent-index-deletion",
        'op.drop_index("ix_t_v", table_name="t")',
    ),
    (
        "concurrent index in a transaction",
        "AG208",
        "ban-concurrent-index-creation-in-transaction",
        'op.create_index("ix_t_s", "t", ["s"], postgresql_concurrently=True)',
    ),
    (
        "add foreign key",
        "AG209",
        "adding-foreign-key-constraint",
        'op.create_foreign_key("fk_t_owner", "t", "owners", ["owner_id"], ["id"])',
    ),
    (
        "add CHECK",
        "AG210",
        "constraint-missing-not-valid",
        'op.create_check_constraint("ck_t_v", "t", "v > 0")',
    ),
    (
        "add UNIQUE",
        "AG211",
        "disallowed-unique-constraint",
        'op.create_unique_constraint("uq_t_s", "t", ["s"])',
    ),
    (
        "backfill under lock",
        "AG213",
        None,
        'op.add_column("t", sa.Column("c", sa.Integer))\nop.execute("UPDATE t SET c = 0 WHERE c IS NULL")',
    ),
    ("rename table", "AG301", "renaming-table", 'op.rename_table("t", "t2")'),
    (
        "rename column",
        "AG302",
        "renaming-column",
        'op.alter_column("t", "s", new_column_name="s2", existing_type=sa.String(20))',
    ),
    ("json column", "AG303", None, 'op.add_column("t", sa.Column("j", sa.JSON))'),
    ("unparsable SQL", "AG401", "syntax-error", 'op.execute("ALTER TABEL t ADD x int")'),
    (
        "safe: concurrent index in autocommit block",
        "",
        None,
        'with op.get_context().autocommit_block():\n    op.create_index("ix_t_s", "t", ["s"], postgresql_concurrently=True)',
    ),
    ("safe: nullable column", "", None, 'op.add_column("t", sa.Column("c", sa.Integer))'),
]


#: squawk rules left out of "other rules" (see docs/rule-comparison.md): the guard sets
#: timeouts itself (statement_timeout deliberately off), and robust statements are style
IGNORED = {"require-timeout-settings", "require-statement-timeout", "prefer-robust-stmts"}
#: squawk's schema-style rules, which the guard leaves to a linter
STYLE = {
    "prefer-bigint-over-int",
    "prefer-text-field",
    "prefer-identity",
    "prefer-timestamptz",
    "ban-char-field",
}


def squawk_rules(sql: str) -> set[str]:
    with tempfile.NamedTemporaryFile("w", suffix=".sql", delete=False) as handle:
        handle.write(sql)
    result = subprocess.run(
        [str(Path(sys.executable).with_name("squawk")), handle.name, "--reporter", "json"],
        capture_output=True,
        text=True,
        check=False,
    )
    return {entry["rule_name"] for entry in json.loads(result.stdout or "[]")}


def run_case(pg: str, body: str) -> tuple[set[str], set[str]]:
    name = f"ag_squawk_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(
        f"postgresql+psycopg://postgres@{pg}/postgres", isolation_level="AUTOCOMMIT"
    )
    with admin.connect() as connection:
        connection.exec_driver_sql(f"CREATE DATABASE {name}")
    try:
        project = AlembicProject(
            Path(tempfile.mkdtemp()), f"postgresql+psycopg://postgres@{pg}/{name}"
        )
        project.write_revision("r1", None, SETUP)
        project.upgrade("r1")
        project.write_revision("r2", "r1", body)
        guard = {f.code for f in alembic_guard.check_upgrade(project.config(), "head")}
        buffer = io.StringIO()
        with redirect_stdout(buffer):
            command.upgrade(project.config(x=("guard.offline=comment",)), "r1:r2", sql=True)
        return guard, squawk_rules(buffer.getvalue())
    finally:
        with admin.connect() as connection:
            connection.exec_driver_sql(f"DROP DATABASE {name} WITH (FORCE)")


def main() -> int:
    pg = os.environ.get("ALEMBIC_GUARD_PG", "127.0.0.1:5432")
    rows = [
        "| case | guard rule | guard reports | squawk rule | squawk reports it | agree | other squawk rules |",
        "|---|---|---|---|---|---|---|",
    ]
    for case, code, twin, body in CASES:
        guard, squawk = run_case(pg, body)
        others = sorted(squawk - {twin} - IGNORED)
        if code:
            agree = (
                "n/a" if twin is None else ("yes" if (code in guard) == (twin in squawk) else "no")
            )
        else:  # a safe form: both should be quiet about hazards
            agree = "yes" if not guard and not (squawk - IGNORED - STYLE) else "no"
        rows.append(
            f"| {case} | {code or '(safe form)'} | {', '.join(sorted(guard)) or 'nothing'} "
            f"| {twin or '—'} | {('yes' if twin in squawk else 'no') if twin else '—'} | {agree} "
            f"| {', '.join(others) or '—'} |"
        )
    table = "\n".join(rows)
    print(table)
    if "--write" in sys.argv:
        page = ROOT / "docs" / "rule-comparison.md"
        region = re.compile(
            r"(<!-- squawk comparison -->\n).*?(<!-- end of squawk comparison -->)", re.S
        )
        page.write_text(
            region.sub(lambda m: m.group(1) + "\n" + table + "\n\n" + m.group(2), page.read_text())
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
