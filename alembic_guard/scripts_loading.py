"""Migration scripts that cannot be loaded, and histories with several heads, named by file.

Alembic imports every file of the versions directory before it runs anything
and lets a SyntaxError or an ImportError escape as a traceback.  env.py's
``alembic_guard.configure(context)`` loads them first (:func:`load_revisions`)
and reports the broken file as one paragraph; ``alembic-guard lint`` reports
the same way.
"""

from __future__ import annotations

import traceback
from collections.abc import Sequence
from pathlib import Path

from alembic.script import Script, ScriptDirectory
from alembic.script.revision import MultipleHeads, RevisionError
from alembic.util import CommandError

from .errors import GuardError, MigrationScriptError

#: what Alembic's autogenerate says when the database is not at every head
_NOT_UP_TO_DATE = "Target database is not up to date."


def _inside(filename: str, locations: Sequence[Path]) -> bool:
    path = Path(filename).resolve()
    return any(path == location or location in path.parents for location in locations)


def describe_load_error(error: BaseException, directories: Sequence[Path]) -> str:
    """One paragraph naming the migration file (one inside ``directories``) and the problem."""
    places = [Path(directory).resolve() for directory in directories]
    frames = [f for f in traceback.extract_tb(error.__traceback__) if _inside(f.filename, places)]
    script = f"{frames[-1].filename}:{frames[-1].lineno}" if frames else None
    if isinstance(error, SyntaxError):
        where = f"{error.filename}:{error.lineno}" if error.filename else "(unknown file)"
        if script is None or (error.filename and _inside(error.filename, places)):
            problem = f"{where}: cannot parse the migration: {error.msg}"
        else:  # a module the migration imports
            problem = (
                f"{script}: cannot import the migration: a module it imports has a syntax "
                f"error ({where}: {error.msg})"
            )
    elif script is not None:
        problem = f"{script}: cannot import the migration: {type(error).__name__}: {error}"
    else:
        where = ", ".join(str(place) for place in places)
        problem = f"cannot load the migrations in {where}: {type(error).__name__}: {error}"
    return (
        f"{problem}. Alembic imports every migration before it runs anything, so fix the "
        f"file (or move it out of the versions directory) and run the command again; "
        f"nothing was run."
    )


def locations(script: ScriptDirectory) -> list[Path]:
    """The versions directories (``version_locations``, else ``<script_location>/versions``)."""
    return [Path(location) for location in script._version_locations]


def load_revisions(script: ScriptDirectory) -> None:
    """Import every revision of ``script`` now; a file that fails raises a GuardError naming it."""
    try:
        script.revision_map.heads  # noqa: B018 - builds the map: imports every file
    except (CommandError, RevisionError) as error:
        if isinstance(error, GuardError):
            raise
        places = ", ".join(str(location) for location in locations(script))
        raise MigrationScriptError(
            f"the migrations in {places} do not form a valid history: {error}"
        ) from None
    except Exception as error:  # SyntaxError, ImportError, anything raised at import
        raise MigrationScriptError(describe_load_error(error, locations(script))) from None


def forked_heads(script: ScriptDirectory) -> list[Script]:
    """Heads that share their branch labels (usually: none): a fork nobody meant, such as
    two revisions written on two git branches.  The heads of labelled branches
    (``alembic revision --head=base --branch-label=...``) are intended and not listed."""
    by_labels: dict[frozenset[str], list[Script]] = {}
    for head in script.get_revisions("heads"):
        if head is not None:
            by_labels.setdefault(frozenset(head.branch_labels), []).append(head)
    forked = [head for heads in by_labels.values() if len(heads) > 1 for head in heads]
    return sorted(forked, key=lambda head: head.revision)


def heads_message(script: ScriptDirectory) -> str:
    """The heads of a forked history, with their files, and the way to join them."""
    heads = forked_heads(script)
    named = " and ".join(f"{head.revision} ({head.path})" for head in heads)
    return (
        f"The migration history has {len(heads)} heads: {named}; they were written in "
        f"parallel (on two branches, say). Join them with `alembic merge heads -m "
        f'"merge heads"` (it writes a revision whose down_revision names both), then run '
        f"the command again; `alembic upgrade heads` applies every branch without joining."
    )


def heads_error(script: ScriptDirectory, error: CommandError) -> MigrationScriptError | None:
    """Alembic's error about an ambiguous head, with the heads named; None for other errors."""
    if isinstance(error, GuardError):
        return None
    about_heads = isinstance(error.__cause__, MultipleHeads) or str(error) == _NOT_UP_TO_DATE
    if not about_heads or not forked_heads(script):
        return None
    said = str(error).rstrip(".")
    return MigrationScriptError(f"{said}. {heads_message(script)}")
