"""Findings -> text a person reads before anything runs."""

from __future__ import annotations

from collections.abc import Sequence

from .rules import Finding


def _relative(path: str) -> str:
    import os

    try:
        return os.path.relpath(path)
    except ValueError:  # another drive on Windows
        return path


def format_finding(finding: Finding) -> str:
    status = (
        f"allowed: {finding.allowed_reason}"
        if finding.allowed_reason is not None
        else finding.severity.value
    )
    return "\n".join(
        [
            f"{_relative(finding.path)}:{finding.line}: {finding.code} {finding.name} "
            f"[{status}] in revision {finding.revision}",
            f"    operation: {finding.operation}",
            f"    problem:   {finding.message}",
            f"    why:       {finding.why}",
            f"    safe way:  {finding.safe_alternative}",
        ]
    )


def format_text(findings: Sequence[Finding], *, blocked: bool) -> str:
    blocking = [f for f in findings if f.blocks]
    head = (
        f"alembic_guard blocked this upgrade before anything ran: {len(blocking)} unsafe "
        f"operation(s) in the pending migrations."
        if blocked
        else f"alembic_guard found {len(findings)} issue(s) in the pending migrations."
    )
    body = "\n\n".join(format_finding(f) for f in findings)
    tail = (
        "To go ahead once reviewed: fix the migration as the safe way says, or run "
        "`alembic -x guard=warn upgrade ...` to report without blocking."
        if blocked
        else ""
    )
    return "\n\n".join(part for part in (head, body, tail) if part)
