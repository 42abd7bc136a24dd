"""The ``alembic-guard`` command line."""

from __future__ import annotations

import argparse
import io
import json
import sys
import textwrap
from collections.abc import Sequence
from contextlib import redirect_stdout
from pathlib import Path
from typing import Any, NoReturn

import click
from alembic import command
from alembic.config import Config
from alembic.util import CommandError

#: the README's "Wire it into env.py" lines, placed right after `config = context.config`
WIRING_LINES = "import alembic_guard\nalembic_guard.configure(context)\n"
_ANCHOR = "config = context.config\n"

_INI_SECTION = """
[alembic_guard]
# alembic_guard settings; every key is documented in docs/configuration.md.
# They can also live in pyproject.toml under [tool.alembic_guard], and be
# overridden per run with `alembic -x guard.KEY=VALUE ...`.
# checks = true
# canonicalize = auto
# comments = true
# mode = block
"""


def wire_env_py(env_py: Path) -> bool:
    """Add the two wiring lines to an env.py written by ``alembic init``.

    Returns False when the file is wired already.
    """
    source = env_py.read_text(encoding="utf-8")
    if "alembic_guard.configure(context)" in source:
        return False
    if _ANCHOR not in source:
        raise CommandError(
            f"{env_py} has no line `config = context.config`; add these two lines after the "
            f"point where env.py reads its config:\n{WIRING_LINES}"
        )
    env_py.write_text(source.replace(_ANCHOR, _ANCHOR + WIRING_LINES, 1), encoding="utf-8")
    return True


@click.group()
@click.version_option(package_name="alembic_guard")
def main() -> None:
    """alembic_guard: safer Alembic autogenerate and upgrades."""


@main.command()
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
@click.option(
    "--config", "ini", default="alembic.ini", show_default=True, help="alembic.ini to write."
)
@click.option(
    "--template", default="generic", show_default=True, help="Alembic template to start from."
)
def init(directory: Path, ini: str, template: str) -> None:
    """Create an Alembic environment in DIRECTORY with alembic_guard wired into env.py."""
    config = Config(ini)
    try:
        with redirect_stdout(io.StringIO()):
            command.init(config, str(directory), template=template)
        wire_env_py(directory / "env.py")
    except CommandError as error:
        raise click.ClickException(str(error)) from None
    ini_path = Path(ini)
    if ini_path.is_file() and "[alembic_guard]" not in ini_path.read_text(encoding="utf-8"):
        with ini_path.open("a", encoding="utf-8") as handle:
            handle.write(_INI_SECTION)
    click.echo(f"Created {directory} with alembic_guard wired into {directory / 'env.py'}.")
    click.echo(f"Next: set sqlalchemy.url in {ini} and target_metadata in env.py.")


FORMATS = ("text", "json", "github", "sarif")


def _fail(message: str) -> NoReturn:
    """Usage and load errors: one paragraph on stderr, exit code 2."""
    click.echo(f"alembic-guard: error: {message}", err=True)
    sys.exit(2)


def _codes(values: Sequence[str]) -> list[str]:
    """``--select AG1,AG201 --select AG3`` -> ["AG1", "AG201", "AG3"]; checked against the rules."""
    from .safety.rules import all_rules

    known = [rule.code for rule in all_rules()]
    codes = [part.strip().upper() for value in values for part in value.split(",") if part.strip()]
    for code in codes:
        if not any(rule.startswith(code) for rule in known):
            _fail(f"{code} matches no rule; `alembic-guard rules` lists them")
    return codes


