"""env.py integration: ``alembic_guard.configure(context)``.

Called once in env.py, right after ``config = context.config``.  It wraps
the two methods of the running :class:`EnvironmentContext` that env.py
calls later, on that instance only:

* ``configure(...)`` gains the guard's autogenerate plugins, a chained
  ``process_revision_directives`` hook that writes the guard's comments,
  and batch rendering on SQLite (unless env.py chose otherwise);
* ``run_migrations()`` runs the pre-flight first when the command is an
  upgrade, so a blocked upgrade stops before Alembic creates or touches
  anything, the version table included.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from contextlib import suppress
from dataclasses import dataclass
from typing import Any

from alembic.config import Config
from alembic.operations import ops
from alembic.runtime.environment import EnvironmentContext
from alembic.runtime.migration import MigrationContext
from alembic.util import CommandError
from sqlalchemy import text
from sqlalchemy.engine import make_url

from . import plugin
from .config import GuardSettings, load_settings
from .drift import readable_diffs
from .errors import GuardWiringError, PreflightError, UpgradeBlocked
from .lost_connection import reported
from .messages import notice
from .ops.notes import add_note, place_notes, remove_notes
from .safety.context import RuleContext
from .safety.preflight import evaluate_records, preflight_steps, rule_dialect, rules_for
from .safety.recording import RecordedOp
from .safety.report import format_json, format_text
from .safety.rules import Finding
from .scripts_loading import heads_error, load_revisions

SETTINGS_OPTION = "alembic_guard_settings"
#: config.attributes key: run the pre-flight, store findings there, run nothing
PREFLIGHT_ONLY = "alembic_guard.preflight_only"
FINDINGS = "alembic_guard.findings"
_BYNAME_PLUGINS = (
    "alembic.ext.checkconstraint_byname",
    "alembic.autogenerate.checkconstraint_byname",
)

#: plugin name -> setting that turns it on
FEATURE_SETTINGS = {
    "alembic_guard.checks": "checks",
    "alembic_guard.renames": "renames",
    "alembic_guard.views": "views",
    "alembic_guard.bulk_reflection": "bulk_reflection",
}


@dataclass
class GuardedEnvironment:
    """What :func:`configure` installed on one EnvironmentContext."""

    environment: EnvironmentContext
    settings: GuardSettings


def settings_of(context: MigrationContext) -> GuardSettings:
    """The settings of a run; defaults when env.py enabled plugins without wiring."""
    value = context.opts.get(SETTINGS_OPTION)
    return value if isinstance(value, GuardSettings) else GuardSettings()


def _environment_of(context: Any) -> EnvironmentContext:
    if isinstance(context, EnvironmentContext):
        return context
    environment = getattr(context, "_proxy", None)
    if isinstance(environment, EnvironmentContext):
        return environment
    raise GuardWiringError(
        "alembic_guard.configure(context) must be called from env.py while an alembic "
        "command runs, with `from alembic import context` as its argument."
    )


def autogenerate_plugins(
    requested: Sequence[str] | None, settings: GuardSettings, config: Config | None = None
) -> list[str]:
    """The plugin list for ``context.configure``: the user's, plus each enabled guard feature."""
    plugin.ensure_registered()
    enabled = [
        name
        for name, key in FEATURE_SETTINGS.items()
        if getattr(settings, key) and name in plugin.COMPARATORS
    ]
    names = list(requested) if requested is not None else ["alembic.autogenerate.*"]
    mentions_guard = any(n.lstrip("~").startswith("alembic_guard") for n in names)
    if not mentions_guard:
        names.extend(enabled)
    else:
        names.extend(f"~{name}" for name in FEATURE_SETTINGS if name not in enabled)
    if settings.checks and any(n in _BYNAME_PLUGINS for n in names):
        notice(
            config,
            "leaving out alembic.ext.checkconstraint_byname because alembic_guard.checks "
            "compares CHECK constraints already (set guard.checks=false to use Alembic's "
            "plugin instead).",
        )
        names = [n for n in names if n not in _BYNAME_PLUGINS]
    return names


def _dialect_name(kw: dict[str, Any]) -> str | None:
    connection = kw.get("connection")
    if connection is not None:
        return str(connection.dialect.name)
    if kw.get("url") is not None:
        return make_url(kw["url"]).get_backend_name()
    name = kw.get("dialect_name")
    return str(name) if name else None


def _flatten(container: ops.OpContainer) -> list[ops.MigrateOperation]:
    flat: list[ops.MigrateOperation] = []
    for op in container.ops:
        if isinstance(op, ops.OpContainer):
            flat.extend(_flatten(op))
        else:
            flat.append(op)
    return flat


