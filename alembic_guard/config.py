"""Settings: ``[tool.alembic_guard]`` in pyproject.toml, ``[alembic_guard]`` in
alembic.ini, then ``alembic -x guard.KEY=VALUE`` per run (later wins).

Every key is declared once in :data:`SETTINGS` with its parser, default and
documentation; ``docs/configuration.md`` is checked against that table by the
tests, so a key cannot exist undocumented.
"""

from __future__ import annotations

import configparser
import re
import sys
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .errors import GuardConfigError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on Python 3.10 only
    import tomli as tomllib

if TYPE_CHECKING:
    from alembic.config import Config
    from alembic.runtime.migration import MigrationContext

INI_SECTION = "alembic_guard"
PYPROJECT_TABLE = ("tool", "alembic_guard")
X_PREFIX = "guard."
MODES = ("block", "warn", "off")


def _parse_bool(value: object) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("1", "true", "yes", "on"):
        return True
    if text in ("0", "false", "no", "off"):
        return False
    raise ValueError("expected true or false")


def _parse_choice(*choices: str) -> Callable[[object], str]:
    def parse(value: object) -> str:
        text = str(value).strip().lower()
        if text not in choices:
            raise ValueError("expected one of " + ", ".join(choices))
        return text

    return parse


def _parse_canonicalize(value: object) -> str:
    return _parse_choice("auto", "database", "parse")(value)


def _parse_fraction(value: object) -> float:
    try:
        number = float(str(value).strip())
    except ValueError:
        raise ValueError("expected a number between 0 and 1") from None
    if not 0.0 <= number <= 1.0:
        raise ValueError("expected a number between 0 and 1")
    return number


def _parse_codes(value: object) -> tuple[str, ...]:
    items = value if isinstance(value, (list, tuple)) else str(value).split(",")
    codes = tuple(str(item).strip().upper() for item in items if str(item).strip())
    for code in codes:
        if not re.fullmatch(r"AG\d{3}", code):
            raise ValueError(f"expected rule codes like AG101, got {code!r}")
    return codes


def _parse_severities(value: object) -> tuple[tuple[str, str], ...]:
    """``{AG205 = "warning"}`` (TOML) or ``AG205=warning, AG206=error``."""
    if isinstance(value, Mapping):
        items = [(str(k), str(v)) for k, v in value.items()]
    else:
        items = []
        for part in str(value).split(","):
            if part.strip():
                code, equals, level = part.partition("=")
                if not equals:
                    raise ValueError(f"expected CODE=error|warning, got {part.strip()!r}")
                items.append((code, level))
    parsed = []
    for code, level in items:
        (code,) = _parse_codes(code)
        level = level.strip().lower()
        if level not in ("error", "warning"):
            raise ValueError(f"severity of {code} must be error or warning, got {level!r}")
        parsed.append((code, level))
    return tuple(parsed)


def _parse_rows(value: object) -> int:
    try:
        number = int(str(value).strip())
    except ValueError:
        raise ValueError("expected a whole number of rows") from None
    if number < 0:
        raise ValueError("expected a whole number of rows, 0 or more")
    return number


def _parse_duration(value: object) -> str:
    """A PostgreSQL duration: ``0`` (off), ``500ms``, ``5s``, ``2min``."""
    text = str(value).strip().lower().replace(" ", "")
    if not re.fullmatch(r"\d+(ms|s|min)?", text):
        raise ValueError("expected a duration such as 0, 500ms, 5s or 2min")
    return text


def _parse_text(value: object) -> str:
    return str(value).strip()


def _parse_rename_pairs(value: object) -> tuple[tuple[str, str], ...]:
    """``["table.old -> new", "old_table -> new_table"]`` or the same comma-separated."""
    items = value if isinstance(value, (list, tuple)) else str(value).split(",")
    pairs = []
    for item in items:
        text = str(item).strip()
        if not text:
            continue
        old, arrow, new = text.partition("->")
        if not arrow or not old.strip() or not new.strip():
            raise ValueError(
                f"expected 'table.old -> new' or 'old_table -> new_table', got {text!r}"
            )
        pairs.append((old.strip(), new.strip()))
    return tuple(pairs)


