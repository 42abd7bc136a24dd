"""Notes for the person running Alembic.

env.py's ``fileConfig()`` disables every logger its ini file does not name,
the guard's included, so a note that matters goes to Alembic's own output
(``Config.print_stdout``, silenced by ``alembic -q``) and to the log.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from alembic.config import Config

log = logging.getLogger("alembic_guard")


def notice(config: Config | None, text: str) -> None:
    """Tell the user ``text`` once, prefixed with ``alembic_guard:``."""
    message = f"alembic_guard: {text}"
    if config is None:
        log.warning(message)
        return
    config.print_stdout(message)
    # printed already: a WARNING here would print it again through Alembic's
    # default logging (the root logger's console handler)
    log.debug(message)