@main.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option(
    "-c",
    "--config",
    "ini",
    default="alembic.ini",
    show_default=True,
    help="alembic.ini of the project (its migrations, when no PATHS are given, and settings).",
)
@click.option(
    "--format",
    "output_format",
    type=click.Choice(FORMATS),
    default="text",
    show_default=True,
    help="text: path:line:col: CODE message; github: Actions annotations; sarif: SARIF 2.1.0.",
)
@click.option(
    "--dialect",
    help="Database the migrations target [default: from sqlalchemy.url, else postgresql].",
)
@click.option(
    "--select",
    multiple=True,
    help="Only these rule codes or prefixes (AG2 = all AG2xx); repeatable, comma-separated.",
)
@click.option("--ignore", multiple=True, help="Leave out these rule codes or prefixes.")
@click.option("--since", metavar="REVISION", help="Only revisions after REVISION.")
@click.option(
    "--changed-since",
    metavar="GIT_REF",
    help="Only migration files changed since the branch left GIT_REF (committed or not).",
)
def lint(
    paths: tuple[Path, ...],
    ini: str,
    output_format: str,
    dialect: str | None,
    select: tuple[str, ...],
    ignore: tuple[str, ...],
    since: str | None,
    changed_since: str | None,
) -> None:
    """Check migration scripts against the safety rules, without a database.

    PATHS are migration files or directories; without them, every migration of
    the Alembic project in --config.  Exit code: 0 clean, 1 findings, 2 usage or
    load error.
    """
    from . import __version__
    from .errors import GuardError
    from .lint import (
        LintUsageError,
        after_revision,
        column_of,
        dialect_of,
        files_from_paths,
        files_from_project,
        grandfathered,
        in_revision_order,
        project_settings,
        selected,
    )
    from .lint import (
        changed_since as changed_since_files,
    )
    from .lint import (
        lint as run_lint,
    )
    from .safety import report
    from .safety.preflight import rules_for

    selects, ignores = _codes(select), _codes(ignore)
    config = Config(ini) if Path(ini).is_file() else Config()
    if not paths and not Path(ini).is_file():
        _fail(f"no PATHS given and no {ini}: name the migration files or the project's alembic.ini")
    try:
        settings = project_settings(config)
        migrations = in_revision_order(
            files_from_paths(paths) if paths else files_from_project(config)
        )
        skipped = grandfathered(migrations, settings.start_after)
        if since:
            migrations = after_revision(migrations, since)
        migrations = [m for m in migrations if m.revision not in skipped]
        if changed_since:
            changed = changed_since_files(changed_since)
            migrations = [m for m in migrations if m.path in changed]
        target = dialect or dialect_of(config) or "postgresql"
        findings = selected(run_lint(migrations, target, settings), selects, ignores)
    except LintUsageError as error:
        _fail(str(error))
    except GuardError as error:
        _fail(str(error))
    columns = [column_of(f.path, f.line) for f in findings]
    if output_format == "json":
        click.echo(report.format_lint_json(findings, columns))
    elif output_format == "github":
        text = report.format_github(findings, columns)
        if text:
            click.echo(text)
    elif output_format == "sarif":
        from .safety.preflight import rule_dialect

        rules = rules_for(settings, rule_dialect(target))
        click.echo(report.format_sarif(findings, columns, rules, __version__))
    else:
        click.echo(report.format_lint_text(findings, columns))
    sys.exit(1 if any(f.allowed_reason is None for f in findings) else 0)


@main.command()
@click.option("--format", "output_format", type=click.Choice(("text", "json")), default="text")
def rules(output_format: str) -> None:
    """List the safety rules: code, name, severity, databases, summary."""
    from .safety.rules import all_rules

    if output_format == "json":
        click.echo(
            json.dumps(
                [
                    {
                        "code": r.code,
                        "name": r.name,
                        "severity": r.severity.value,
                        "dialects": sorted(r.dialects) or ["all"],
                        "summary": r.summary,
                    }
                    for r in all_rules()
                ],
                indent=2,
            )
        )
        return
    for rule in all_rules():
        dialects = ", ".join(sorted(rule.dialects)) or "all"
        click.echo(
            f"{rule.code}  {rule.name:<32} {rule.severity.value:<8} {dialects:<22} {rule.summary}"
        )


@main.command()
@click.argument("code")
def explain(code: str) -> None:
    """Explain one rule: why it exists, the safe way, an example."""
    from .safety.rules import all_rules

    rule = next((r for r in all_rules() if r.code == code.upper()), None)
    if rule is None:
        _fail(f"no rule {code}; `alembic-guard rules` lists them")
    dialects = ", ".join(sorted(rule.dialects)) or "every database"
    click.echo(f"{rule.code} {rule.name} ({rule.severity.value}; {dialects})\n")
    click.echo(f"{rule.summary}\n")
    click.echo(f"Why:\n{textwrap.indent(textwrap.fill(rule.why, 88), '    ')}\n")
    click.echo(f"Safe way:\n{textwrap.indent(textwrap.fill(rule.safe_alternative, 88), '    ')}\n")
    click.echo(f"Example:\n{textwrap.indent(rule.example, '    ')}")
    click.echo(f'\nAllow it once reviewed: with alembic_guard.allow("{rule.code}", reason="..."):')


