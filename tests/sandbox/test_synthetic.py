"""Generated estates (reconciler/sandbox/synthetic.py through benchmarks/estate.py), and the simulation's
settling shortcut: skipping the walk over the estate must never hide work that is due."""

from __future__ import annotations

from pathlib import Path

import pytest

from benchmarks.estate import Shape, account_id, generate
from reconciler.cli import main
from reconciler.pipeline import make_plan
from reconciler.sandbox.clock import SandboxClock
from reconciler.sandbox.estate import SandboxEstate
from tests.sandbox.clients import role_session

SMALL = Shape(accounts=3, regions=2, models=3, versions=2)


def _generated(tmp_path: Path, **kwargs: object) -> tuple[Path, Path, list[str]]:
    root, sandbox_dir = tmp_path / "repo", tmp_path / "sandbox"
    state, left_out = generate(root, SMALL, **kwargs)  # type: ignore[arg-type]
    with SandboxEstate.open(sandbox_dir) as estate:
        estate.reset(state)
        estate.update_settings(time_scale=0.0)
    return root, sandbox_dir, [action.address for action in left_out]


def test_a_converged_generated_estate_plans_no_changes(tmp_path: Path) -> None:
    root, sandbox_dir, left_out = _generated(tmp_path)
    assert left_out == []
    result = make_plan(root, sandbox=True, sandbox_dir=sandbox_dir)
    assert result.plan.actions == ()
    assert result.plan.removals == ()
    # Every generated account was assumed into, and every one is in the simulated organization.
    assert result.call_counts["sts.AssumeRole"] == SMALL.accounts


def test_a_partly_applied_estate_plans_exactly_what_was_left_out(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root, sandbox_dir, left_out = _generated(
        tmp_path, applied=lambda action: not action.address.startswith("env-0002/")
    )
    assert left_out
    assert all(address.startswith("env-0002/") for address in left_out)
    plan = make_plan(root, sandbox=True, sandbox_dir=sandbox_dir).plan
    assert sorted(a.address for a in plan.actions) == sorted(left_out)
    # What is left (shares, copies, capacity) passes the preflight the strict sandbox mirrors.
    assert [f.message for f in plan.findings if f.severity == "error"] == []
    assert main(["validate", "--root", str(root)]) == 0
    capsys.readouterr()


def test_work_that_falls_due_is_settled_even_when_the_clock_moves_elsewhere(tmp_path: Path) -> None:
    """A copy job started through the hook completes once the clock passes its end, also when the clock
    is moved by another handle on the same sandbox (the apply executor's SandboxClock)."""
    _, sandbox_dir, _ = _generated(tmp_path, applied=lambda action: action.operation != "CreateModelCopyJob")
    target = account_id(1)
    with SandboxEstate.open(sandbox_dir) as estate:
        session = role_session(estate, target)
        shared = session.client("bedrock", region_name="us-east-1").list_custom_models(isOwned=False)
        source = shared["modelSummaries"][0]["modelArn"]
        bedrock = session.client("bedrock", region_name="us-west-2")
        assert bedrock.list_model_copy_jobs()["modelCopyJobSummaries"] == []
        # The generated state holds no copies (left out), so nothing is in flight: the next calls skip
        # settling until a write changes the state.
        job = bedrock.create_model_copy_job(sourceModelArn=source, targetModelName="fresh-copy")["jobArn"]
        assert bedrock.get_model_copy_job(jobArn=job)["status"] == "InProgress"
        SandboxClock(sandbox_dir).sleep(estate.settings()["copy_job_seconds"] + 1)
        assert bedrock.get_model_copy_job(jobArn=job)["status"] == "Completed"
        names = [m["modelName"] for m in bedrock.list_custom_models(isOwned=True)["modelSummaries"]]
        assert "fresh-copy" in names


def test_a_sharded_plan_of_a_partly_applied_estate_is_the_unsharded_plan(tmp_path: Path) -> None:
    """Shares in the source account, invitations and copies in the others, split over 3 shards."""
    from reconciler.core.planfile import plan_to_json
    from reconciler.core.shards import Shard, save_shard
    from reconciler.sharding import merge_plan, read_shard

    root, sandbox_dir, left_out = _generated(
        tmp_path, applied=lambda action: not action.address.startswith("env-0002/")
    )
    whole = make_plan(root, sandbox=True, sandbox_dir=sandbox_dir).plan
    files = []
    for index in (1, 2, 3):
        files.append(tmp_path / f"shard-{index}.json")
        save_shard(read_shard(root, Shard(index, 3), sandbox=True, sandbox_dir=sandbox_dir), files[-1])
    merged = merge_plan(root, files, sandbox=True, sandbox_dir=sandbox_dir).plan
    assert sorted(a.address for a in merged.actions) == sorted(left_out)
    assert plan_to_json(merged) == plan_to_json(whole)
