"""A plan as text for humans, in the style of `terraform plan`."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from reconciler.core.plan import Action, Plan, Ref

SYMBOLS = {"create": "+", "update": "~", "delete": "-", "wait": "="}
VERBS = {"create": "create", "update": "update in place", "delete": "destroy", "wait": "wait for"}
COLORS = {"create": "32", "update": "33", "delete": "31", "wait": "36"}
# Request members worth showing a reviewer; tokens, tags and descriptions are noise.
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


def _value(value: Any) -> str:
    if isinstance(value, Ref):
        return f"(known after apply: {value.address}.{value.attribute})"
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_value(v) for v in value) + "]"
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _changes(before: Mapping[str, Any], after: Mapping[str, Any]) -> list[str]:
    lines = []
    for key in sorted(set(before) | set(after)):
        if key in before and before[key] != after.get(key):
            lines.append(f"{key}: {_value(before[key])} -> {_value(after.get(key))}")
    return lines


def render_action(action: Action, *, color: bool) -> list[str]:
    symbol = _paint(SYMBOLS[action.change], COLORS[action.change], color)
    lines = [f"  {symbol} {VERBS[action.change]} {action.address}"]
    lines.append(f"      {action.service}:{action.operation} in {action.account} {action.region}")
    for key in SHOWN_PARAMS:
        if key in action.params:
            lines.append(f"      {key} = {_value(action.params[key])}")
    lines.extend(f"      {change}" for change in _changes(action.before, action.after))
    lines.append(f"      # {action.reason}")
    return lines


def render_plan(plan: Plan, *, color: bool) -> str:
    lines: list[str] = []
    for warning in plan.warnings:
        lines.append(_paint("Warning: ", "33;1", color) + warning)
    if lines:
        lines.append("")
    if plan.actions:
        lines.append("bedrock-gitops will perform the following actions, in this order:")
        current_wave = -1
        for action in sorted(plan.actions, key=lambda a: (a.wave, a.address)):
            if action.wave != current_wave:
                current_wave = action.wave
                lines.append("")
                lines.append(f"  # wave {current_wave}")
            lines.extend(render_action(action, color=color))
        lines.append("")
    if plan.removals:
        lines.append("Managed resources no longer declared, kept by this plan:")
        for removal in plan.removals:
            lines.append(f"  {_paint('-', '31', color)} {removal.address} ({removal.kind}, {removal.arn})")
            lines.append(f"      # {removal.reason}; kept: {removal.blocked_by}")
        lines.append("")
    lines.append(summary_line(plan, color=color))
    pruning_off = sum(1 for r in plan.removals if r.blocked_by.startswith("pruning is disabled"))
    if pruning_off:
        lines.append(
            f"{pruning_off} managed resource{'s' if pruning_off != 1 else ''} no longer declared; "
            "re-run with --prune to remove them."
        )
    return "\n".join(lines)


def summary_line(plan: Plan, *, color: bool) -> str:
    if not plan.actions:
        return _paint("No changes.", "32;1", color) + " AWS matches the manifests."
    counts = plan.summary()
    text = f"Plan: {counts['add']} to add, {counts['change']} to change, {counts['destroy']} to destroy"
    if counts["wait"]:
        text += f", {counts['wait']} to wait for"
    return _paint(text + ".", "1", color)
