"""Three quick merges: GitHub cancels the middle apply run, so the run that starts must cover every pull
request merged since the last successful apply, verify the fresh plan against all their reviewed plans, and
comment on each (ci/covered.py, ci/merge.py). The sandbox stands in for AWS, a local server for GitHub."""

from __future__ import annotations

from pathlib import Path

import pytest

from reconciler.ci.covered import coverage
from reconciler.cli import main
from reconciler.github.api import GitHub
from reconciler.pipeline import make_plan
from tests.examples import copy_examples
from tests.gitops.conftest import ActionsEnv, apply_merged_in_sandbox
from tests.gitops.fake_github import FakeState

APPLIED, M1, M2, M3 = ("a0" * 20, "a1" * 20, "a2" * 20, "a3" * 20)
STAGING_UNITS = ("environments/staging.yaml", "modelUnits: 1", "modelUnits: 2")
DEV_DESCRIPTION = ("environments/dev.yaml", "tried out.", "tried out (described better).")


def edit(root: Path, change: tuple[str, str, str]) -> None:
    path = root / change[0]
    text = path.read_text()
    assert change[1] in text
    path.write_text(text.replace(change[1], change[2], 1))


def apply_run(state: FakeState, run_id: int, sha: str, conclusion: str, created_at: str) -> None:
    state.workflow_runs.append(
        {
            "id": run_id,
            "path": ".github/workflows/apply.yml",
            "head_sha": sha,
            "head_branch": "main",
            "event": "push",
            "status": "completed",
            "conclusion": conclusion,
            "created_at": created_at,
        }
    )


def review(state: FakeState, branch: Path, tmp_path: Path, number: int, head: str) -> None:
    """What the plan workflow leaves for pull request `number` whose branch holds `branch`'s manifests."""
    plan_file = tmp_path / f"plan-{number}" / "plan.json"
    assert main(["plan", "--sandbox", "--root", str(branch), "-out", str(plan_file)]) == 0
    state.add_reviewed_plan(number, head, plan_file.read_text(), run_id=9000 + number, artifact_id=number)


def merged(state: FakeState, number: int, merge_sha: str, files: list[str], minute: int) -> None:
    state.add_merge(number, merge_sha, files, f"2026-11-25T09:{minute:02d}:00Z", head=f"{number:040d}")


def branch_of(main_repo: Path, tmp_path: Path, number: int, change: tuple[str, str, str]) -> Path:
    branch = copy_examples(tmp_path / f"branch-{number}")
    edit(branch, change)
    return branch


def three_quick_merges(state: FakeState, main_repo: Path, tmp_path: Path) -> None:
    """#31 (staging resized) and #33 (a description in dev) were branched from the last applied commit and
    planned apart; #32 changed no manifests. The apply run of #31 stopped, #32's was cancelled."""
    state.history.append(APPLIED)
    apply_run(state, 500, APPLIED, "success", "2026-11-25T08:00:00Z")
    review(state, branch_of(main_repo, tmp_path, 31, STAGING_UNITS), tmp_path, 31, f"{31:040d}")
    review(state, branch_of(main_repo, tmp_path, 33, DEV_DESCRIPTION), tmp_path, 33, f"{33:040d}")
    merged(state, 31, M1, ["environments/staging.yaml"], 1)
    merged(state, 32, M2, ["README.md"], 2)
    merged(state, 33, M3, ["environments/dev.yaml"], 3)
    apply_run(state, 501, M1, "failure", "2026-11-25T09:01:30Z")
    apply_run(state, 502, M2, "cancelled", "2026-11-25T09:02:30Z")
    edit(main_repo, STAGING_UNITS)
    edit(main_repo, DEV_DESCRIPTION)


