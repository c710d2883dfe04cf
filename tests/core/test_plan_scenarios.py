"""The planner over hand-built live states: the scenarios a user meets, from empty to converged."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime
from pathlib import Path

import pytest

from reconciler import MANAGED_BY_TAG, VERSION_TAG
from reconciler.core.desired import DesiredState, desired_state
from reconciler.core.diff import compute_plan, tag_reads
from reconciler.core.live import LiveInvitation, LiveState, Scope
from reconciler.core.plan import Plan, Ref
from reconciler.manifests.load import load_manifests
from tests.core.estates import converged, without
from tests.examples import copy_examples

REPO = Path(__file__).resolve().parents[2]
NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
STAGING = "444455556666"
PROD = "777788889999"
DEV = "111122223333"


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    return copy_examples(tmp_path)


def desired_of(root: Path) -> DesiredState:
    return desired_state(load_manifests(root))


def plan_of(desired: DesiredState, live: LiveState, *, prune: bool = False) -> Plan:
    return compute_plan(desired, live, manifests_fingerprint="f" * 64, prune=prune, now=NOW)


def by_address(plan: Plan) -> dict[str, tuple[str, str]]:
    return {a.address: (a.change, a.operation) for a in plan.actions}


def test_empty_estate_plans_every_share_copy_and_capacity() -> None:
    plan = plan_of(desired_of(REPO), LiveState({}))
    actions = by_address(plan)
    assert actions["share/financial-analyst/v1"] == ("create", "CreateResourceShare")
    assert actions["prod/us-east-1/financial-analyst/copy"] == ("create", "CreateModelCopyJob")
    assert actions["prod/us-east-1/financial-analyst/throughput"] == (
        "create",
        "CreateProvisionedModelThroughput",
    )
    assert actions["dev/us-east-1/support-summarizer/deployment"] == ("create", "CreateCustomModelDeployment")
    # dev runs financial-analyst v2 in its own source Region: no copy, no share to itself.
    assert "dev/us-east-1/financial-analyst/copy" not in actions
    assert plan.summary() == {"add": 10, "change": 0, "destroy": 0, "wait": 0, "pending_prune": 0}
    share = next(a for a in plan.actions if a.address == "share/financial-analyst/v2")
    assert share.params["allowExternalPrincipals"] is False
    assert share.params["principals"] == [STAGING]


def test_actions_come_in_dependency_waves() -> None:
    plan = plan_of(desired_of(REPO), LiveState({}))
    wave = {a.address: a.wave for a in plan.actions}
    assert wave["share/financial-analyst/v1"] < wave["prod/us-east-1/financial-analyst/copy"]
    assert wave["prod/us-east-1/financial-analyst/copy"] < wave["prod/us-east-1/financial-analyst/throughput"]
    throughput = next(a for a in plan.actions if a.address == "prod/us-east-1/financial-analyst/throughput")
    assert throughput.params["modelId"] == Ref("prod/us-east-1/financial-analyst/copy", "targetModelArn")
    assert throughput.params["commitmentDuration"] == "OneMonth"
    assert [a.wave for a in plan.actions] == sorted(a.wave for a in plan.actions)


def test_converged_estate_has_no_changes() -> None:
    desired = desired_of(REPO)
    plan = plan_of(desired, converged(desired))
    assert plan.actions == ()
    assert plan.removals == ()
    assert not plan.has_changes
    assert plan.warnings == ()


def test_partly_converged_estate_plans_only_what_is_missing() -> None:
    desired = desired_of(REPO)
    live = without(
        converged(desired),
        Scope(PROD, "us-east-1"),
        model="financial-analyst-v1",
        job="financial-analyst-v1",
        throughput="prod-financial-analyst",
    )
    assert by_address(plan_of(desired, live)) == {
        "prod/us-east-1/financial-analyst/copy": ("create", "CreateModelCopyJob"),
        "prod/us-east-1/financial-analyst/throughput": ("create", "CreateProvisionedModelThroughput"),
    }


def test_copy_deleted_out_of_band_is_recreated_with_a_new_token() -> None:
    desired = desired_of(REPO)
    full = converged(desired)
    scope = Scope(STAGING, "us-east-1")
    # The copy is gone, its completed job is still listed, the throughput still points at the old ARN.
    drifted = without(full, scope, model="financial-analyst-v2")
    fresh = without(full, scope, model="financial-analyst-v2", job="financial-analyst-v2")
    drift_plan, fresh_plan = plan_of(desired, drifted), plan_of(desired, fresh)
    copy = next(a for a in drift_plan.actions if a.address == "staging/us-east-1/financial-analyst/copy")
    assert copy.change == "create"
    assert "deleted outside bedrock-gitops" in copy.reason
    fresh_copy = next(a for a in fresh_plan.actions if a.address == copy.address)
    assert copy.params["clientRequestToken"] != fresh_copy.params["clientRequestToken"]
    # The throughput is repointed at the new copy once it exists.
    assert by_address(drift_plan)["staging/us-east-1/financial-analyst/throughput"] == (
        "update",
        "UpdateProvisionedModelThroughput",
    )


def test_copy_job_in_progress_is_waited_on_not_restarted() -> None:
    desired = desired_of(REPO)
    full = converged(desired)
    scope = Scope(PROD, "us-east-1")
    live = without(full, scope, model="financial-analyst-v1", throughput="prod-financial-analyst")
    state = live.scopes[scope]
    jobs = tuple(dataclasses.replace(j, status="InProgress", target_model_arn=None) for j in state.copy_jobs)
    live = LiveState({**live.scopes, scope: dataclasses.replace(state, copy_jobs=jobs)}, live.tags)
    actions = by_address(plan_of(desired, live))
    assert actions["prod/us-east-1/financial-analyst/copy"] == ("wait", "GetModelCopyJob")
    assert actions["prod/us-east-1/financial-analyst/throughput"] == (
        "create",
        "CreateProvisionedModelThroughput",
    )


def test_version_bump_repoints_throughput_in_place(repo: Path) -> None:
    live = converged(desired_of(repo))
    text = (repo / "environments/staging.yaml").read_text()
    (repo / "environments/staging.yaml").write_text(text.replace("version: v2", "version: v1"))
    plan = plan_of(desired_of(repo), live)
    actions = by_address(plan)
    for region in ("us-east-1",):
        assert actions[f"staging/{region}/financial-analyst/copy"] == ("create", "CreateModelCopyJob")
        assert actions[f"staging/{region}/financial-analyst/throughput"] == (
            "update",
            "UpdateProvisionedModelThroughput",
        )
        assert actions[f"staging/{region}/financial-analyst/throughput/tags"] == ("update", "TagResource")
    assert not any(a.change == "delete" for a in plan.actions)
    update = next(a for a in plan.actions if a.address == "staging/us-east-1/financial-analyst/throughput")
    assert update.params["desiredModelId"] == Ref(
        "staging/us-east-1/financial-analyst/copy", "targetModelArn"
    )
    assert (update.before, update.after) == ({"version": "v2"}, {"version": "v1"})
    # staging now needs v1, so the v1 share gains staging as a principal.
    assert actions["share/financial-analyst/v1/principal/444455556666"] == (
        "create",
        "AssociateResourceShare",
    )
    # The v2 copies are no longer pinned: shown for removal, not removed.
    assert {r.kind for r in plan.removals} == {"copy", "share-principal"}
    assert plan.summary()["destroy"] == 0


def test_model_removed_from_environment_is_shown_not_removed(repo: Path) -> None:
    live = converged(desired_of(repo))
    text = (repo / "environments/staging.yaml").read_text()
    cut = text.index("    - name: support-summarizer")
    (repo / "environments/staging.yaml").write_text(text[:cut])
    plan = plan_of(desired_of(repo), live)
    assert plan.actions == ()
    kinds = sorted((r.kind, r.address) for r in plan.removals)
    assert ("deployment", "444455556666/us-east-1/deployment/staging-support-summarizer") in kinds
    assert all("pruning is disabled" in r.blocked_by for r in plan.removals)
    pruned = plan_of(desired_of(repo), live, prune=True)
    assert {a.operation for a in pruned.actions} == {
        "DeleteCustomModelDeployment",
        "DeleteCustomModel",
        "DisassociateResourceShare",
        "DeleteResourceShare",
    }
    copy_delete = next(a for a in pruned.actions if a.operation == "DeleteCustomModel")
    assert copy_delete.depends_on == ("444455556666/us-east-1/deployment/staging-support-summarizer",)
    # Nobody runs support-summarizer v1 any more: after its last principal, the share itself goes.
    principal = next(a for a in pruned.actions if a.operation == "DisassociateResourceShare")
    share_delete = next(a for a in pruned.actions if a.operation == "DeleteResourceShare")
    assert share_delete.address == "111122223333/us-east-1/share/bedrock-gitops-support-summarizer-v1"
    assert share_delete.depends_on == (principal.address,)


def test_prune_never_deletes_a_committed_throughput(repo: Path) -> None:
    live = converged(desired_of(repo))
    text = (repo / "environments/prod.yaml").read_text()
    (repo / "environments/prod.yaml").write_text(text[: text.index("  models:")] + "  models: []\n")
    plan = plan_of(desired_of(repo), live, prune=True)
    assert not any(a.operation == "DeleteProvisionedModelThroughput" for a in plan.actions)
    committed = [r for r in plan.removals if r.kind == "provisioned-throughput"]
    assert len(committed) == 1
    assert all("OneMonth commitment runs until" in r.blocked_by for r in committed)
    # ... nor the copies that the committed throughputs still serve.
    assert not any(a.operation == "DeleteCustomModel" for a in plan.actions)


def test_unmanaged_resources_are_never_touched() -> None:
    desired = desired_of(REPO)
    live = converged(desired)
    scope = Scope(STAGING, "us-east-1")
    throughput = next(t for t in live.scopes[scope].throughputs if t.name == "staging-financial-analyst")
    # The same name, but without our tags (someone made it by hand): left alone, with a warning.
    untagged = LiveState(live.scopes, {**live.tags, throughput.arn: {"team": "research"}})
    plan = plan_of(desired, untagged, prune=True)
    assert plan.actions == ()
    assert any("not managed by bedrock-gitops" in w for w in plan.warnings)


def test_pending_invitation_is_accepted_before_copying() -> None:
    desired = desired_of(REPO)
    full = converged(desired)
    share = next(
        s for s in full.scopes[Scope(DEV, "us-east-1")].shares if s.name.endswith("financial-analyst-v1")
    )
    invitation = LiveInvitation(
        "arn:aws:ram:us-east-1:111122223333:resource-share-invitation/abc",
        share.arn,
        share.name,
        DEV,
        PROD,
        "PENDING",
    )
    scope = Scope(PROD, "us-east-1")
    live = without(full, scope, model="financial-analyst-v1", job="financial-analyst-v1")
    live = LiveState(
        {**live.scopes, scope: dataclasses.replace(live.scopes[scope], invitations=(invitation,))}, live.tags
    )
    plan = plan_of(desired, live)
    accept = next(a for a in plan.actions if a.operation == "AcceptResourceShareInvitation")
    assert (accept.account, accept.address) == (PROD, "share/financial-analyst/v1/accept/777788889999")
    copy = next(a for a in plan.actions if a.address == "prod/us-east-1/financial-analyst/copy")
    assert copy.depends_on == (accept.address,)
    assert copy.wave > accept.wave


def test_tag_reads_ask_only_where_the_plan_would_act(repo: Path) -> None:
    live = converged(desired_of(repo))
    assert MANAGED_BY_TAG in next(iter(live.tags.values()))
    assert VERSION_TAG in next(iter(live.tags.values()))
    # Converged: every capacity already serves its model, so no tag is needed (and none is read).
    assert tag_reads(desired_of(repo), live) == {}
    untagged = LiveState(live.scopes)
    assert plan_of(desired_of(repo), untagged).actions == ()
    assert plan_of(desired_of(repo), untagged).warnings == ()
    # A version bump repoints staging's throughputs: only those need their tags read first.
    staging = repo / "environments/staging.yaml"
    staging.write_text(staging.read_text().replace("version: v2", "version: v1"))
    reads = tag_reads(desired_of(repo), live)
    assert sorted(arn for arns in reads.values() for arn in arns) == sorted(
        t.arn
        for scope, state in live.scopes.items()
        if scope.account == STAGING
        for t in state.throughputs
        if t.name == "staging-financial-analyst"
    )
    # Capacity no longer declared is a removal candidate: its tags are read.
    prod = repo / "environments/prod.yaml"
    text = prod.read_text()
    prod.write_text(text[: text.index("  models:")] + "  models: []\n")
    reads = tag_reads(desired_of(repo), live)
    assert len([arn for scope, arns in reads.items() if scope.account == PROD for arn in arns]) == 1


def test_generated_names_and_tokens_match_botocore_patterns() -> None:
    import re

    plan = plan_of(desired_of(REPO), LiveState({}))
    name = re.compile(r"([0-9a-zA-Z][_-]?){1,63}")
    token = re.compile(r"[a-zA-Z0-9]([-a-zA-Z0-9]{0,254}[a-zA-Z0-9])?")
    for action in plan.actions:
        for key in ("targetModelName", "provisionedModelName", "modelDeploymentName"):
            if key in action.params:
                assert name.fullmatch(action.params[key])
                assert len(action.params[key]) <= 63
        if "clientRequestToken" in action.params:
            assert token.fullmatch(action.params["clientRequestToken"])
