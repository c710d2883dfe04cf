"""Findings: what the policies (reconciler/policies) and the preflight checks (reconciler/aws/preflight.py)
report about a plan. Data, located in the manifests, so that `plan` can print them, a saved plan and the
`--json` output can carry them, and a pull-request comment can render them.

An `error` blocks the plan (`plan` exits 1); a `warning` is shown and does not block.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

Severity = Literal["error", "warning"]
SEVERITIES: tuple[Severity, ...] = ("error", "warning")


@dataclass(frozen=True, slots=True)
class Finding:
    """One broken rule: which rule, how bad, where in the manifests, what is wrong and how to fix it.

    `rule` is a policy key (e.g. "promotedFrom", "requireKms") or a preflight check ("preflight/kms").
    `file`/`line`/`column` (1-based) point at the manifest value that breaks the rule, or for a preflight
    check at the value that makes the reconciler touch that account/Region.
    """

    rule: str
    severity: Severity
    message: str
    fix: str
    file: str
    line: int
    column: int
    environment: str | None = None
    account: str | None = None
    region: str | None = None

    @property
    def where(self) -> str:
        return f"{self.file}:{self.line}:{self.column}"


def sort_findings(findings: Iterable[Finding]) -> tuple[Finding, ...]:
    """Errors first, then by place in the manifests and rule: a stable order for output and tests."""
    unique = set(findings)
    return tuple(
        sorted(
            unique,
            key=lambda f: (SEVERITIES.index(f.severity), f.file, f.line, f.column, f.rule, f.message),
        )
    )


def count_errors(findings: Iterable[Finding]) -> int:
    return sum(1 for finding in findings if finding.severity == "error")