def test_the_apply_that_runs_covers_every_merge_since_the_last_successful_one_and_comments_on_each(
    manifests_repo: Path,
    sandbox_dir: Path,
    actions_env: ActionsEnv,
    fake_github: tuple[FakeState, str],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    state, _ = fake_github
    three_quick_merges(state, manifests_repo, tmp_path)
    actions_env("push", {"ref": "refs/heads/main"}, sha=M3)
    assert main(["ci", "covered-prs"]) == 0
    out = capsys.readouterr().out
    assert f"merged since the last successful apply (apply.yml at {APPLIED[:12]}): #31, #32, #33" in out
    assert "#32 change 32 (merged 2026-11-25T09:02:00Z)" in out

    code, calls = apply_merged_in_sandbox(manifests_repo, sandbox_dir, tmp_path / "work")
    assert code == 0
    assert calls == [tmp_path / "work" / "fresh-plan.json"]  # no single reviewed file: the fresh plan
    for number in (31, 32, 33):
        (body,) = state.comment_bodies(number)
        assert body.startswith("<!-- bedrock-gitops:apply part=1 -->"), number
        assert "Apply complete" in body
        assert "merged since the last successful apply: #31, #32, #33" in body
    assert not make_plan(manifests_repo, sandbox=True).plan.has_changes
    # The resize #31 was reviewed for is what was applied.
    assert "every request of the fresh plan was reviewed (in #31, #33)" in capsys.readouterr().out


def test_a_change_no_covered_pull_request_reviewed_stops_and_says_so_on_each(
    manifests_repo: Path,
    sandbox_dir: Path,
    actions_env: ActionsEnv,
    fake_github: tuple[FakeState, str],
    tmp_path: Path,
) -> None:
    state, _ = fake_github
    three_quick_merges(state, manifests_repo, tmp_path)
    # Pushed to main without review after #33: 3 units for staging, a request no covered PR showed.
    edit(manifests_repo, ("environments/staging.yaml", "modelUnits: 2", "modelUnits: 3"))
    actions_env("push", {"ref": "refs/heads/main"}, sha=M3)
    code, calls = apply_merged_in_sandbox(manifests_repo, sandbox_dir, tmp_path / "work")
    assert code == 1
    assert calls == []
    for number in (31, 32, 33):
        (body,) = state.comment_bodies(number)
        assert "stopped, nothing was applied" in body
        assert "were reviewed to do" in body
        assert "merged since the last successful apply: #31, #32, #33" in body
    assert (
        "staging/us-east-1/financial-analyst/throughput: differs from every reviewed request"
        in (state.comment_bodies(31)[0])
    )
    assert make_plan(manifests_repo, sandbox=True).plan.has_changes  # AWS untouched


def test_a_pull_request_that_changed_manifests_without_a_plan_stops_the_apply(
    manifests_repo: Path,
    actions_env: ActionsEnv,
    fake_github: tuple[FakeState, str],
    tmp_path: Path,
) -> None:
    state, _ = fake_github
    three_quick_merges(state, manifests_repo, tmp_path)
    state.pull_files[32] = ["environments/prod.yaml"]  # #32 had no plan, yet changed the manifests
    actions_env("push", {"ref": "refs/heads/main"}, sha=M3)
    argv = ["ci", "apply-merged", "--sandbox", "--root", str(manifests_repo), "--workdir", str(tmp_path)]
    assert main(argv) == 1
    for number in (31, 32, 33):
        body = state.comment_bodies(number)[0]
        assert "stopped, nothing was applied" in body
        head = f"{32:040d}"  # #32's last commit (see `merged`)
        assert f"no successful run of plan.yml for the last commit {head[:12]} of &#35;" in body


def _covered(github: GitHub, head: str) -> tuple[tuple[int, ...], str]:
    found = coverage(github, head, workflow="apply.yml", branch="main")
    return found.numbers, found.note


def test_the_coverage_rule(
    github: GitHub, fake_github: tuple[FakeState, str], manifests_repo: Path, tmp_path: Path
) -> None:
    state, _ = fake_github
    state.history.append(APPLIED)
    for number, sha, minute in ((31, M1, 1), (32, M2, 2), (33, M3, 3)):
        merged(state, number, sha, ["environments/dev.yaml"], minute)
    # No successful apply yet: the run answers for its own merge only, and says so.
    numbers, note = _covered(github, M3)
    assert numbers == (33,)
    assert "no successful run of apply.yml on main yet" in note
    # A successful run on a pull request's branch or on another event is no marker.
    apply_run(state, 600, M2, "success", "2026-11-25T09:05:00Z")
    state.workflow_runs[-1]["event"] = "workflow_dispatch"
    assert _covered(github, M3)[0] == (33,)
    apply_run(state, 601, APPLIED, "success", "2026-11-25T08:00:00Z")
    assert _covered(github, M3)[0] == (31, 32, 33)
    # #31's apply succeeded since: the next run covers what came after it.
    apply_run(state, 602, M1, "success", "2026-11-25T09:01:30Z")
    assert _covered(github, M3)[0] == (32, 33)
    # Re-running the last successful commit covers its own pull request.
    apply_run(state, 603, M3, "success", "2026-11-25T09:10:00Z")
    assert _covered(github, M3)[0] == (33,)
    # History rewritten under the marker: it cannot be compared, and the run says so.
    apply_run(state, 604, "dead" * 10, "success", "2026-11-25T09:20:00Z")
    numbers, note = _covered(github, M3)
    assert numbers == (33,)
    assert "diverged: history rewritten?" in note
