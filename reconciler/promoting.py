"""The I/O shell of promotion: `promote` (edit an environment, judged by its policies and plan before the
file is written) and `status` (per model, the stages and the versions eligible next).

Both judge through the same evaluation as `plan`: the policies (reconciler/policies) on the manifests as
they would be, and with AWS access the plan-based rules too (convergence of the upstream environment, soak
time on live tags), so a rule added to the policies applies here without a change to this module.
"""

from __future__ import annotations

import dataclasses
import shutil
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from reconciler.core.desired import desired_state
from reconciler.core.diff import compute_plan
from reconciler.core.findings import Finding
from reconciler.core.plan import Action, Plan
from reconciler.manifests.load import load_manifests
from reconciler.manifests.model import Manifests
from reconciler.pipeline import aws_clients, make_plan, plan_with
from reconciler.policies import evaluate_policies
from reconciler.promotion.promote import Promotion, check_promotion, promoted_text
from reconciler.promotion.status import ModelStatus, statuses

MANIFEST_FOLDERS = ("models", "environments")


@dataclass(frozen=True)
class PromoteOutcome:
    file: str  # the environment's file, relative to the root
    changed: bool  # False: the environment already pins that version (and Regions)
    written: bool  # the file was edited (not refused, not a dry run)
    refusals: tuple[Finding, ...]  # the errors of the environment's policies (and checks) that refuse it
    plan: Plan | None  # the environment's part of the plan, when planned


def _sandbox_dir(root: Path, sandbox: bool) -> Path | None:
    if not sandbox:
        return None
    from reconciler.sandbox.estate import sandbox_directory

    return sandbox_directory(root)


def _for_environment(plan: Plan, environment: str, promotion: Promotion) -> Plan:
    """The actions of one environment and the shares of the promoted version; that environment's findings."""

    def concerns(action: Action) -> bool:
        return action.address.startswith((f"{environment}/", f"share/{promotion.model}/{promotion.version}"))

    return dataclasses.replace(
        plan,
        actions=tuple(a for a in plan.actions if concerns(a)),
        removals=tuple(r for r in plan.removals if r.address.startswith(f"{environment}/")),
        findings=tuple(f for f in plan.findings if f.environment in (environment, None)),
    )


def promote(
    root: Path,
    promotion: Promotion,
    *,
    sandbox: bool,
    with_plan: bool = True,
    dry_run: bool = False,
    max_workers: int = 16,
) -> PromoteOutcome:
    manifests = load_manifests(root)
    environment = check_promotion(manifests, promotion)
    file = environment.location.file
    text = (root / file).read_text(encoding="utf-8")
    edited = promoted_text(text, manifests, environment, promotion)
    with tempfile.TemporaryDirectory(prefix="bedrock-gitops-promote-") as scratch:
        trial = Path(scratch)
        for folder in MANIFEST_FOLDERS:
            if (root / folder).is_dir():
                shutil.copytree(root / folder, trial / folder)
        (trial / file).write_text(edited, encoding="utf-8")
        trial_manifests = load_manifests(trial)  # the edit must leave the manifests valid
        plan: Plan | None = None
        if with_plan:
            result = make_plan(
                trial, sandbox=sandbox, max_workers=max_workers, sandbox_dir=_sandbox_dir(root, sandbox)
            )
            findings: Sequence[Finding] = result.plan.findings
            plan = _for_environment(result.plan, environment.name, promotion)
        else:
            findings = evaluate_policies(trial_manifests, desired_state(trial_manifests))
    refusals = tuple(f for f in findings if f.severity == "error" and f.environment == environment.name)
    changed = edited != text
    written = changed and not refusals and not dry_run
    if written:
        (root / file).write_text(edited, encoding="utf-8")
    return PromoteOutcome(file, changed, written, refusals, plan)


def offline_judge(manifests: Manifests) -> Sequence[Finding]:
    """The policies that need no AWS: everything but the plan-based rules."""
    return evaluate_policies(manifests, desired_state(manifests))


def promotion_status(
    root: Path, *, sandbox: bool, offline: bool, models: Sequence[str] = (), max_workers: int = 16
) -> list[ModelStatus]:
    manifests = load_manifests(root)
    if offline:
        return statuses(manifests, offline_judge, models)
    from reconciler.aws.soak_reads import soak_policy_findings

    with aws_clients(manifests, root, sandbox=sandbox) as clients:
        live = plan_with(manifests, clients, max_workers=max_workers).live
        now = datetime.now(UTC)

        def judge(candidate: Manifests) -> Sequence[Finding]:
            desired = desired_state(candidate)
            plan = compute_plan(
                desired, live, manifests_fingerprint=candidate.fingerprint, prune=False, now=now
            )
            return [
                *evaluate_policies(candidate, desired, plan),
                *soak_policy_findings(clients, candidate, desired, live, plan, max_workers=max_workers),
            ]

        return statuses(manifests, judge, models)
