"""The ``alembic-guard`` command line."""

from __future__ import annotations

import io
from contextlib import redirect_stdout
from pathlib import Path

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


if __name__ == "__main__":
    main()
