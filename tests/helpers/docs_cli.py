"""Write docs/cli.md from the command line's own help:  python -m tests.helpers.docs_cli"""

from __future__ import annotations

from pathlib import Path

import click

from alembic_guard.cli import main as cli

PAGE = Path(__file__).resolve().parents[2] / "docs" / "cli.md"

INTRO = """# Command-line reference

`alembic-guard` is installed with the package. This page is generated from the
commands' own `--help` (`python -m tests.helpers.docs_cli`), and a test keeps it
exact. Exit codes: 0 success or clean, 1 findings or drift, 2 usage or load
errors (one `alembic-guard: error: ...` line on stderr, never a traceback).

The Alembic commands themselves (`alembic check`, `alembic upgrade`, ...) gain
the guard through env.py; see [Wire it into env.py](env-py.md) and
[CI recipes](ci.md).
"""


def render() -> str:
    parts = [INTRO]
    context = click.Context(cli, info_name="alembic-guard", terminal_width=100)
    parts.append("## alembic-guard\n\n```text\n" + cli.get_help(context).rstrip() + "\n```\n")
    assert isinstance(cli, click.Group)
    for name in sorted(cli.list_commands(context)):
        command = cli.get_command(context, name)
        assert command is not None
        sub = click.Context(command, info_name=name, parent=context, terminal_width=100)
        parts.append(
            f"## alembic-guard {name}\n\n```text\n" + command.get_help(sub).rstrip() + "\n```\n"
        )
    return "\n".join(parts)


def main() -> None:
    PAGE.write_text(render())


if __name__ == "__main__":
    main()
