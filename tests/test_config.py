"""Settings: pyproject, alembic.ini, -x; bad input is one line, no traceback."""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

import pytest
from alembic.config import Config

from alembic_guard.config import GuardSettings, load_settings, setting_docs
from alembic_guard.errors import GuardConfigError
from tests.helpers.project import AlembicProject

REPO = Path(__file__).resolve().parents[1]


def config_at(tmp_path: Path, ini: str = "", pyproject: str | None = None) -> Config:
    (tmp_path / "alembic.ini").write_text("[alembic]\nscript_location = migrations\n" + ini)
    if pyproject is not None:
        (tmp_path / "pyproject.toml").write_text(pyproject)
    config = Config(str(tmp_path / "alembic.ini"))
    config.cmd_opts = argparse.Namespace(x=[])
    return config


def test_defaults(tmp_path):
    assert load_settings(config_at(tmp_path)) == GuardSettings()


def test_precedence_pyproject_then_ini_then_x(tmp_path):
    config = config_at(
        tmp_path,
        ini="[alembic_guard]\nmode = warn\n",
        pyproject="[tool.alembic_guard]\nmode = 'off'\nchecks = false\ncomments = false\n",
    )
    settings = load_settings(config, ["guard.comments=true"])
    assert settings.mode == "warn"  # ini beats pyproject
    assert settings.checks is False  # from pyproject
    assert settings.comments is True  # -x beats both


def test_guard_shorthand_sets_mode(tmp_path):
    assert load_settings(config_at(tmp_path), ["guard=warn"]).mode == "warn"


def test_unrelated_x_arguments_are_ignored(tmp_path):
    assert load_settings(config_at(tmp_path), ["dbname=foo", "guardian=1"]) == GuardSettings()


@pytest.mark.parametrize(
    "ini,pyproject,x,fragment",
    [
        (
            "[alembic_guard]\nnonsense = 1\n",
            None,
            [],
            "Unknown alembic_guard setting 'nonsense' in [alembic_guard] of",
        ),
        (
            "",
            "[tool.alembic_guard]\nmode = 'sometimes'\n",
            [],
            "Bad value 'sometimes' for alembic_guard setting 'mode'",
        ),
        ("", None, ["guard.checks=perhaps"], "'checks' in the -x arguments of this run"),
        ("", "[tool.alembic_guard\n", [], "Cannot read"),
    ],
)
def test_bad_settings_name_key_and_file(tmp_path, ini, pyproject, x, fragment):
    with pytest.raises(GuardConfigError) as error:
        load_settings(config_at(tmp_path, ini=ini, pyproject=pyproject), x)
    assert fragment in str(error.value)
    assert "\n" not in str(error.value)


def test_every_setting_is_documented_exactly():
    from alembic_guard.config import settings_table

    page = (REPO / "docs" / "configuration.md").read_text()
    for key, _, _ in setting_docs():
        assert f"`{key}`" in page, f"docs/configuration.md does not document {key}"
    assert settings_table() in page, "run `python -m tests.helpers.docs_tables`"


def test_bad_key_on_the_command_line_is_one_line_without_traceback(tmp_path):
    """The real `alembic` command: exit non-zero, one FAILED line naming key and file."""
    project = AlembicProject(
        tmp_path, f"sqlite:///{tmp_path / 'db.sqlite'}", ini_settings={"colour": "blue"}
    )
    result = subprocess.run(
        [sys.executable, "-m", "alembic", "-c", str(project.ini), "check"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=120,
    )
    output = result.stdout + result.stderr
    assert result.returncode != 0
    assert "Traceback" not in output
    failed = [line for line in output.splitlines() if line.startswith("FAILED:")]
    assert len(failed) == 1
    assert "'colour'" in failed[0] and str(project.ini) in failed[0]


def test_readme_documents_the_wiring_the_code_applies():
    from alembic_guard.cli import WIRING_LINES

    readme = (REPO / "README.md").read_text()
    assert WIRING_LINES in readme
    assert "bash scripts/test.sh" in readme.split("##")[0]
    assert "bash scripts/demo.sh" in readme.split("##")[0]
    assert "exec bash scripts/test.sh" in (REPO / ".ci" / "run").read_text()