@dataclass(frozen=True)
class GuardSettings:
    """The resolved settings of one Alembic run. Field metadata documents each key."""

    checks: bool = field(
        default=True,
        metadata={
            "parse": _parse_bool,
            "doc": "Compare CHECK constraints in autogenerate and `alembic check` "
            "(plugin `alembic_guard.checks`).",
        },
    )
    canonicalize: str = field(
        default="auto",
        metadata={
            "parse": _parse_canonicalize,
            "doc": "How CHECK expressions that parsing cannot match are settled: "
            "`database` asks the database to render them on temporary scratch tables "
            "(PostgreSQL: inside a savepoint that is always rolled back; MariaDB/MySQL: "
            "dropped at once), `parse` compares parsed expressions only and never "
            "creates anything, `auto` asks the database and falls back to parsing when "
            "the role cannot create temporary tables, the transaction is read-only or "
            "(MariaDB/MySQL) the server is (`read_only`, a replica), with one note per run.",
        },
    )
    views: bool = field(
        default=True,
        metadata={
            "parse": _parse_bool,
            "doc": "Compare declared views and materialized views with the database in "
            "autogenerate and `alembic check` (plugin `alembic_guard.views`). "
            "`canonicalize` applies to view definitions as to CHECK expressions "
            "(MariaDB/MySQL scratch views are plain views, dropped in the same call).",
        },
    )
    undeclared_views: str = field(
        default="comment",
        metadata={
            "parse": _parse_choice("comment", "drop", "ignore"),
            "doc": "What autogenerate does with a view the database has and the models do "
            "not declare: `comment` lists it in the generated script and leaves it alone, "
            "`drop` drops it (reversibly), `ignore` says nothing. `include_object` / "
            "`include_name` (type `view`) filter views first.",
        },
    )
    bulk_reflection: bool = field(
        default=True,
        metadata={
            "parse": _parse_bool,
            "doc": "PostgreSQL: answer Alembic's per-column SERIAL ownership probe (one "
            "query per table with a serial key) from one catalog query per run (plugin "
            "`alembic_guard.bulk_reflection`); the operations are the same.",
        },
    )
    renames: bool = field(
        default=True,
        metadata={
            "parse": _parse_bool,
            "doc": "Detect renamed tables and columns in autogenerate (plugin "
            "`alembic_guard.renames`) instead of letting them be a drop and an add.",
        },
    )
    rename_threshold: float = field(
        default=0.70,
        metadata={
            "parse": _parse_fraction,
            "doc": "Score (0 to 1) from which a dropped and an added column or table are "
            "written as a rename. See docs/renames.md for how the score is made.",
        },
    )
    rename_candidates: float = field(
        default=0.5,
        metadata={
            "parse": _parse_fraction,
            "doc": "Score from which a pair below `rename_threshold` is still named in a "
            "comment of the generated script as a possible rename, for the reviewer.",
        },
    )
    rename_deny: tuple[tuple[str, str], ...] = field(
        default=(),
        metadata={
            "parse": _parse_rename_pairs,
            "doc": "Pairs never to treat as a rename, as `table.old_column -> new_column` "
            "or `old_table -> new_table` (a TOML list, or comma-separated).",
        },
    )
    interactive_renames: bool = field(
        default=False,
        metadata={
            "parse": _parse_bool,
            "doc": "Ask `Rename table.old -> table.new? [y/N]` for every possible rename "
            "when autogenerate runs on a terminal; never asks when stdin is not a TTY.",
        },
    )
    disable: tuple[str, ...] = field(
        default=(),
        metadata={
            "parse": _parse_codes,
            "doc": "Safety rules switched off for this project, by code (a TOML list, or "
            "`AG401, AG402`).",
        },
    )
    severity: tuple[tuple[str, str], ...] = field(
        default=(),
        metadata={
            "parse": _parse_severities,
            "doc": "Rule severities changed for this project: a TOML table "
            "`{AG205 = 'warning'}` or `AG205=warning, AG206=error`. Errors block an "
            "upgrade, warnings are reported.",
        },
    )
    start_after: str = field(
        default="",
        metadata={
            "parse": _parse_text,
            "doc": "A revision id: it and the revisions before it are not checked (they "
            "predate the guard), like strong_migrations' `start_after`. Empty: all are.",
        },
    )
    small_table_rows: int = field(
        default=0,
        metadata={
            "parse": _parse_rows,
            "doc": "Tables with fewer rows than this (catalog estimate, or a bounded count) "
            "get warnings instead of errors from the locking and rewrite rules (AG2xx). "
            "0 treats every table as large.",
        },
    )
    report: str = field(
        default="text",
        metadata={
            "parse": _parse_choice("text", "json"),
            "doc": "How the pre-flight prints its findings: `text` for people, `json` for "
            "tools (printed to standard output; the FAILED line stays short).",
        },
    )
    offline: str = field(
        default="block",
        metadata={
            "parse": _parse_choice("block", "comment"),
            "doc": "`alembic upgrade --sql`: `block` stops on findings like an online "
            "upgrade, `comment` writes them into the SQL output as `-- alembic_guard:` "
            "comments and goes on.",
        },
    )
    lock_timeout: str = field(
        default="5s",
        metadata={
            "parse": _parse_duration,
            "doc": "PostgreSQL: `SET lock_timeout` before the migrations run, so DDL waiting "
            "for a lock fails instead of queueing every query behind it. `0` leaves it "
            "unset (and rule AG212 then asks each migration to set it).",
        },
    )
    statement_timeout: str = field(
        default="0",
        metadata={
            "parse": _parse_duration,
            "doc": "PostgreSQL: `SET statement_timeout` before the migrations run; `0` "
            "leaves it unset (long backfills are legitimate).",
        },
    )
    comments: bool = field(
        default=True,
        metadata={
            "parse": _parse_bool,
            "doc": "Write the guard's explanations as comments into generated migration scripts.",
        },
    )
    mode: str = field(
        default="block",
        metadata={
            "parse": _parse_choice(*MODES),
            "doc": "What the upgrade pre-flight does with findings that are not allowed: "
            "`block` stops before anything runs, `warn` prints them and goes on, "
            "`off` skips the pre-flight. `alembic -x guard=warn upgrade head` is a "
            "shorthand for `-x guard.mode=warn`.",
        },
    )

    def with_overrides(self, values: Mapping[str, object], source: str) -> GuardSettings:
        """Return a copy with ``values`` applied; ``source`` names where they came from."""
        known = {f.name: f for f in fields(self)}
        changes: dict[str, Any] = {}
        for raw_key, value in values.items():
            key = raw_key.replace("-", "_")
            spec = known.get(key)
            if spec is None:
                raise GuardConfigError(
                    f"Unknown alembic_guard setting {raw_key!r} in {source}; "
                    f"known settings: {', '.join(sorted(known))}."
                )
            try:
                changes[key] = spec.metadata["parse"](value)
            except (ValueError, TypeError) as exc:
                raise GuardConfigError(
                    f"Bad value {value!r} for alembic_guard setting {raw_key!r} in {source}: {exc}."
                ) from None
        return replace(self, **changes)