def annotate_unsafe(
    upgrade_ops: ops.UpgradeOps, dialect: str, settings: GuardSettings | None = None
) -> list[Finding]:
    """Attach a warning note to each autogenerated operation a safety rule flags."""
    settings = settings or GuardSettings()
    records = [RecordedOp(op=op, revision="(new)", path="", line=0) for op in _flatten(upgrade_ops)]
    dialect = rule_dialect(dialect)
    findings = evaluate_records(
        records,
        RuleContext(dialect=dialect, lock_timeout_set=settings.lock_timeout != "0"),
        rules_for(settings, dialect),
    )
    for record, finding in findings:
        add_note(
            record.op,
            f"WARNING {finding.code} {finding.name}: {finding.message} "
            f"Safe way: {finding.safe_alternative}",
        )
    return [finding for _, finding in findings]


def _summarize_drift(upgrade_ops: ops.UpgradeOps) -> None:
    """``alembic check``: Alembic's failure message lists one readable line per difference
    instead of raw tuples (the diffs stay tuples for code that reads them)."""
    original = upgrade_ops.as_diffs
    upgrade_ops.as_diffs = lambda: readable_diffs(original())  # type: ignore[method-assign]


def _revision_hook(
    user_hook: Callable[..., None] | None,
    settings: GuardSettings,
    dialect: str | None,
    check: bool = False,
) -> Callable[..., None]:
    def process_revision_directives(
        context: MigrationContext, revision: Any, directives: list[Any]
    ) -> None:
        if user_hook is not None:
            user_hook(context, revision, directives)
        for script in directives:
            if not isinstance(script, ops.MigrationScript):
                continue
            for upgrade_ops in script.upgrade_ops_list:
                remove_notes(upgrade_ops)
                if settings.comments:
                    annotate_unsafe(upgrade_ops, dialect or context.dialect.name, settings)
                    place_notes(upgrade_ops)
            for downgrade_ops in script.downgrade_ops_list:
                remove_notes(downgrade_ops)
                if settings.comments:
                    place_notes(downgrade_ops)
            if check:
                for upgrade_ops in script.upgrade_ops_list:
                    _summarize_drift(upgrade_ops)

    return process_revision_directives


def guard_options(
    kw: dict[str, Any],
    settings: GuardSettings,
    config: Config | None = None,
    *,
    check: bool = False,
) -> dict[str, Any]:
    """``context.configure`` keyword arguments with the guard's added."""
    options = dict(kw)
    dialect = _dialect_name(options)
    options["autogenerate_plugins"] = autogenerate_plugins(
        options.get("autogenerate_plugins"), settings, config
    )
    if dialect == "sqlite":
        # SQLite cannot ALTER constraints or columns; batch mode recreates the table
        options.setdefault("render_as_batch", True)
    options["process_revision_directives"] = _revision_hook(
        options.get("process_revision_directives"),
        settings,
        dialect,
        check,
    )
    options[SETTINGS_OPTION] = settings
    return options


def _is_command(environment: EnvironmentContext, name: str) -> bool:
    """Whether env.py runs for ``alembic.command.<name>`` (its inner function is ``fn``)."""
    fn = environment.context_opts.get("fn")
    return bool(
        fn is not None
        and getattr(fn, "__module__", "") == "alembic.command"
        and getattr(fn, "__qualname__", "").startswith(f"{name}.")
    )


def _is_upgrade(environment: EnvironmentContext) -> bool:
    return _is_command(environment, "upgrade")


def _compares(environment: EnvironmentContext) -> bool:
    """``alembic check`` / ``revision --autogenerate``: the run only reads the database."""
    return _is_command(environment, "check") or _is_command(environment, "revision")


def _run_preflight(
    environment: EnvironmentContext, settings: GuardSettings, arguments: dict[str, Any]
) -> None:
    context = environment.get_context()
    config = environment.config
    fn = environment.context_opts["fn"]
    steps = list(fn(context.get_current_heads(), context))
    try:
        findings = preflight_steps(steps, context, settings, arguments)
    except PreflightError as error:
        if settings.mode == "warn" and not config.attributes.get(PREFLIGHT_ONLY):
            notice(config, f"WARN mode: {error} The upgrade goes on unchecked.")
            return
        raise
    config.attributes[FINDINGS] = findings
    if config.attributes.get(PREFLIGHT_ONLY):
        return
    blocking = [finding for finding in findings if finding.blocks]
    if context.as_sql and settings.offline == "comment":
        for line in format_text(findings, blocked=False).splitlines() if findings else ():
            context.impl.static_output(f"-- alembic_guard: {line}".rstrip())
        return
    block = bool(blocking) and settings.mode == "block"
    if settings.report == "json":
        config.print_stdout(format_json(findings, blocked=block))
        if block:
            raise UpgradeBlocked(
                f"alembic_guard blocked this upgrade before anything ran: {len(blocking)} "
                f"unsafe operation(s); the findings are above, as JSON.",
                findings,
            )
        return
    if block:
        raise UpgradeBlocked(format_text(findings, blocked=True), findings)
    if findings:
        banner = (
            "\n*** alembic_guard is in WARN mode: unsafe operations below will run ***\n"
            if blocking
            else ""
        )
        config.print_stdout(banner + format_text(findings, blocked=False))


