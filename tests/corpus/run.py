"""Run one corpus project's history on one database: guarded ``upgrade head`` on a fresh
database, ``alembic-guard lint`` of every revision, ``alembic check`` with stock Alembic and
with the guard on the same schema.  Each command is a process of its own, as a user runs it.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy.engine import make_url

from alembic_guard.cli import wire_env_py
from tests.corpus.projects import CorpusProject

REPO = Path(__file__).resolve().parents[2]

_INI = """\
[alembic]
script_location = {script_location}
sqlalchemy.url = {url}

[loggers]
keys = root,sqlalchemy,alembic

[handlers]
keys = console

[formatters]
keys = generic

[logger_root]
level = WARNING
handlers = console
qualname =

[logger_sqlalchemy]
level = WARNING
handlers =
qualname = sqlalchemy.engine

[logger_alembic]
level = INFO
handlers =
qualname = alembic

[handler_console]
class = StreamHandler
args = (sys.stderr,)
level = NOTSET
formatter = generic

[formatter_generic]
style = {{
format = {{levelname}} [{{name}}] {{message}}
"""


@dataclass(frozen=True)
class Outcome:
    exit_code: int
    output: str

    @property
    def findings(self) -> list[dict[str, Any]]:
        """The pre-flight's JSON report (``report = json``), or lint's; [] when none."""
        decoder = json.JSONDecoder()
        for start in (m.start() for m in re.finditer(r"^[\[{]", self.output, re.M)):
            try:
                report, _ = decoder.raw_decode(self.output[start:])
            except ValueError:
                continue
            found = report.get("findings") if isinstance(report, dict) else report
            if isinstance(found, list):
                return found
        return []

    @property
    def drift_items(self) -> list[str]:
        return re.findall(r"^corpus-drift-item: (.*)$", self.output, re.M)

    @property
    def drift(self) -> int | None:
        """Items ``alembic check`` reported (None: the check did not get that far)."""
        found = re.search(r"^corpus-drift: (\d+)$", self.output, re.M)
        return int(found.group(1)) if found else None

    @property
    def codes(self) -> Counter[str]:
        """Rule codes the guard reported, one per finding line."""
        return Counter(re.findall(r"^\s*(?:\S+:\d+:\s+)?(AG\d{3})\b", self.output, re.M))


class CorpusRun:
    def __init__(self, project: CorpusProject, dialect: str, url: str, root: Path) -> None:
        self.project, self.dialect, self.root = project, dialect, root
        if dialect in project.async_drivers:
            url = (
                make_url(url)
                .set(drivername=project.async_drivers[dialect])
                .render_as_string(hide_password=False)
            )
        self.url = url
        root.mkdir(parents=True, exist_ok=True)
        for flavour in ("guard", "stock"):
            target = root / f"migrations_{flavour}"
            shutil.copytree(
                project.migrations_dir(),
                target,
                ignore=shutil.ignore_patterns("__pycache__"),
                dirs_exist_ok=True,
            )
            env_py = target / "env.py"
            source = project.prelude + env_py.read_text()
            for old, new in project.env_edits:
                assert old in source, (project.name, old)
                source = source.replace(old, new)
            env_py.write_text(source)
            if flavour == "guard":
                wire_env_py(env_py)
            ini = _INI.format(script_location=target, url=url.replace("%", "%%"))
            if flavour == "guard":
                # the findings as JSON on stdout, for counting; the same findings as text
                ini += "\n[alembic_guard]\nreport = json\n"
            (root / f"{flavour}.ini").write_text(ini)

    def environment(self) -> dict[str, str]:
        env = dict(os.environ)
        env["PYTHONPATH"] = str(REPO) + os.pathsep + env.get("PYTHONPATH", "")
        env["PREFECT_HOME"] = str(self.root / "prefect_home")
        for key, value in self.project.environment.items():
            env[key] = value.format(url=self.url)
        return env

    def alembic(self, flavour: str, *args: str, build: str = "") -> Outcome:
        command = [sys.executable, "-m", "tests.corpus.drive"]
        if self.project.wants_connection:
            command.append("--connection")
        if self.project.application:
            command += ["--application", self.project.application]
        if build:
            command += ["--build", build]
        command += ["-c", str(self.root / f"{flavour}.ini"), *args]
        return self._run(command)

    def lint(self) -> Outcome:
        versions = self.root / "migrations_guard" / self.project.versions_dir(self.dialect)
        command = [
            sys.executable,
            "-m",
            "alembic_guard.cli",
            "lint",
            "-c",
            str(self.root / "guard.ini"),
            "--format",
            "json",
            str(versions),
        ]
        return self._run(command)

    def _run(self, command: list[str]) -> Outcome:
        done = subprocess.run(
            command,
            cwd=self.root,
            env=self.environment(),
            capture_output=True,
            text=True,
            timeout=900,
        )
        return Outcome(done.returncode, done.stdout + done.stderr)


@dataclass
class Measurement:
    """One project's history on one database, as docs/real-histories.md tabulates it."""

    project: str
    database: str
    revisions: int
    #: "head", "blocked", or "fails" (the history itself fails on this database)
    upgrade: str
    #: rule codes of the findings that blocked the default upgrade, with counts
    blocked_by: Counter[str]
    #: revisions the pre-flight could not record to the end (AG001)
    not_recordable: list[str]
    #: findings warn mode reported for the whole history
    warn_findings: Counter[str]
    lint_exit: int
    lint_findings: Counter[str]
    stock_drift: int | None
    guard_drift: int | None
    stock_items: list[str]
    guard_items: list[str]
    outputs: dict[str, str]


def _codes(findings: list[dict[str, Any]], *, blocking: bool = False) -> Counter[str]:
    return Counter(str(f["code"]) for f in findings if f.get("blocks") or not blocking)


def measure(run: CorpusRun) -> Measurement:
    project = run.project
    outputs: dict[str, str] = {}
    if project.build_before_upgrade:
        built = run.alembic("stock", "current", build=project.build_before_upgrade)
        assert built.exit_code == 0, built.output
    default = run.alembic("guard", "upgrade", "head")
    outputs["upgrade"] = default.output
    findings = default.findings
    blocked = default.exit_code != 0 and any(f.get("blocks") for f in findings)
    warn = run.alembic("guard", "-x", "guard=warn", "upgrade", "head") if blocked else default
    outputs["warn"] = warn.output
    warn_findings = warn.findings if blocked else findings
    upgrade = "blocked" if blocked else ("head" if default.exit_code == 0 else "fails")
    if warn.exit_code != 0:
        upgrade = "fails" if not blocked else "blocked, then fails"
    lint = run.lint()
    outputs["lint"] = lint.output
    if project.build_for_check:
        built = run.alembic("stock", "current", build=project.build_for_check)
        assert built.exit_code == 0, built.output
    stock = run.alembic("stock", "check")
    guard = run.alembic("guard", "check")
    outputs["stock check"], outputs["guard check"] = stock.output, guard.output
    versions = run.root / "migrations_guard" / project.versions_dir(run.dialect)
    return Measurement(
        project=project.name,
        database=run.dialect,
        revisions=sum(1 for p in versions.glob("*.py") if p.name != "__init__.py"),
        upgrade=upgrade,
        blocked_by=_codes(findings, blocking=True) if blocked else Counter(),
        not_recordable=sorted({str(f["revision"]) for f in warn_findings if f["code"] == "AG001"}),
        warn_findings=_codes(warn_findings),
        lint_exit=lint.exit_code,
        lint_findings=_codes(lint.findings),
        stock_drift=stock.drift,
        guard_drift=guard.drift,
        stock_items=sorted(stock.drift_items),
        guard_items=sorted(guard.drift_items),
        outputs=outputs,
    )


def as_record(measured: Measurement) -> dict[str, Any]:
    """The measurement as plain JSON-able values, without the outputs.

    (dataclasses.asdict rebuilds each Counter from its items, which counts the pairs.)
    """
    record = {k: (dict(v) if isinstance(v, Counter) else v) for k, v in vars(measured).items()}
    record.pop("outputs")
    return record
