"""`apply --shard K/N PLANFILE` through the command line, on the example manifests and the sandbox: each
shard applies the reviewed plan's actions in its own accounts under its own lock, leaves those that need
another shard's actions first, and the shards together converge the estate."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from reconciler.aws.lock import DynamoDbLock, LockSettings
from reconciler.sandbox.estate import SandboxEstate
from tests.apply.support import cli_estate
from tests.examples import run_cli

SOURCE = "111122223333"  # shard 1 of 2; the two other example accounts are shard 2 of 2


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    return cli_estate(tmp_path, monkeypatch, time_scale=20000.0).root  # copy jobs finish in moments


def sharded_plan(capsys: pytest.CaptureFixture[str], repo: Path, folder: Path) -> Path:
    """`plan --shard` for 1/2 and 2/2 into `folder`, then `plan --merge` of both: the reviewed plan."""
    folder.mkdir()
    for index in (1, 2):
        out = folder / f"shard-{index}.json"
        code, _, err = run_cli(
            capsys, "plan", "--sandbox", "-C", str(repo), "--shard", f"{index}/2", "-out", str(out)
        )
        assert code == 0, err
    planfile = folder.parent / f"{folder.name}.tfplan"
    files = [str(p) for p in sorted(folder.glob("*.json"))]
    code, _, err = run_cli(
        capsys, "plan", "--sandbox", "-C", str(repo), "--merge", *files, "-out", str(planfile)
    )
    assert code == 0, err
    return planfile


def apply_shard(
    capsys: pytest.CaptureFixture[str], repo: Path, shard: str, *extra: str
) -> tuple[int, str, str]:
    return run_cli(
        capsys, "apply", "--sandbox", "-C", str(repo), "--poll-seconds", "0.05", "--shard", shard, *extra
    )


def test_shards_apply_their_own_accounts_and_together_converge(
    repo: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    reviewed = sharded_plan(capsys, repo, tmp_path / "first")
    # The target accounts' shard first: everything it does waits for the shares of the source account.
    code, out, err = apply_shard(capsys, repo, "2/2", str(reviewed))
    assert code == 0, err
    assert "Acquired the apply lock " in err
    assert "Deferred " in err
    assert "(another shard)" in err
    code, out, err = apply_shard(capsys, repo, "1/2", str(reviewed))
    assert code == 0, err
    assert "Apply complete!" in out
    assert f"in {SOURCE}" in out
    assert "CreateModelCopyJob" not in out  # copies are in the other shard's accounts
    # The next round: shard 2 applies its part, reading shard 1's accounts from its file (--live-from).
    again = sharded_plan(capsys, repo, tmp_path / "second")
    code, out, err = apply_shard(capsys, repo, "2/2", "--live-from", str(tmp_path / "second"), str(again))
    assert code == 0, err
    assert "Deferred " not in err
    assert "CreateModelCopyJob" in out
    code, out, err = run_cli(capsys, "plan", "--sandbox", "-C", str(repo), "-detailed-exitcode")
    assert code == 0, out + err
    assert "No changes" in out


def test_a_shard_apply_needs_a_reviewed_plan_and_respects_the_estate_lock(
    repo: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = apply_shard(capsys, repo, "1/2", "--auto-approve")
    assert code == 1
    assert "bedrock-gitops plan -out FILE --sandbox --merge SHARD_FILE..." in err
    reviewed = sharded_plan(capsys, repo, tmp_path / "shards")
    with SandboxEstate.open(repo.parent / "sandbox") as estate:
        dynamodb = estate.session().client("dynamodb", region_name="us-east-1")
        whole = DynamoDbLock(dynamodb, LockSettings()).acquire("release train 12", owner="ci on run 7")
        shard = DynamoDbLock(dynamodb, LockSettings(key="bedrock-gitops/shard-2-of-2")).acquire("shard 2")
    code, _, err = apply_shard(capsys, repo, "1/2", str(reviewed))
    assert code == 1
    assert "an apply of the whole estate holds the estate's lock" in err
    assert "ci on run 7" in err
    # Shard 2's own lock is held by another apply of shard 2.
    code, _, err = apply_shard(capsys, repo, "2/2", str(reviewed))
    assert code == 1
    assert f"another apply is running: lock {shard.lock_id}" in err
    code, out, err = run_cli(
        capsys, "force-unlock", "--sandbox", "-C", str(repo), "--shard", "2/2", shard.lock_id, "--force"
    )
    assert code == 0, err
    assert whole.lock_id not in out


def _tag_reads(stderr: str) -> int:
    return sum(int(line.split()[-1]) for line in stderr.splitlines() if "ListTagsForResource" in line)


def test_after_a_resize_the_shards_read_the_tags_the_whole_plan_reads(
    repo: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Tags are read only where a plan would act on existing capacity; a shard decides that from its own
    # environments and must read exactly what the unsharded plan reads in its accounts.
    code, _, err = run_cli(
        capsys, "apply", "--sandbox", "-C", str(repo), "--poll-seconds", "0.05", "--auto-approve"
    )
    assert code == 0, err
    for path in (repo / "environments").glob("*.yaml"):
        path.write_text(path.read_text().replace("modelUnits: 1", "modelUnits: 2"))
    code, whole, err = run_cli(capsys, "plan", "--sandbox", "-C", str(repo), "--json", "--stats")
    assert code == 0, err
    whole_tag_reads = _tag_reads(err)
    assert whole_tag_reads > 0
    shard_reads = 0
    files = []
    for index in (1, 2):
        out = tmp_path / f"shard-{index}.json"
        code, _, err = run_cli(
            capsys, "plan", "--sandbox", "-C", str(repo), "--shard", f"{index}/2", "-out", str(out), "--stats"
        )
        assert code == 0, err
        shard_reads += _tag_reads(err)
        files.append(str(out))
    assert shard_reads == whole_tag_reads
    code, merged, err = run_cli(capsys, "plan", "--sandbox", "-C", str(repo), "--merge", *files, "--json")
    assert code == 0, err
    # The same actions (their tokens hold the plan's time, which the sandbox's clock moves on).
    actions = [
        [(a["operation"], a["address"], a["reason"]) for a in json.loads(text)["actions"]]
        for text in (whole, merged)
    ]
    assert actions[0] == actions[1]
    assert "CreateProvisionedModelThroughput" in {operation for operation, _, _ in actions[0]}, actions[0]
