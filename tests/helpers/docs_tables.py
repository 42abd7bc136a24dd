"""Rewrite the generated table of docs/configuration.md:  python -m tests.helpers.docs_tables"""

from __future__ import annotations

import re
from pathlib import Path

from alembic_guard.config import settings_table

PAGE = Path(__file__).resolve().parents[2] / "docs" / "configuration.md"
REGION = re.compile(
    r"(<!-- Generated from [^\n]*-->\n\n).*?(\n\n<!-- End of generated table. -->)", re.S
)


def main() -> None:
    text = PAGE.read_text()
    PAGE.write_text(REGION.sub(lambda m: m.group(1) + settings_table() + m.group(2), text))


if __name__ == "__main__":
    main()
