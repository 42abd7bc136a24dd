"""Findings -> text a person reads, or JSON a tool reads, before anything runs."""

from __future__ import annotations

import json
import os
from collections.abc import Sequence

from .rules import Finding


def _relative(path: str) -> str:
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
    lines = [
        f"{_relative(finding.path)}:{finding.line}: {finding.code} {finding.name} "
        f"[{status}] in revision {finding.revision}",
        f"    operation: {finding.operation}",
        f"    problem:   {finding.message}",
        f"    why:       {finding.why}",
        f"    safe way:  {finding.safe_alternative}",
    ]
    if finding.allowed_reason is None:
        lines.append(f"    to allow:  {finding.how_to_allow}")
    return "\n".join(lines)


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
        "Nothing was run. Fix the migration as the safe way says, allow the reviewed "
        "operation in the migration (see 'to allow'), or run `alembic -x guard=warn "
        "upgrade ...` to report without blocking."
        if blocked
        else ""
    )
    return "\n\n".join(part for part in (head, body, tail) if part)


def finding_dict(finding: Finding) -> dict[str, object]:
    return {
        "code": finding.code,
        "name": finding.name,
        "severity": finding.severity.value,
        "blocks": finding.blocks,
        "allowed_reason": finding.allowed_reason,
        "revision": finding.revision,
        "path": finding.path,
        "line": finding.line,
        "operation": finding.operation,
        "message": finding.message,
        "why": finding.why,
        "safe_alternative": finding.safe_alternative,
        "how_to_allow": finding.how_to_allow,
    }


def format_json(findings: Sequence[Finding], *, blocked: bool) -> str:
    return json.dumps(
        {"blocked": blocked, "findings": [finding_dict(f) for f in findings]}, indent=2
    )
