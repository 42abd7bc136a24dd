"""``alembic-guard lint``: the safety rules over migration scripts, without a database.

Each script's ``upgrade()`` is recorded exactly as the upgrade pre-flight
records it (nothing executes, no connection is opened) in revision order, and
judged by the same rules.  Rules that would read the database (row counts,
the server's version) answer as they do offline: from the operations alone.
"""

from __future__ import annotations

import io
import subprocess
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from graphlib import CycleError, TopologicalSorter
from pathlib import Path
from types import ModuleType

from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.util import CommandError
from alembic.util.pyfiles import load_python_file

from .config import GuardSettings, load_settings
from .dialects import database_named
from .errors import GuardError, MigrationScriptError, PreflightError
from .safety.allowing import revision_allowances
from .safety.context import RuleContext
from .safety.pending import PendingSchema
from .safety.preflight import evaluate_records, rule_dialect, rules_for
from .safety.recording import record_upgrade
from .safety.rules import Finding
from .scripts_loading import describe_load_error, forked_heads, heads_message, load_revisions


class LintUsageError(GuardError):
    """Bad arguments, or a migration that cannot be loaded: exit code 2."""


@dataclass(frozen=True)
class MigrationFile:
    """What the recorder needs of a revision: its id, file and module."""

    revision: str
    down_revisions: tuple[str, ...]
    path: str
    module: ModuleType


def _load(path: Path) -> ModuleType:
    try:
        return load_python_file(str(path.parent), path.name)
    except Exception as error:  # SyntaxError, ImportError, anything raised at import
        raise LintUsageError(describe_load_error(error, [path.parent])) from None


def _as_migration(path: Path, module: ModuleType) -> MigrationFile | None:
    revision = getattr(module, "revision", None)
    if not isinstance(revision, str) or not callable(getattr(module, "upgrade", None)):
        return None
    down = getattr(module, "down_revision", None)
    downs = (down,) if isinstance(down, str) else tuple(down or ())
    return MigrationFile(revision, downs, str(path.resolve()), module)


def files_from_paths(paths: Sequence[Path]) -> list[MigrationFile]:
    """Migrations in the given files and directories (other Python files are skipped)."""
    found: list[MigrationFile] = []
    for path in paths:
        if not path.exists():
            raise LintUsageError(f"{path}: no such file or directory")
        candidates = (
            sorted(p for p in path.rglob("*.py") if p.name not in ("env.py", "__init__.py"))
            if path.is_dir()
            else [path]
        )
        for candidate in candidates:
            migration = _as_migration(candidate, _load(candidate))
            if migration is not None:
                found.append(migration)
            elif not path.is_dir():
                raise LintUsageError(
                    f"{candidate}: not an Alembic migration (no `revision` and `upgrade()`)"
                )
    return found


def files_from_project(config: Config) -> list[MigrationFile]:
    try:
        script = ScriptDirectory.from_config(config)
    except CommandError as error:
        raise LintUsageError(f"cannot read the Alembic project: {error}") from None
    try:
        load_revisions(script)
        revisions = list(script.walk_revisions())
    except MigrationScriptError as error:
        raise LintUsageError(str(error)) from None
    except CommandError as error:
        raise LintUsageError(f"cannot read the Alembic project: {error}") from None
    if forked_heads(script):
        # `alembic upgrade head` would refuse this history; say so before a deploy does
        # (labelled branches are intended, and linted)
        raise LintUsageError(heads_message(script))
    return [
        MigrationFile(r.revision, tuple(r._normalized_down_revisions), r.path, r.module)
        for r in revisions
    ]


def in_revision_order(migrations: Iterable[MigrationFile]) -> list[MigrationFile]:
    """Oldest first, so that a later revision knows the tables an earlier one created."""
    by_revision: dict[str, MigrationFile] = {}
    for migration in migrations:
        if migration.revision in by_revision:
            raise LintUsageError(
                f"revision {migration.revision} is defined twice: "
                f"{by_revision[migration.revision].path} and {migration.path}"
            )
        by_revision[migration.revision] = migration
    graph = {
        revision: [d for d in m.down_revisions if d in by_revision]
        for revision, m in by_revision.items()
    }
    try:
        order = list(TopologicalSorter(graph).static_order())
    except CycleError as error:
        raise LintUsageError(f"the revisions form a cycle: {error.args[1]}") from None
    return [by_revision[revision] for revision in order]


def after_revision(migrations: Sequence[MigrationFile], since: str) -> list[MigrationFile]:
    """Only the revisions that descend from ``since`` (``since`` itself excluded)."""
    by_revision = {m.revision: m for m in migrations}
    matches = [r for r in by_revision if r.startswith(since)]
    if len(matches) != 1:
        raise LintUsageError(
            f"--since {since}: "
            + ("no such revision" if not matches else f"ambiguous ({', '.join(sorted(matches))})")
        )
    ancestors: set[str] = set()
    pending = [matches[0]]
    while pending:
        revision = pending.pop()
        if revision in ancestors or revision not in by_revision:
            continue
        ancestors.add(revision)
        pending.extend(by_revision[revision].down_revisions)
    return [m for m in migrations if m.revision not in ancestors]