def setting_docs() -> list[tuple[str, object, str]]:
    """(key, default, documentation) for every setting, for docs and `alembic-guard`."""
    return [(f.name, f.default, str(f.metadata["doc"])) for f in fields(GuardSettings)]


def _pyproject_path(config: Config) -> Path | None:
    if config.toml_file_name:
        return Path(config.toml_file_name)
    if config.config_file_name:
        return Path(config.config_file_name).absolute().parent / "pyproject.toml"
    return None


def _from_pyproject(path: Path) -> dict[str, object]:
    try:
        with path.open("rb") as handle:
            data: Mapping[str, Any] = tomllib.load(handle)
    except tomllib.TOMLDecodeError as exc:
        raise GuardConfigError(f"Cannot read {path}: {exc}.") from None
    for part in PYPROJECT_TABLE:
        data = data.get(part, {})
        if not isinstance(data, Mapping):
            raise GuardConfigError(f"[tool.alembic_guard] in {path} must be a table.")
    return dict(data)


def _from_ini(config: Config) -> dict[str, object]:
    if not config.config_file_name:
        return {}
    parser = configparser.ConfigParser(interpolation=None)
    try:
        parser.read(config.config_file_name, encoding="utf-8")
    except configparser.Error as exc:
        raise GuardConfigError(f"Cannot read {config.config_file_name}: {exc}.") from None
    if not parser.has_section(INI_SECTION):
        return {}
    return dict(parser.items(INI_SECTION))


def _from_x_arguments(arguments: Iterable[str]) -> dict[str, object]:
    values: dict[str, object] = {}
    for argument in arguments:
        key, _, value = argument.partition("=")
        key = key.strip()
        if key == "guard":
            values["mode"] = value
        elif key.startswith(X_PREFIX):
            values[key[len(X_PREFIX) :]] = value
    return values


def load_settings(config: Config, x_arguments: Iterable[str] = ()) -> GuardSettings:
    """Resolve the settings of this run: pyproject, then alembic.ini, then ``-x``.

    ``config.attributes["alembic_guard"]`` (a mapping) is applied last, for
    programmatic use from deploy scripts and tests.
    """
    settings = GuardSettings()
    pyproject = _pyproject_path(config)
    if pyproject is not None and pyproject.is_file():
        settings = settings.with_overrides(_from_pyproject(pyproject), str(pyproject))
    if config.config_file_name:
        settings = settings.with_overrides(
            _from_ini(config), f"[{INI_SECTION}] of {config.config_file_name}"
        )
    settings = settings.with_overrides(
        _from_x_arguments(x_arguments), "the -x arguments of this run"
    )
    programmatic = config.attributes.get("alembic_guard")
    if programmatic:
        settings = settings.with_overrides(programmatic, 'config.attributes["alembic_guard"]')
    return settings


def settings_table() -> str:
    """The Markdown table of every setting, as docs/configuration.md shows it."""
    rows = ["| Key | Default | Meaning |", "|---|---|---|"]
    for key, default, doc in setting_docs():
        if isinstance(default, bool):
            shown = str(default).lower()
        elif isinstance(default, tuple):
            shown = "[]" if not default else str(list(default))
        elif default == "":
            shown = '""'
        else:
            shown = str(default)
        rows.append(f"| `{key}` | `{shown}` | {doc} |")
    return "\n".join(rows)


#: the MigrationContext option that carries a run's settings to the comparators
SETTINGS_OPTION = "alembic_guard_settings"


def settings_of(context: MigrationContext) -> GuardSettings:
    """The settings of a run; defaults when env.py enabled plugins without wiring."""
    value = context.opts.get(SETTINGS_OPTION)
    return value if isinstance(value, GuardSettings) else GuardSettings()
