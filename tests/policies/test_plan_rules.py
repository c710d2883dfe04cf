"""The rules that judge a plan (convergence of promotions, protected environments), on hand-made plans
over the example manifests: pure, no AWS."""

from __future__ import annotations

from pathlib import Path

from reconciler.core.desired import desired_state
from reconciler.core.plan import Action, Plan
from reconciler.manifests.load import load_manifests
from reconciler.policies import evaluate_policies
from tests.policies.conftest import Repo

PROD_ACCOUNT = "777788889999"


def action(address: str, change: str = "create", account: str = PROD_ACCOUNT) -> Action:
    return Action(
        address=address,
        change=change,  # type: ignore[arg-type]
        service="bedrock",
        operation={"create": "CreateModelCopyJob", "delete": "DeleteCustomModel"}.get(
            change, "GetModelCopyJob"
        ),
        account=account,
        region="us-west-2",
        params={},
        reason="test",
    )


def plan(*actions: Action) -> Plan:
    return Plan(actions, (), "a" * 64, "b" * 64, "2026-11-25T10:00:00+00:00")


def findings_for(root: Path, the_plan: Plan) -> list[tuple[str, str, str]]:
    manifests = load_manifests(root)
    found = evaluate_policies(manifests, desired_state(manifests), the_plan)
    return [(f.rule, f.severity, f.message) for f in found]


def test_a_version_both_pin_may_enter_once_the_source_has_its_copies(repo: Repo) -> None:
    repo.edit("environments/prod.yaml", "      version: v1", "      version: v2")
    entering = action("prod/us-west-2/financial-analyst/copy")
    assert findings_for(repo.root, plan(entering)) == []  # staging has nothing left to do
    pending = action("staging/us-west-2/financial-analyst/copy", "wait", "444455556666")
    [(rule, severity, message)] = findings_for(repo.root, plan(entering, pending))
    assert (rule, severity) == ("promotedFrom", "error")
    assert "staging has not converged on it" in message
    # Already in prod (nothing enters): nothing to judge.
    assert findings_for(repo.root, plan(pending)) == []


def test_a_protected_environment_loses_nothing_without_an_override(repo: Repo) -> None:
    removal = action(f"{PROD_ACCOUNT}/us-west-2/copy/financial-analyst-v0", "delete")
    [(rule, severity, message)] = findings_for(repo.root, plan(removal))
    assert (rule, severity) == ("protected", "error")
    assert message == (
        f"prod is protected, and this plan removes {PROD_ACCOUNT}/us-west-2/copy/financial-analyst-v0 "
        f"(bedrock:DeleteCustomModel in {PROD_ACCOUNT} us-west-2)"
    )
    # Removing a share principal: the environment losing access is the principal's.
    share = action(f"111122223333/us-east-1/share/s/principal/{PROD_ACCOUNT}", "delete", "111122223333")
    assert [f[0] for f in findings_for(repo.root, plan(share))] == ["protected"]
    # Other environments are not protected.
    assert (
        findings_for(repo.root, plan(action("444455556666/us-east-1/copy/x", "delete", "444455556666"))) == []
    )
    repo.edit(
        "environments/prod.yaml",
        "    protected: true",
        f"    protected: true\n    allowRemovals: ['{PROD_ACCOUNT}/us-west-2/*']",
    )
    assert findings_for(repo.root, plan(removal)) == []
    assert [f[0] for f in findings_for(repo.root, plan(share))] == ["protected"]


def test_without_a_plan_only_the_manifest_rules_run(repo: Repo) -> None:
    repo.edit("environments/prod.yaml", "      version: v1", "      version: v2")
    manifests = load_manifests(repo.root)
    assert evaluate_policies(manifests, desired_state(manifests)) == ()
