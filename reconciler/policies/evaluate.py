"""Every policy of every environment, over the manifests, the desired state and (when there is one) the plan.

Each broken rule is a `Finding` located at the manifest value that breaks it, with the rule's severity
(`spec.policies.severity`, default error) and how to fix it.
"""

from __future__ import annotations

from reconciler.core.desired import DesiredState
from reconciler.core.findings import Finding, sort_findings
from reconciler.core.plan import Plan
from reconciler.manifests.model import Manifests
from reconciler.policies.plan_rules import plan_findings
from reconciler.policies.rules import manifest_findings


def evaluate_policies(
    manifests: Manifests, desired: DesiredState, plan: Plan | None = None
) -> tuple[Finding, ...]:
    """Findings of every environment's policies, errors first. Without a plan, the rules that judge changes
    (promotion convergence, protected environments) have nothing to judge and stay silent."""
    findings: list[Finding] = []
    for environment in manifests.environments:
        findings += manifest_findings(manifests, desired, environment)
        if plan is not None:
            findings += plan_findings(manifests, environment, plan)
    return sort_findings(findings)