def changed_since(ref: str, cwd: Path | None = None) -> set[str]:
    """Absolute paths of files changed on this branch since it left ``ref`` (committed or
    not), and new untracked files."""

    def git(*args: str) -> str:
        result = subprocess.run(
            ["git", *args], cwd=cwd, capture_output=True, text=True, check=False
        )
        if result.returncode != 0:
            raise LintUsageError(
                f"--changed-since {ref}: git {' '.join(args)} failed: "
                f"{result.stderr.strip() or result.stdout.strip()}"
            )
        return result.stdout

    top = Path(git("rev-parse", "--show-toplevel").strip())
    base = git("merge-base", ref, "HEAD").strip()
    names = git("diff", "--name-only", "--diff-filter=ACMR", base).splitlines()
    names += git("ls-files", "--others", "--exclude-standard").splitlines()
    return {str((top / name).resolve()) for name in names if name}


#: what an AG001 finding says when a revision linted without a database reads one
NO_DATABASE_LINT = (
    "lint has no database to answer it (it judges the operations recorded up to there; "
    "the upgrade pre-flight, which reads the database, judges the whole revision)"
)


def _lint_context(dialect: str) -> MigrationContext:
    """An online migration context with no connection: a migration that refuses to run
    offline (``if context.is_offline_mode(): raise``) is recorded as online, and the
    first read of the database is where its recording ends."""
    return MigrationContext.configure(dialect_name=dialect, opts={"output_buffer": io.StringIO()})


def lint(
    migrations: Sequence[MigrationFile],
    dialect: str,
    settings: GuardSettings | None = None,
) -> list[Finding]:
    """Record and judge ``migrations`` for ``dialect``; nothing executes.

    Each revision is judged on its own, as squawk and strong_migrations judge
    a file: a table created by an earlier revision has long been deployed when
    a later one alters it, so only a table created in the same revision counts
    as new (the upgrade pre-flight, which knows what is pending, judges the
    pending set together).
    """
    settings = settings or GuardSettings()
    context = _lint_context(dialect)
    findings: list[Finding] = []
    # inspection answers as a fresh database upgraded through the history so far would
    pending = PendingSchema(context.dialect.default_schema_name)
    for migration in migrations:
        allowed = revision_allowances(migration.module, migration.revision, migration.path)
        try:
            records = record_upgrade(
                migration, context, allowed, pending=pending, without_database=NO_DATABASE_LINT
            )
        except PreflightError as error:
            raise LintUsageError(str(error)) from None
        rule_context = RuleContext(
            dialect=rule_dialect(dialect),
            # the guard sets lock_timeout itself when it runs the upgrade
            lock_timeout_set=database_named(dialect).session_timeouts
            and settings.lock_timeout != "0",
            default_schema=context.dialect.default_schema_name,
        )
        findings.extend(
            finding
            for _, finding in evaluate_records(
                records, rule_context, rules_for(settings, rule_context.dialect)
            )
        )
    return findings


def selected(
    findings: Iterable[Finding], select: Sequence[str], ignore: Sequence[str]
) -> list[Finding]:
    """``--select`` / ``--ignore``: codes or code prefixes (``AG2`` is every lock rule)."""

    def matches(code: str, patterns: Sequence[str]) -> bool:
        return any(code.upper().startswith(p.upper()) for p in patterns)

    return [
        f
        for f in findings
        if (not select or matches(f.code, select)) and not matches(f.code, ignore)
    ]


def project_settings(config: Config, x_arguments: Sequence[str] = ()) -> GuardSettings:
    return load_settings(config, list(x_arguments))


def dialect_of(config: Config) -> str | None:
    from sqlalchemy.engine import make_url

    url = config.get_main_option("sqlalchemy.url") if config.config_file_name else None
    if not url:
        return None
    try:
        return make_url(url).get_backend_name()
    except Exception:
        return None


def column_of(path: str, line: int) -> int:
    """The 1-based column where the statement on ``line`` starts."""
    try:
        text = Path(path).read_text(encoding="utf-8").splitlines()[line - 1]
    except (OSError, IndexError, UnicodeDecodeError):
        return 1
    return len(text) - len(text.lstrip()) + 1


def grandfathered(migrations: Sequence[MigrationFile], start_after: str) -> set[str]:
    if not start_after:
        return set()
    kept = {m.revision for m in after_revision(migrations, start_after)}
    return {m.revision for m in migrations} - kept