def _masked(url: str) -> str:
    from sqlalchemy.engine import make_url

    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:
        return url


def _read_only_snapshot(url: str, schemas: Sequence[str], exclude: Sequence[str]) -> Any:
    """The schema behind ``url``, read inside a transaction that writes nothing and is
    rolled back (PostgreSQL: READ ONLY)."""
    from sqlalchemy import create_engine, pool

    from .dialects import database_for
    from .snapshot import take

    engine = create_engine(url, poolclass=pool.NullPool)
    try:
        with engine.connect() as connection:
            transaction = connection.begin()
            try:
                database_for(connection.dialect).begin_read_only(connection)
                return take(connection, list(schemas) or [None], exclude)
            finally:
                transaction.rollback()
    finally:
        engine.dispose()


@main.command()
@click.argument("url_a")
@click.argument("url_b", required=False)
@click.option(
    "--schema",
    "schemas",
    multiple=True,
    help="Schema to compare (repeatable) [default: the default schema].",
)
@click.option(
    "--exclude", multiple=True, help="Tables and views to leave out (glob patterns; repeatable)."
)
@click.option(
    "--format",
    "output_format",
    type=click.Choice(("text", "json")),
    default="text",
    show_default=True,
)
@click.option(
    "-c",
    "--config",
    "ini",
    default="alembic.ini",
    show_default=True,
    help="With one URL: the Alembic project whose models are compared.",
)
def diff(
    url_a: str,
    url_b: str | None,
    schemas: tuple[str, ...],
    exclude: tuple[str, ...],
    output_format: str,
    ini: str,
) -> None:
    """Compare two live databases (URL_A URL_B), or one database with the models of the
    Alembic project (URL_A alone).  Reads only.  Exit code: 0 same, 1 drift, 2 error."""
    if url_b is not None:
        try:
            a = _read_only_snapshot(url_a, schemas, exclude)
            b = _read_only_snapshot(url_b, schemas, exclude)
        except Exception as error:
            _fail(f"cannot read the schema: {type(error).__name__}: {str(error).splitlines()[0]}")
        from .snapshot import differences

        lines = differences(a, b, "A", "B")
        names = {"A": _masked(url_a), "B": _masked(url_b)}
    else:
        lines = _model_drift(url_a, ini, exclude)
        names = {"database": _masked(url_a), "models": ini}
    if output_format == "json":
        click.echo(json.dumps({**names, "drift": bool(lines), "differences": lines}, indent=2))
    elif lines:
        click.echo("\n".join(f"{key}: {value}" for key, value in names.items()))
        click.echo(f"{len(lines)} difference(s):")
        click.echo("\n".join(f"  {line}" for line in lines))
    else:
        click.echo("No differences.")
    sys.exit(1 if lines else 0)


def _model_drift(url: str, ini: str, exclude: Sequence[str]) -> list[str]:
    """``alembic check`` against ``url``: the models' differences, one line each."""
    from alembic.util import AutogenerateDiffsDetected

    from .drift import flat_lines, without_tables

    if not Path(ini).is_file():
        _fail(f"one URL compares with the models of an Alembic project, and there is no {ini}")
    config = Config(ini, stdout=io.StringIO())
    config.cmd_opts = argparse.Namespace(x=[])
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    config.attributes["sqlalchemy.url"] = url  # for an env.py that reads its URL elsewhere
    try:
        command.check(config)
    except AutogenerateDiffsDetected as drift:
        return flat_lines(without_tables(drift.diffs, exclude))
    except CommandError as error:
        _fail(str(error))
    except Exception as error:
        _fail(f"{type(error).__name__}: {str(error).splitlines()[0]}")
    return []


if __name__ == "__main__":
    main()
