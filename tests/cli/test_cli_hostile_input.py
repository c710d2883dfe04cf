"""QA findings: bad arguments, bad settings and broken pipes get a clear error (exit 1), never an
"Internal error", a traceback, or an exit code that `-detailed-exitcode` would read as "changes"."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from reconciler.cli import main
from reconciler.core.apply_report import StepResult
from reconciler.core.plan import Action
from reconciler.progress import LineProgress, TerminalProgress
from tests.examples import example_repo, run_cli


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    return example_repo(tmp_path, monkeypatch)


def assert_clear_error(code: int, err: str, *words: str) -> None:
    assert code == 1, err
    assert "Internal error" not in err
    assert "Traceback" not in err
    for word in words:
        assert word in err


# -- usage errors never exit 2 (= "changes" under -detailed-exitcode) ---------------------------------


@pytest.mark.parametrize(
    "argv",
    [
        ["plan", "-detailed-exitcode", "--no-such-flag"],
        ["plan", "--max-workers", "many"],
        ["no-such-command"],
    ],
)
def test_usage_errors_exit_1_not_2(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run_cli(capsys, *argv)
    assert code == 1, err
    assert "usage:" in err


def test_help_still_exits_0(capsys: pytest.CaptureFixture[str]) -> None:
    assert run_cli(capsys, "--help")[0] == 0


@pytest.mark.parametrize(
    ("argv", "option"),
    [
        (["plan", "--sandbox", "--max-workers", "0"], "--max-workers"),
        (["plan", "--sandbox", "--max-workers", "-3"], "--max-workers"),
        (["apply", "--sandbox", "--auto-approve", "--max-workers", "0"], "--max-workers"),
        (["apply", "--sandbox", "--auto-approve", "--timeout", "-1"], "--timeout"),
        (["apply", "--sandbox", "--auto-approve", "--timeout", "0"], "--timeout"),
        (["apply", "--sandbox", "--auto-approve", "--timeout", "nan"], "--timeout"),
        (["apply", "--sandbox", "--auto-approve", "--poll-seconds", "0"], "--poll-seconds"),
        (["apply", "--sandbox", "--auto-approve", "--poll-seconds", "-1"], "--poll-seconds"),
        (["apply", "--sandbox", "--auto-approve", "--poll-seconds", "inf"], "--poll-seconds"),
    ],
)
def test_out_of_range_numbers_are_refused_before_any_aws_call(
    argv: list[str], option: str, repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run_cli(capsys, *argv, "--root", str(repo))
    assert_clear_error(code, err, option)
    # Nothing was touched: the sandbox was not even created.
    assert not (repo.parent / "sandbox").exists()


# -- sandbox settings and clock ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "setting",
    [
        "throttle_rate=2",
        "throttle_rate=-0.1",
        "throttle_rate=nan",
        "latency_seconds=-5",
        "latency_seconds=inf",
        "time_scale=nan",
        "time_scale=-1",
        "copy_job_seconds=-10",
        "failing_copy_targets=777788889999",
        "unreachable_accounts=prod",
    ],
)
def test_sandbox_set_refuses_values_out_of_range(
    setting: str, repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run_cli(capsys, "sandbox", "set", setting, "--root", str(repo))
    assert_clear_error(code, err, setting.partition("=")[0])
    # The sandbox still works afterwards.
    code, out, err = run_cli(capsys, "sandbox", "status", "--root", str(repo))
    assert code == 0, err
    settings = json.loads(out.split("Settings: ", 1)[1].splitlines()[0])
    assert settings["throttle_rate"] == 0.0
    assert settings["time_scale"] == 120.0


def test_sandbox_set_accepts_values_in_range(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run_cli(
        capsys,
        "sandbox",
        "set",
        "throttle_rate=0.3",
        "latency_seconds=0",
        "time_scale=0",
        "failing_copy_targets=777788889999/us-west-2",
        "unreachable_accounts=777788889999,444455556666",
        "--root",
        str(repo),
    )
    assert code == 0, err


@pytest.mark.parametrize("seconds", ["nan", "inf", "1e400", "1e12", "-5"])
def test_sandbox_advance_refuses_unusable_durations(
    seconds: str, repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run_cli(capsys, "sandbox", "--root", str(repo), "advance", "--", seconds)
    assert_clear_error(code, err, seconds)


# -- interactive apply ---------------------------------------------------------------------------------


class _Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_end_of_input_at_the_confirmation_cancels_cleanly(
    repo: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("sys.stdin", _Tty(""))  # Ctrl-D at the prompt
    code, out, err = run_cli(capsys, "apply", "--sandbox", "--root", str(repo))
    assert "Internal error" not in err
    assert "Apply cancelled" in out
    assert code == 1, err


def test_the_terminal_table_is_not_drawn_before_any_step_started() -> None:
    # It used to be redrawn every second over the confirmation prompt.
    stream = io.StringIO()
    with TerminalProgress(stream):
        pass
    assert stream.getvalue() == ""


# -- output that goes away ---------------------------------------------------------------------------------

COPY = Action(
    address="prod/us-west-2/financial-analyst/copy",
    change="create",
    service="bedrock",
    operation="CreateModelCopyJob",
    account="777788889999",
    region="us-west-2",
    params={},
    reason="",
)


class _ClosedPipe(io.StringIO):
    def write(self, text: str) -> int:
        raise BrokenPipeError(32, "Broken pipe")


def test_progress_lines_to_a_closed_pipe_do_not_stop_the_apply() -> None:
    # `apply ... | head` used to abort the apply half-way, with no report.
    progress = LineProgress(_ClosedPipe())
    progress.started(COPY)
    progress.status(COPY, "InProgress")
    progress.finished(StepResult(COPY.address, COPY.operation, COPY.account, COPY.region, "done", ""))


def test_a_closed_stdout_is_not_an_internal_error(
    repo: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("sys.stdout", _ClosedPipe())
    code = main(["policy", "--root", str(repo)])
    err = capsys.readouterr().err
    assert code == 1
    assert "Internal error" not in err


def test_comment_into_a_missing_folder_is_a_clear_error(
    repo: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    planfile = tmp_path / "release.tfplan"
    assert run_cli(capsys, "plan", "--sandbox", "--root", str(repo), "-out", str(planfile))[0] == 0
    target = tmp_path / "no" / "such" / "comment.md"
    code, _, err = run_cli(capsys, "comment", str(planfile), "-o", str(target), "--root", str(repo))
    assert_clear_error(code, err, str(target))


def test_saving_a_plan_over_a_folder_is_a_clear_error(
    repo: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "plans"
    folder.mkdir()
    code, _, err = run_cli(capsys, "plan", "--sandbox", "--root", str(repo), "-out", str(folder))
    assert_clear_error(code, err, str(folder))
    assert list(folder.iterdir()) == []  # no temporary file left behind


def test_a_report_path_that_is_a_folder_is_refused_before_applying(
    repo: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "reports"
    folder.mkdir()
    argv = ["apply", "--sandbox", "--auto-approve", "--root", str(repo), "--report", str(folder)]
    code, _, err = run_cli(capsys, *argv)
    assert_clear_error(code, err, str(folder))
    assert not (repo.parent / "sandbox").exists()  # refused before any AWS call


@pytest.mark.parametrize("extra", [["status", "now"], ["reset", "please"]])
def test_sandbox_status_and_reset_take_no_arguments(
    extra: list[str], repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run_cli(capsys, "sandbox", "--root", str(repo), *extra)
    assert_clear_error(code, err, extra[1])


def test_model_units_beyond_what_aws_accepts_are_a_manifest_error(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    staging = repo / "environments" / "staging.yaml"
    staging.write_text(staging.read_text().replace("modelUnits: 1", "modelUnits: 99999999999999999999", 1))
    code, _, err = run_cli(capsys, "validate", "--root", str(repo))
    assert_clear_error(code, err, "environments/staging.yaml:", "modelUnits")


def test_no_aws_credentials_at_all_says_how_to_provide_them(
    repo: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in (
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_SESSION_TOKEN",
        "AWS_PROFILE",
        "AWS_DEFAULT_PROFILE",
        "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
        "AWS_CONTAINER_CREDENTIALS_FULL_URI",
        "AWS_WEB_IDENTITY_TOKEN_FILE",
    ):
        monkeypatch.delenv(name, raising=False)
    empty = tmp_path / "home"
    empty.mkdir()
    monkeypatch.setenv("HOME", str(empty))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(empty / "config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(empty / "credentials"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    for argv in (["plan"], ["apply", "--auto-approve"], ["force-unlock", "x", "--force"]):
        code, _, err = run_cli(capsys, *argv, "--root", str(repo))
        assert_clear_error(code, err, "no AWS credentials", "--sandbox")
        assert "trusts this principal" not in err