def _set_timeouts(environment: EnvironmentContext, settings: GuardSettings) -> dict[str, str]:
    """PostgreSQL: lock_timeout / statement_timeout for the migrations; returns the values
    they replaced (online), so the session can be given back as it was."""
    context = environment.get_context()
    if context.dialect.name != "postgresql":
        return {}
    replaced: dict[str, str] = {}
    for name in ("lock_timeout", "statement_timeout"):
        value = getattr(settings, name)
        if value == "0":
            continue
        if not context.as_sql and context.connection is not None:
            replaced[name] = str(context.connection.exec_driver_sql(f"SHOW {name}").scalar())
        # validated by the settings parser: digits and a unit only
        context.execute(f"SET {name} = '{value}'")
    return replaced


def _restore_timeouts(environment: EnvironmentContext, replaced: dict[str, str]) -> None:
    connection = environment.get_context().connection
    if not replaced or connection is None or connection.closed or connection.invalidated:
        return
    for name, value in replaced.items():
        # bound through SQLAlchemy: every driver's placeholder style (asyncpg's $1 too)
        connection.execute(
            text("SELECT set_config(:name, :value, false)"), {"name": name, "value": value}
        )


def configure(context: Any) -> GuardedEnvironment:
    """Wire the guard into the running env.py.  Call it once, after ``config = context.config``.

    Calling it again in the same run returns the existing wiring.
    """
    environment = _environment_of(context)
    existing = environment.__dict__.get("_alembic_guard")
    if isinstance(existing, GuardedEnvironment):
        return existing
    settings = load_settings(environment.config, environment.get_x_argument(as_dictionary=False))
    plugin.ensure_registered()
    guarded = GuardedEnvironment(environment, settings)

    original_configure = environment.configure
    original_run = environment.run_migrations

    def configure_with_guard(*args: Any, **kw: Any) -> None:
        options = guard_options(
            kw, settings, environment.config, check=_is_command(environment, "check")
        )
        original_configure(*args, **options)

    def run_migrations_with_guard(**kw: Any) -> None:
        # a migration that fails to import is named here, before Alembic's traceback would
        # be; not earlier in configure(): env.py's own setup (sys.path, app settings) that
        # the migrations may need runs between the two
        load_revisions(environment.script)
        try:
            guarded_run(**kw)
        except CommandError as error:
            # Alembic's "multiple heads" / "not up to date", with the heads and their files
            named = heads_error(environment.script, error)
            if named is None:
                raise
            raise named from None

    def guarded_run(**kw: Any) -> None:
        connection = environment.get_context().connection
        upgrade = _is_upgrade(environment)
        preflight_only = bool(environment.config.attributes.get(PREFLIGHT_ONLY))
        if upgrade and (preflight_only or settings.mode != "off"):
            with reported(
                "running the upgrade pre-flight (reading the database before any migration runs)",
                "nothing was applied",
                connection,
            ):
                _run_preflight(environment, settings, kw)
            if preflight_only:
                # check_upgrade(): judge, never run
                return
        replaced: dict[str, str] = {}
        if upgrade:
            with reported(
                "setting lock_timeout before the migrations", "nothing was applied", connection
            ):
                replaced = _set_timeouts(environment, settings)
        if upgrade or not _compares(environment):
            # a migration's own SQL failing is Alembic's to report
            try:
                original_run(**kw)
            except BaseException:
                # a failed PostgreSQL transaction refuses every statement until its rollback
                # (which reverts the SETs too): restoring must not hide the migration's error
                with suppress(Exception):
                    _restore_timeouts(environment, replaced)
                raise
            with reported(
                "giving lock_timeout back after the migrations",
                "the migrations ran, but their transaction may not have been committed; "
                "`alembic current` shows where the database is",
                connection,
            ):
                _restore_timeouts(environment, replaced)
            return
        with reported("comparing the database with the models", "nothing was written", connection):
            original_run(**kw)

    environment.configure = configure_with_guard  # type: ignore[method-assign]
    environment.run_migrations = run_migrations_with_guard  # type: ignore[method-assign]
    environment.__dict__["_alembic_guard"] = guarded
    return guarded


def check_upgrade(config: Any, revision: str = "head") -> list[Finding]:
    """Pre-flight ``alembic upgrade <revision>`` without running it; return the findings.

    The project's env.py must be wired with :func:`configure`.
    """
    from alembic import command

    config.attributes[PREFLIGHT_ONLY] = True
    config.attributes.pop(FINDINGS, None)
    try:
        command.upgrade(config, revision)
    finally:
        config.attributes.pop(PREFLIGHT_ONLY, None)
    if FINDINGS not in config.attributes:
        raise GuardWiringError(
            "check_upgrade() found no alembic_guard wiring in env.py: add "
            "`alembic_guard.configure(context)` after `config = context.config`."
        )
    findings: list[Finding] = config.attributes.pop(FINDINGS)
    return findings
