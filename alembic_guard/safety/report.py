"""Findings -> text a person reads, or JSON a tool reads, before anything runs."""

from __future__ import annotations

import json
import os
from collections.abc import Sequence

from .rules import Finding, Rule


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
    if finding.note is not None:
        lines.append(f"    note:      {finding.note}")
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
        "note": finding.note,
    }


def format_json(findings: Sequence[Finding], *, blocked: bool) -> str:
    return json.dumps(
        {"blocked": blocked, "findings": [finding_dict(f) for f in findings]}, indent=2
    )


def format_lint_text(findings: Sequence[Finding], columns: Sequence[int]) -> str:
    """``path:line:col: CODE message``, one line per finding, as ruff and squawk print."""
    lines = [
        f"{_relative(f.path)}:{f.line}:{column}: {f.code} {f.message} [{f.name}]"
        + (f" (allowed: {f.allowed_reason})" if f.allowed_reason is not None else "")
        for f, column in zip(findings, columns, strict=True)
    ]
    counted = sum(1 for f in findings if f.allowed_reason is None)
    lines.append(f"Found {counted} problem(s)." if counted else "All checks passed.")
    return "\n".join(lines)


def _github_escape(text: str, *, property_value: bool = False) -> str:
    text = text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
    if property_value:
        text = text.replace(":", "%3A").replace(",", "%2C")
    return text


def format_github(findings: Sequence[Finding], columns: Sequence[int]) -> str:
    """GitHub Actions workflow commands: each finding becomes an annotation on its line."""
    lines = []
    for finding, column in zip(findings, columns, strict=True):
        if finding.allowed_reason is not None:
            continue
        level = "error" if finding.blocks else "warning"
        properties = ",".join(
            (
                f"file={_github_escape(_relative(finding.path), property_value=True)}",
                f"line={finding.line}",
                f"col={column}",
                f"title={_github_escape(f'{finding.code} {finding.name}', property_value=True)}",
            )
        )
        message = f"{finding.message}. Safe way: {finding.safe_alternative}"
        lines.append(f"::{level} {properties}::{_github_escape(message)}")
    return "\n".join(lines)


def format_lint_json(findings: Sequence[Finding], columns: Sequence[int]) -> str:
    return json.dumps(
        [
            {**finding_dict(f), "path": _relative(f.path), "column": column}
            for f, column in zip(findings, columns, strict=True)
        ],
        indent=2,
    )


SARIF_SCHEMA = (
    "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
)


def format_sarif(
    findings: Sequence[Finding], columns: Sequence[int], rules: Sequence[Rule], version: str
) -> str:
    """SARIF 2.1.0 for code scanning: every rule described, allowed findings suppressed."""
    index = {rule.code: number for number, rule in enumerate(rules)}
    results = []
    for finding, column in zip(findings, columns, strict=True):
        result: dict[str, object] = {
            "ruleId": finding.code,
            "level": "error" if finding.severity.value == "error" else "warning",
            "message": {"text": f"{finding.message}. Safe way: {finding.safe_alternative}"},
            "locations": [
                {
                    "physicalLocation": {
                        "artifactLocation": {
                            "uri": _relative(finding.path).replace(os.sep, "/"),
                            "uriBaseId": "%SRCROOT%",
                        },
                        "region": {"startLine": max(finding.line, 1), "startColumn": column},
                    }
                }
            ],
            "properties": {"revision": finding.revision, "operation": finding.operation},
        }
        if finding.code in index:
            result["ruleIndex"] = index[finding.code]
        if finding.allowed_reason is not None:
            result["suppressions"] = [{"kind": "inSource", "justification": finding.allowed_reason}]
        results.append(result)
    document = {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "alembic_guard",
                        "version": version,
                        "rules": [
                            {
                                "id": rule.code,
                                "name": rule.name,
                                "shortDescription": {"text": rule.summary},
                                "fullDescription": {"text": rule.why},
                                "help": {
                                    "text": f"Safe way: {rule.safe_alternative}",
                                    "markdown": f"**Safe way:** {rule.safe_alternative}",
                                },
                                "defaultConfiguration": {
                                    "level": "error"
                                    if rule.severity.value == "error"
                                    else "warning"
                                },
                            }
                            for rule in rules
                        ],
                    }
                },
                "columnKind": "unicodeCodePoints",
                "results": results,
            }
        ],
    }
    return json.dumps(document, indent=2)
