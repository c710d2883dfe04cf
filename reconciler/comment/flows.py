"""Where each model version flows: source account/Region -> the environments' accounts/Regions, as a
Mermaid flowchart (GitHub renders ```mermaid blocks). Edges touched by the plan are drawn thick."""

from __future__ import annotations

from dataclasses import dataclass

from reconciler.comment.escape import mermaid_label
from reconciler.core.desired import DesiredCapacity, DesiredCopy, desired_state
from reconciler.core.plan import Plan
from reconciler.manifests.model import Manifests

MAX_EDGES = 120  # GitHub gives up on very large diagrams; beyond this only changed flows are drawn


@dataclass(frozen=True, slots=True, order=True)
class Flow:
    model: str
    version: str
    source_account: str
    source_region: str
    environment: str
    account: str
    region: str
    changed: bool


def _arn_location(arn: str) -> tuple[str, str]:
    parts = arn.split(":")
    return (parts[4], parts[3]) if len(parts) > 5 else ("?", "?")


def _touched(plan: Plan, environment: str, region: str, model: str) -> bool:
    prefix = f"{environment}/{region}/{model}/"
    return any(action.address.startswith(prefix) for action in plan.actions)


def flows_from_manifests(plan: Plan, manifests: Manifests) -> list[Flow]:
    desired = desired_state(manifests)
    flows = set()
    placed: list[DesiredCopy | DesiredCapacity] = [*desired.copies, *desired.capacities]
    for capacity_or_copy in placed:
        model = manifests.model(capacity_or_copy.model)
        if model is None:
            continue
        flows.add(
            Flow(
                capacity_or_copy.model,
                capacity_or_copy.version,
                model.source_account,
                model.source_region,
                capacity_or_copy.environment,
                capacity_or_copy.account,
                capacity_or_copy.region,
                _touched(plan, capacity_or_copy.environment, capacity_or_copy.region, capacity_or_copy.model),
            )
        )
    return sorted(flows)


def flows_from_plan(plan: Plan) -> list[Flow]:
    """Without the manifests: the copies the plan starts (each names its source model)."""
    flows = set()
    for action in plan.actions:
        if action.operation != "CreateModelCopyJob":
            continue
        parts = action.address.split("/")
        source = str(action.params.get("sourceModelArn", ""))
        account, region = _arn_location(source)
        flows.add(
            Flow(
                parts[2] if len(parts) > 2 else str(action.after.get("model", "?")),
                str(action.after.get("version", "?")),
                account,
                region,
                parts[0],
                action.account,
                action.region,
                True,
            )
        )
    return sorted(flows)


def _label(*lines: str) -> str:
    return "<br/>".join(mermaid_label(line) for line in lines)


def mermaid(flows: list[Flow]) -> tuple[str, str]:
    """The flowchart source (no fences) and a note about what was left out ("" when nothing was)."""
    note = ""
    if len(flows) > MAX_EDGES:
        changed = [f for f in flows if f.changed]
        note = f"{len(flows) - len(changed)} unchanged flows are not drawn."
        flows = changed
    if len(flows) > MAX_EDGES:
        note = f"{len(flows) - MAX_EDGES} more flows are not drawn (see the details below)."
        flows = flows[:MAX_EDGES]
    sources: dict[tuple[str, str, str, str], str] = {}
    targets: dict[tuple[str, str, str], str] = {}
    lines = ["flowchart LR"]
    for flow in flows:
        key = (flow.model, flow.version, flow.source_account, flow.source_region)
        if key not in sources:
            sources[key] = f"s{len(sources)}"
            label = _label(f"{flow.model} {flow.version}", f"{flow.source_account} {flow.source_region}")
            lines.append(f'  {sources[key]}["{label}"]')
        where = (flow.environment, flow.account, flow.region)
        if where not in targets:
            targets[where] = f"t{len(targets)}"
            label = _label(flow.environment, f"{flow.account} {flow.region}")
            lines.append(f'  {targets[where]}["{label}"]')
    for flow in flows:
        source = sources[(flow.model, flow.version, flow.source_account, flow.source_region)]
        target = targets[(flow.environment, flow.account, flow.region)]
        lines.append(f"  {source} ==>|changes| {target}" if flow.changed else f"  {source} --> {target}")
    return "\n".join(lines), note
