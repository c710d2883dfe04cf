"""Evaluation jobs as evidence: `evaluationJobArn` in a version's evidence is checked by preflight
(GetEvaluationJob: exists, Completed, evaluated this version), and requiredEvidence can demand it."""

from __future__ import annotations

from pathlib import Path

import pytest

from reconciler.cli import main
from reconciler.sandbox.seed import EVALUATION_COMPLETED, EVALUATION_OTHER_MODEL, EVALUATION_RUNNING
from tests.apply.support import Estate, cli_estate

# The example's v2 names its Completed evaluation job; the tests put other jobs in its place.
V2_JOB = f"evaluationJobArn: {EVALUATION_COMPLETED}"


@pytest.fixture
def estate(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Estate:
    return cli_estate(tmp_path, monkeypatch)


def plan(estate: Estate, capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    code = main(["plan", "--sandbox", "--root", str(estate.root)])
    out, err = capsys.readouterr()
    return code, out + err


def record_job(estate: Estate, arn: str) -> None:
    estate.edit("models/financial-analyst.yaml", V2_JOB, f'evaluationJobArn: "{arn}"')


def test_a_completed_evaluation_of_the_version_passes(
    estate: Estate, capsys: pytest.CaptureFixture[str]
) -> None:
    record_job(estate, EVALUATION_COMPLETED)
    code, out = plan(estate, capsys)
    assert code == 0, out
    assert "evaluation-job" not in out


@pytest.mark.parametrize(
    ("arn", "expected"),
    [
        (EVALUATION_RUNNING, f"the evaluation job {EVALUATION_RUNNING} is InProgress, not Completed"),
        (
            EVALUATION_OTHER_MODEL,
            f"the evaluation job {EVALUATION_OTHER_MODEL} evaluated responses named 'support-summarizer-v1', "
            "not financial-analyst v2",
        ),
        (
            "arn:aws:bedrock:us-east-1:111122223333:evaluation-job/nosuchjob000",
            "does not exist",
        ),
        ("eval-42", "evidence.evaluationJobArn 'eval-42' is not a model evaluation job ARN"),
    ],
)
def test_a_job_that_does_not_prove_the_version_blocks_the_plan(
    estate: Estate, capsys: pytest.CaptureFixture[str], arn: str, expected: str
) -> None:
    record_job(estate, arn)
    code, out = plan(estate, capsys)
    assert code == 1
    assert "[preflight/evaluation-job]" in out
    assert expected in out
    assert "models/financial-analyst.yaml:" in out


def test_required_evidence_can_demand_an_evaluation_job(
    estate: Estate, capsys: pytest.CaptureFixture[str]
) -> None:
    estate.edit(
        "environments/staging.yaml", "required: [approvedBy]", "required: [approvedBy, evaluationJobArn]"
    )
    code, out = plan(estate, capsys)
    assert code == 1
    assert "'evaluationJobArn' is a required property" in out
