"""A plan as text for humans, in the style of `terraform plan`.

    bedrock-gitops will perform the following actions, in this order:

      # wave 0
      + create share/financial-analyst/v2
          ram:CreateResourceShare in 111122223333 us-east-1
          principals = [444455556666, 777788889999]
          # <reason>

    Plan: 1 to add, 0 to change, 0 to destroy.

Actions are sorted by (wave, address), the order apply runs them in; removals that the plan does not make
are listed grouped by what blocks them. ANSI colours only when asked for. Text that comes from AWS or the
manifests has its control characters escaped, so a plan cannot repaint the reviewer's terminal.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from itertools import groupby
from typing import Any

from reconciler.core.findings import Finding, count_errors
from reconciler.core.plan import Action, Plan, Ref, Removal
from reconciler.core.plan_scope import partial_warning

SYMBOLS = {"create": "+", "update": "~", "delete": "-", "wait": "="}
VERBS = {"create": "create", "update": "update", "delete": "destroy", "wait": "wait"}
COLORS = {"create": "32", "update": "33", "delete": "31", "wait": "36"}
BOLD = "1"
PRUNING_DISABLED_PREFIX = "pruning is disabled"
# Request members worth showing a reviewer, in this order; tokens, tags and descriptions are noise.
SHOWN_PARAMS = (
    "name",
    "principals",
    "resourceArns",
    "allowExternalPrincipals",
    "resourceShareArn",
    "resourceShareInvitationArn",
    "sourceModelArn",
    "targetModelName",
    "modelKmsKeyId",
    "provisionedModelName",
    "modelUnits",
    "commitmentDuration",
    "modelId",
    "provisionedModelId",
    "desiredModelId",
    "modelDeploymentName",
    "modelArn",
    "customModelDeploymentIdentifier",
    "modelIdentifier",
    "jobArn",
)


def _paint(text: str, code: str, color: bool) -> str:
    return f"\033[{code}m{text}\033[0m" if color else text


def _clean(text: str) -> str:
    """`text` with control characters (ESC, CR, newlines, C1 codes...) written as escapes."""
    return "".join(
        char if char.isprintable() else char.encode("unicode_escape").decode("ascii") for char in text
    )


def _value(value: Any) -> str:
    if isinstance(value, Ref):
        return f"(known after apply: {_clean(value.address)}.{_clean(value.attribute)})"
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    if isinstance(value, Mapping):
        return "{" + ", ".join(f"{_clean(str(k))} = {_value(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_value(v) for v in value) + "]"
    return _clean(str(value))


def _changes(before: Mapping[str, Any], after: Mapping[str, Any]) -> list[str]:
    """`key: old -> new` for each attribute that differs."""
    lines = []
    for key in sorted(set(before) | set(after)):
        old = _value(before[key]) if key in before else "(none)"
        new = _value(after[key]) if key in after else "(none)"
        if key not in before or key not in after or before[key] != after[key]:
            lines.append(f"{_clean(key)}: {old} -> {new}")
    return lines


def render_action(action: Action, *, color: bool) -> list[str]:
    symbol = _paint(SYMBOLS[action.change], COLORS[action.change], color)
    lines = [
        f"  {symbol} {VERBS[action.change]} {_clean(action.address)}",
        "      " + _clean(f"{action.service}:{action.operation} in {action.account} {action.region}"),
    ]
    lines.extend(
        f"      {key} = {_value(action.params[key])}" for key in SHOWN_PARAMS if key in action.params
    )
    if action.change == "update":
        lines.extend(f"      {change}" for change in _changes(action.before, action.after))
    lines.append(f"      # {_clean(action.reason)}")
    return lines


def render_removals(removals: Iterable[Removal], *, color: bool) -> list[str]:
    """Removals this plan does not make, grouped by what keeps them (pruning off, a commitment term...)."""
    lines: list[str] = []
    ordered = sorted(removals, key=lambda r: (r.blocked_by, r.address))
    for blocked_by, group in groupby(ordered, key=lambda r: r.blocked_by):
        lines.append(f"Managed resources no longer declared (not removed: {_clean(blocked_by)}):")
        for removal in group:
            lines.append(
                f"  {_paint('-', COLORS['delete'], color)} {_clean(removal.address)} "
                f"({_clean(removal.kind)}, {_clean(removal.arn)})"
            )
            lines.append("      # " + _clean(f"{removal.account} {removal.region}: {removal.reason}"))
        lines.append("")
    return lines


def render_findings(findings: Iterable[Finding], *, color: bool) -> list[str]:
    """Policy and preflight findings, one block each: `Error: file:line:column: [rule] message` + the fix."""
    lines: list[str] = []
    for finding in findings:
        label = (
            _paint("Error: ", "31;1", color)
            if finding.severity == "error"
            else _paint("Warning: ", "33;1", color)
        )
        lines.append(label + _clean(f"{finding.where}: [{finding.rule}] {finding.message}"))
        lines.append("  How to fix: " + _clean(finding.fix))
    return lines


def blocked_line(plan: Plan, *, color: bool) -> str | None:
    """`Plan blocked: N policy/preflight errors...`, or None when nothing blocks the plan."""
    errors = count_errors(plan.findings)
    if not errors:
        return None
    text = f"Plan blocked by {errors} policy/preflight error{'s' if errors != 1 else ''} (listed first)."
    return _paint(text, "31;1", color)


def render_plan(plan: Plan, *, color: bool) -> str:
    """The whole plan as text (no trailing newline); the same plan always gives the same text."""
    lines: list[str] = render_findings(plan.findings, color=color)
    warnings = ((partial_warning(plan.scope),) if plan.scope else ()) + plan.warnings
    lines += [_paint("Warning: ", "33;1", color) + _clean(warning) for warning in warnings]
    if lines:
        lines.append("")
    if plan.actions:
        lines.append("bedrock-gitops will perform the following actions, in this order:")
        ordered = sorted(plan.actions, key=lambda a: (a.wave, a.address))
        for wave, group in groupby(ordered, key=lambda a: a.wave):
            lines.append("")
            lines.append(f"  # wave {wave}")
            for action in group:
                lines.extend(render_action(action, color=color))
        lines.append("")
    lines.extend(render_removals(plan.removals, color=color))
    lines.append(summary_line(plan, color=color))
    pending = sum(1 for r in plan.removals if r.blocked_by.startswith(PRUNING_DISABLED_PREFIX))
    if pending:
        lines.append(
            f"{pending} managed resource{'s' if pending != 1 else ''} no longer declared; "
            f"re-run with --prune to remove {'them' if pending != 1 else 'it'}."
        )
    blocked = blocked_line(plan, color=color)
    if blocked:
        lines.append(blocked)
    if plan.scope:
        # Said again last: the summary above counts these environments only.
        lines.append(_paint(f"Partial plan: environments {', '.join(plan.scope)} only.", "33;1", color))
    return "\n".join(lines)


def summary_line(plan: Plan, *, color: bool) -> str:
    """`Plan: 1 to add, 2 to change, 0 to destroy.` (`, N to wait for` and `, N undeclared kept` only when N >
    0), or `No changes.` when there is nothing to do and nothing undeclared left in AWS."""
    if not plan.has_drift:
        return _paint("No changes.", "32;1", color) + " AWS matches the manifests."
    counts = plan.summary()
    text = f"Plan: {counts['add']} to add, {counts['change']} to change, {counts['destroy']} to destroy"
    if counts["wait"]:
        text += f", {counts['wait']} to wait for"
    if counts["pending_prune"]:
        text += f", {counts['pending_prune']} undeclared kept"
    return _paint(text + ".", BOLD, color)
