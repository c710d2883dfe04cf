"""Sharded plans through the command line (`plan --shard K/N -out FILE`, `plan --merge FILE...`, `comment`),
on the example manifests and the sandbox: the merged plan and its PR comment are the unsharded ones, a shard
reads only its accounts, and shard files that do not belong together are refused."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from reconciler.cli import main
from reconciler.core.shards import parse_shard, shard_of
from tests.examples import example_repo, run_cli

SOURCE = "111122223333"  # the examples' model source account
TARGETS = ("444455556666", "777788889999")


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of the example manifests with its own sandbox, on a frozen clock (plans made one after the
    other are stamped with the same time)."""
    return example_repo(tmp_path, monkeypatch, time_scale=0.0)


def shard_files(capsys: pytest.CaptureFixture[str], repo: Path, count: int) -> list[str]:
    files = []
    for index in range(1, count + 1):
        path = repo.parent / f"shard-{index}-of-{count}.json"
        code, out, err = run_cli(
            capsys, "plan", "--sandbox", "--root", str(repo), "--shard", f"{index}/{count}", "-out", str(path)
        )
        assert code == 0, err
        assert f"Shard {index}/{count}: read " in out
        files.append(str(path))
    return files


def test_the_split_is_a_stable_hash_of_the_account_id() -> None:
    # sha256("111122223333") mod 2 = 0 and mod 4 = 2: fixed forever, whatever the machine or the order.
    assert shard_of(SOURCE, 2) == 1
    assert shard_of(SOURCE, 4) == 3
    assert [shard_of(a, 2) for a in TARGETS] == [2, 2]
    counts = [0, 0, 0, 0]
    for n in range(4000):
        counts[shard_of(f"{100000000000 + n * 7919:012d}", 4) - 1] += 1
    assert min(counts) > 900  # about a quarter each


@pytest.mark.parametrize("count", [2, 4])
def test_the_merged_plan_and_comment_equal_the_unsharded_ones(
    repo: Path, capsys: pytest.CaptureFixture[str], count: int
) -> None:
    whole, merged = repo.parent / "whole.json", repo.parent / "merged.json"
    code, whole_text, err = run_cli(capsys, "plan", "--sandbox", "--root", str(repo), "-out", str(whole))
    assert code == 0, err
    files = shard_files(capsys, repo, count)
    code, merged_text, err = run_cli(
        capsys, "plan", "--sandbox", "--root", str(repo), "--merge", *files, "-out", str(merged)
    )
    assert code == 0, err
    assert merged_text.replace(str(merged), "FILE") == whole_text.replace(str(whole), "FILE")
    plan = json.loads(merged.read_text())
    assert plan == json.loads(whole.read_text())
    # A real plan: shares in the source account, copies and capacity in the others, depending on them.
    assert {a["account"] for a in plan["actions"]} == {SOURCE, *TARGETS}
    assert any(a["depends_on"] for a in plan["actions"] if a["account"] != SOURCE)
    comments = []
    for planfile in (whole, merged):
        code, out, err = run_cli(capsys, "comment", str(planfile), "--root", str(repo))
        assert code == 0, err
        comments.append(out)
    assert comments[0] == comments[1]
    assert "| prod |" in comments[0]
    code, merged_json, _ = run_cli(
        capsys, "plan", "--sandbox", "--root", str(repo), "--merge", *files, "--json"
    )
    code, whole_json, _ = run_cli(capsys, "plan", "--sandbox", "--root", str(repo), "--json")
    assert merged_json == whole_json


def test_a_shard_reads_only_its_accounts(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    first, second = (json.loads(Path(f).read_text()) for f in shard_files(capsys, repo, 2))
    assert first["accounts"] == [SOURCE]
    assert second["accounts"] == sorted(TARGETS)
    for shard in (first, second):
        assert {s["account"] for s in shard["live"]["scopes"]} == set(shard["accounts"])
        # One role assumed per account of the shard, and none of the others'.
        assert shard["call_counts"]["sts.AssumeRole"] == len(shard["accounts"])


def test_shard_files_that_do_not_belong_together_are_refused(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    one, two = shard_files(capsys, repo, 2)
    (four,) = shard_files(capsys, repo, 4)[:1]

    def merge(*files: str) -> str:
        code, out, err = run_cli(capsys, "plan", "--sandbox", "--root", str(repo), "--merge", *files)
        assert code == 1
        assert "Traceback" not in err
        assert "nothing was planned" in err or "is not a shard file" in err
        assert out == ""
        return err

    assert "shard(s) 2/2 missing" in merge(one)
    assert "shard 1/2 is given twice" in merge(one, one, two)
    assert "split the estate differently (N = 2, 4)" in merge(one, two, four)
    # The manifests changed after the shards read: another commit's shards.
    staging = repo / "environments" / "staging.yaml"
    staging.write_text(staging.read_text().replace("modelUnits: 1", "modelUnits: 2", 1))
    assert "was read for other manifests" in merge(one, two)
    # A plan is not a shard file.
    planfile = repo.parent / "plan.json"
    assert main(["plan", "--sandbox", "--root", str(repo), "-out", str(planfile)]) == 0
    capsys.readouterr()
    assert "it is a saved plan" in merge(one, str(planfile))


def test_a_shard_file_edited_to_hold_another_shards_account_is_refused(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    one, two = shard_files(capsys, repo, 2)
    data = json.loads(Path(one).read_text())
    data["accounts"] = [SOURCE, TARGETS[0]]
    Path(one).write_text(json.dumps(data))
    code, _, err = run_cli(capsys, "plan", "--sandbox", "--root", str(repo), "--merge", one, two)
    assert code == 1
    assert "not the shard's" in err


def test_shard_arguments_are_checked(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run_cli(capsys, "plan", "--sandbox", "--root", str(repo), "--shard", "1/2")
    assert code == 1
    assert "add -out FILE" in err
    for bad, says in (("3/2", "K must be 1 to 2"), ("0/2", "K must be 1 to 2"), ("1/300", "N must be")):
        code, _, err = run_cli(capsys, "plan", "--sandbox", "--root", str(repo), "--shard", bad, "-out", "x")
        assert code == 1
        assert says in err
    assert str(parse_shard("2/4")) == "2/4"
    code, _, err = run_cli(capsys, "plan", "--root", str(repo), "--shard", "1/2", "--merge", "x")
    assert code == 1
    assert "not allowed with argument" in err
