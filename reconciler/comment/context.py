"""The data a PR comment shows, computed from a plan (+ the manifests, policy findings, an apply report).

Everything here is plain data; the templates (reconciler/templates/*.md.j2) lay it out and escape every
string on the way out (see reconciler.comment.markdown). Nothing here talks to AWS or GitHub.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from itertools import groupby
from typing import Any

from reconciler.comment.flows import Flow, flows_from_manifests, flows_from_plan
from reconciler.comment.grouping import environment_of, group_order
from reconciler.comment.pricing import CostEstimate, estimate
from reconciler.comment.verification import VerificationView, verification_views
from reconciler.core.findings import Finding, count_errors, sort_findings
from reconciler.core.plan import Action, Plan, Removal
from reconciler.core.plan_scope import partial_warning
from reconciler.core.render import render_action
from reconciler.core.saved_plan import plan_digest
from reconciler.manifests.model import Manifests

SUMMARY_KEYS = {"create": "add", "update": "change", "delete": "destroy", "wait": "wait"}


@dataclass(frozen=True, slots=True)
class FindingView:
    rule: str
    severity: str
    location: str
    message: str
    fix: str


@dataclass(frozen=True, slots=True)
class ActionView:
    address: str
    change: str
    operation: str
    account: str
    # The request as the text plan shows it (already free of control characters), for a ```diff block.
    text: str
    outcome: str = ""  # from the apply report: done | failed | skipped | timed_out
    message: str = ""


@dataclass(frozen=True, slots=True)
class RegionView:
    region: str
    actions: tuple[ActionView, ...]
    removals: tuple[Removal, ...] = ()
    hidden: int = 0  # actions left out to respect the comment size limit


@dataclass(frozen=True, slots=True)
class GroupView:
    name: str
    counts: Mapping[str, int]
    regions: tuple[RegionView, ...]
    continued: bool = False


@dataclass(frozen=True, slots=True)
class ReportView:
    succeeded: bool
    summary: Mapping[str, int]
    problems: tuple[tuple[str, str, str], ...]  # (address, outcome, message) of steps not done
    started_at: str
    finished_at: str
    # Smoke verification of the capacity the apply made ready (spec.verify).
    verifications: tuple[VerificationView, ...] = ()

    @property
    def verification_failures(self) -> int:
        return sum(1 for verification in self.verifications if not verification.passed)


@dataclass(frozen=True, slots=True)
class CommentContext:
    title: str
    plan: Plan
    counts: Mapping[str, int]
    findings: tuple[FindingView, ...]
    # Policy/preflight errors: the plan is blocked (apply refuses it) until they are fixed.
    blocking_errors: int
    warnings: tuple[str, ...]
    groups: tuple[GroupView, ...]
    cost: CostEstimate
    flows: tuple[Flow, ...]
    # sha256 of the plan's canonical JSON: the same digest the apply report records for the file applied.
    plan_digest: str = ""
    report: ReportView | None = None
    artifact_url: str = ""
    run_url: str = ""
    commit: str = ""
    extra: Mapping[str, Any] = field(default_factory=dict)


def finding_views(findings: Sequence[Finding]) -> tuple[FindingView, ...]:
    """Errors first, then by place in the manifests (the order `plan` prints them in)."""
    return tuple(FindingView(f.rule, f.severity, f.where, f.message, f.fix) for f in sort_findings(findings))


def report_view(report: Mapping[str, Any]) -> ReportView:
    steps = report.get("steps", [])
    return ReportView(
        succeeded=bool(report.get("succeeded")),
        summary=dict(report.get("summary", {})),
        problems=tuple(
            (str(s.get("address", "")), str(s.get("outcome", "")), str(s.get("message", "")))
            for s in steps
            if s.get("outcome") != "done"
        ),
        started_at=str(report.get("started_at", "")),
        finished_at=str(report.get("finished_at", "")),
        verifications=verification_views(report.get("verifications", [])),
    )


def _action_view(action: Action, outcomes: Mapping[str, tuple[str, str]]) -> ActionView:
    lines = [line[2:] for line in render_action(action, color=False)]
    outcome, message = outcomes.get(action.address, ("", ""))
    return ActionView(
        action.address, action.change, action.operation, action.account, "\n".join(lines), outcome, message
    )


def build_groups(
    plan: Plan, manifests: Manifests | None, report: Mapping[str, Any] | None = None
) -> tuple[GroupView, ...]:
    names = frozenset(env.name for env in manifests.environments) if manifests else frozenset()
    owners = {env.account_id: env.name for env in manifests.environments} if manifests else {}
    outcomes = {
        str(s.get("address")): (str(s.get("outcome", "")), str(s.get("message", "")))
        for s in (report or {}).get("steps", [])
    }

    def group(address: str, account: str) -> str:
        return environment_of(address, account, environments=names, environment_of_account=owners)

    actions: dict[str, list[Action]] = {}
    for action in plan.actions:
        actions.setdefault(group(action.address, action.account), []).append(action)
    removals: dict[str, list[Removal]] = {}
    for removal in plan.removals:
        removals.setdefault(group(removal.address, removal.account), []).append(removal)
    order = tuple(env.name for env in manifests.environments) if manifests else ()
    views = []
    for name in group_order(set(actions) | set(removals), order):
        mine = sorted(actions.get(name, []), key=lambda a: (a.region, a.wave, a.address))
        gone = sorted(removals.get(name, []), key=lambda r: (r.region, r.address))
        counts = {"add": 0, "change": 0, "destroy": 0, "wait": 0, "pending_prune": len(gone)}
        for action in mine:
            counts[SUMMARY_KEYS[action.change]] += 1
        regions = sorted({a.region for a in mine} | {r.region for r in gone})
        by_region = {r: list(g) for r, g in groupby(mine, key=lambda a: a.region)}
        views.append(
            GroupView(
                name,
                counts,
                tuple(
                    RegionView(
                        region,
                        tuple(_action_view(a, outcomes) for a in by_region.get(region, [])),
                        tuple(r for r in gone if r.region == region),
                    )
                    for region in regions
                ),
            )
        )
    return tuple(views)


def build_context(
    plan: Plan,
    *,
    title: str = "bedrock-gitops plan",
    manifests: Manifests | None = None,
    findings: Sequence[Finding] | None = None,
    report: Mapping[str, Any] | None = None,
    artifact_url: str = "",
    run_url: str = "",
    commit: str = "",
) -> CommentContext:
    """Manifests are used only when they are the ones the plan was computed from (same fingerprint)."""
    if manifests is not None and manifests.fingerprint != plan.manifests_fingerprint:
        manifests = None
    flows = flows_from_manifests(plan, manifests) if manifests else flows_from_plan(plan)
    return CommentContext(
        title=title,
        plan=plan,
        counts=plan.summary(),
        findings=finding_views(plan.findings if findings is None else findings),
        blocking_errors=count_errors(plan.findings if findings is None else findings),
        warnings=((partial_warning(plan.scope),) if plan.scope else ()) + plan.warnings,
        groups=build_groups(plan, manifests, report),
        cost=estimate(plan),
        flows=tuple(flows),
        plan_digest=plan_digest(plan),
        report=report_view(report) if report is not None else None,
        artifact_url=artifact_url,
        run_url=run_url,
        commit=commit,
    )
