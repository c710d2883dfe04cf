"""The promotion graph as data: per model, which version each environment (stage) runs and which versions
may enter it next.

Stages are ordered by `promotedFrom` (a stage after the one it is promoted from). A version is a candidate
for a stage when it is newer than the version the stage runs and, for a stage promoted from another, not
newer than what that one runs (versions are listed oldest first). A candidate is *eligible* when the
environment's policies accept it: the caller passes `judge`, which runs the policy evaluation
(reconciler/policies, and with live state the plan-based rules such as convergence and soak time) on the
manifests as they would be with the candidate pinned. So every policy rule, present or future, decides.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from reconciler.comment.escape import mermaid_label
from reconciler.core.findings import Finding
from reconciler.manifests.model import Environment, Manifests, Model
from reconciler.promotion.promote import upstream_pin, with_pin

Judge = Callable[[Manifests], Sequence[Finding]]


@dataclass(frozen=True, slots=True)
class Blocked:
    version: str
    findings: tuple[Finding, ...]


@dataclass(frozen=True, slots=True)
class Stage:
    environment: str
    version: str | None  # None: the environment does not run the model
    promoted_from: str | None
    eligible: tuple[str, ...]
    blocked: tuple[Blocked, ...]


@dataclass(frozen=True, slots=True)
class ModelStatus:
    model: str
    versions: tuple[str, ...]
    stages: tuple[Stage, ...]


def stage_order(manifests: Manifests) -> list[Environment]:
    """Environments with each one after the one it is promoted from (ties by name)."""
    by_name = {e.name: e for e in manifests.environments}

    def depth(environment: Environment) -> int:
        seen = {environment.name}
        steps = 0
        current = environment
        while current.policies.promoted_from in by_name and current.policies.promoted_from not in seen:
            current = by_name[current.policies.promoted_from]
            seen.add(current.name)
            steps += 1
        return steps

    return sorted(manifests.environments, key=lambda e: (depth(e), e.name))


def candidates(manifests: Manifests, environment: Environment, model: Model) -> list[str]:
    """Versions that could enter `environment` next, oldest first (before asking the policies)."""
    names = [v.name for v in model.versions]
    pin = next((p for p in environment.models if p.model == model.name), None)
    start = names.index(pin.version) + 1 if pin is not None and pin.version in names else 0
    ceiling = len(names)
    if environment.policies.promoted_from is not None:
        source = upstream_pin(manifests, environment, model.name)
        if source is None or source.version not in names:
            return []
        ceiling = names.index(source.version) + 1
    return names[start:ceiling]


def _errors_for(findings: Sequence[Finding], environment: str) -> tuple[Finding, ...]:
    return tuple(f for f in findings if f.severity == "error" and f.environment == environment)


def model_status(manifests: Manifests, model: Model, judge: Judge) -> ModelStatus:
    stages = []
    for environment in stage_order(manifests):
        pin = next((p for p in environment.models if p.model == model.name), None)
        eligible: list[str] = []
        blocked: list[Blocked] = []
        for version in candidates(manifests, environment, model):
            errors = _errors_for(
                judge(with_pin(manifests, environment.name, model.name, version)), environment.name
            )
            if errors:
                blocked.append(Blocked(version, errors))
            else:
                eligible.append(version)
        stages.append(
            Stage(
                environment.name,
                pin.version if pin else None,
                environment.policies.promoted_from,
                tuple(eligible),
                tuple(blocked),
            )
        )
    return ModelStatus(model.name, tuple(v.name for v in model.versions), tuple(stages))


def statuses(manifests: Manifests, judge: Judge, models: Sequence[str] = ()) -> list[ModelStatus]:
    return [model_status(manifests, m, judge) for m in manifests.models if not models or m.name in models]


# -- output -------------------------------------------------------------------------------------------------


def to_json(found: Sequence[ModelStatus]) -> dict[str, Any]:
    return {
        "models": [
            {
                "model": status.model,
                "versions": list(status.versions),
                "stages": [
                    {
                        "environment": stage.environment,
                        "version": stage.version,
                        "promotedFrom": stage.promoted_from,
                        "eligible": list(stage.eligible),
                        "blocked": [
                            {
                                "version": b.version,
                                "findings": [
                                    {"rule": f.rule, "message": f.message, "fix": f.fix, "where": f.where}
                                    for f in b.findings
                                ],
                            }
                            for b in stage.blocked
                        ],
                    }
                    for stage in status.stages
                ],
            }
            for status in found
        ]
    }


def render_text(found: Sequence[ModelStatus]) -> str:
    lines: list[str] = []
    for status in found:
        lines.append(f"{status.model} (versions: {', '.join(status.versions)})")
        width = max((len(s.environment) for s in status.stages), default=0)
        for stage in status.stages:
            running = stage.version or "-"
            after = f"  <- {stage.promoted_from}" if stage.promoted_from else ""
            eligible = ", ".join(stage.eligible) or "none"
            lines.append(
                f"  {stage.environment:<{width}}  runs {running:<6}{after:<14}  eligible next: {eligible}"
            )
            for blocked in stage.blocked:
                for finding in blocked.findings:
                    lines.append(f"      {blocked.version} blocked: [{finding.rule}] {finding.message}")
                    lines.append(f"          fix: {finding.fix}")
        lines.append("")
    return "\n".join(lines).rstrip("\n")


def mermaid(status: ModelStatus) -> str:
    """The stages of one model as a Mermaid flowchart (GitHub renders ```mermaid blocks): each stage with
    the version it runs, each edge labelled with the versions eligible to move along it."""
    ids = {stage.environment: f"s{index}" for index, stage in enumerate(status.stages)}
    lines = ["flowchart LR"]
    for stage in status.stages:
        label = "<br/>".join(
            mermaid_label(part) for part in (stage.environment, stage.version or "not running")
        )
        lines.append(f'  {ids[stage.environment]}["{label}"]')
    for stage in status.stages:
        if stage.promoted_from in ids:
            moving = ", ".join(stage.eligible)
            arrow = f' -- "{mermaid_label("next: " + moving)}" --> ' if moving else " --> "
            lines.append(f"  {ids[stage.promoted_from]}{arrow}{ids[stage.environment]}")
    return "\n".join(lines)


def render_markdown(found: Sequence[ModelStatus]) -> str:
    """Status for a pull request or the README: one Mermaid graph and one table per model."""
    parts: list[str] = []
    for status in found:
        parts.append(f"#### {status.model}\n")
        parts.append("```mermaid\n" + mermaid(status) + "\n```\n")
        parts.append("| stage | runs | promoted from | eligible next |\n|---|---|---|---|")
        for stage in status.stages:
            parts.append(
                f"| {stage.environment} | {stage.version or '-'} | {stage.promoted_from or '-'} | "
                f"{', '.join(stage.eligible) or '-'} |"
            )
        parts.append("")
    return "\n".join(parts).rstrip("\n") + "\n"
