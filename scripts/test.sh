#!/usr/bin/env bash
# The README's test command: venv, databases, lint, types, docs, tests.
# Works as root on a fresh Debian 12 machine from a clean clone.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ ! -x .venv/bin/python ]; then
    if ! python3 -m venv .venv >/dev/null 2>&1; then
        apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv >/dev/null
        python3 -m venv .venv
    fi
fi
.venv/bin/python -m pip install -q --disable-pip-version-check -e '.[dev]'

# shellcheck source=scripts/setup-databases.sh
source scripts/setup-databases.sh

echo "== ruff"
.venv/bin/ruff check .
.venv/bin/ruff format --check alembic_guard tests
echo "== import layers (lint-imports)"
.venv/bin/lint-imports --no-cache
echo "== mypy (strict)"
.venv/bin/mypy
echo "== docs (mkdocs --strict)"
.venv/bin/mkdocs build --strict --quiet --site-dir "$(mktemp -d)"
echo "== pytest"
.venv/bin/python -m pytest "$@"
