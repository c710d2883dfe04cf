"""The pull request comment records every verification check of the apply it reports, escaped."""

from __future__ import annotations

from reconciler.comment.context import build_context
from reconciler.comment.markdown import render_comment
from reconciler.core.verification import CapacityVerification, PromptResult
from tests.gitops.plans import make_plan, throughput_action


def report(*verifications: CapacityVerification) -> dict[str, object]:
    return {
        "succeeded": all(v.passed for v in verifications),
        "summary": {"done": 1, "failed": 0, "skipped": 0, "timed_out": 0},
        "steps": [],
        "verifications": [v.to_json() for v in verifications],
    }


def check(passed: bool, answer: str = "") -> CapacityVerification:
    return CapacityVerification(
        address="staging/us-east-1/financial-analyst/throughput",
        environment="staging",
        model="financial-analyst",
        version="v2",
        account="444455556666",
        region="us-east-1",
        capacity_arn="arn:aws:bedrock:us-east-1:444455556666:provisioned-model/abcdefabcdef",
        prompts=(
            PromptResult(
                "revenue", passed, "ok" if passed else "the answer does not match the regex 'x'", 180, answer
            ),
        ),
        min_passing=1,
        verified_at="2026-11-29T18:00:00Z" if passed else None,
    )


def test_a_passing_verification_is_listed_with_each_prompt() -> None:
    plan = make_plan((throughput_action("staging", "us-east-1", "financial-analyst"),))
    text = render_comment(build_context(plan, report=report(check(True))))
    assert "**Verification** (1 of 1 capacities passed):" in text
    assert "revenue: ok &#40;180 ms&#41;" in text  # parentheses escaped, as every user string
    assert "verified since 2026-11-29T18:00:00Z" in text
    assert ":white_check_mark: **Apply complete:**" in text


def test_a_failed_verification_fails_the_apply_in_the_comment() -> None:
    plan = make_plan((throughput_action("staging", "us-east-1", "financial-analyst"),))
    text = render_comment(build_context(plan, report=report(check(False, "<img src=x onerror=alert(1)>"))))
    assert ":x: **Apply done, but verification FAILED** on 1 capacity(ies) (nothing was rolled back)" in text
    assert "revenue: the answer does not match the regex" in text
    assert "<img" not in text
