"""PR comment rendering: layout, findings first, cost estimate, diagram, escaping, size limit."""

from __future__ import annotations

import re

import pytest
from markdown_it import MarkdownIt

from reconciler.comment.context import build_context
from reconciler.comment.escape import md, mermaid_label, utf16_length
from reconciler.comment.grouping import SHARES_GROUP, environment_of
from reconciler.comment.markdown import GITHUB_COMMENT_LIMIT, marker, render_comment, render_comment_parts
from reconciler.comment.pricing import base_model_of, estimate
from reconciler.core.findings import Finding
from reconciler.core.plan import Removal
from tests.gitops.plans import big_plan, copy_action, make_plan, throughput_action

HTML = MarkdownIt("commonmark", {"html": True}).enable("table")

INJECTIONS = [
    "<script>alert(1)</script>",
    "</details></details><img src=x onerror=alert(1)>",
    "[click](javascript:alert(1))",
    "a | b | c",
    "```\n# owned\n```",
    "@acme/security-team please approve #42",
    "$$\\frac{1}{0}$$",
    "line1\nline2\r\u202egnp.exe",
    "**bold** _it_ ~~x~~ ![i](http://x/i.png)",
    "1. list",
    "- item",
    "<!-- bedrock-gitops:plan part=1 -->",
]


def _finding(message: str, severity: str = "warning", rule: str = "requireEvidence") -> Finding:
    return Finding(rule, severity, message, "add evidence.approvedBy", "environments/prod.yaml", 12, 7)  # type: ignore[arg-type]


def test_summary_table_groups_actions_by_environment_and_shares_last() -> None:
    plan = make_plan(
        (
            copy_action("prod", "us-east-1", "fa"),
            throughput_action("prod", "us-east-1", "fa"),
            copy_action("staging", "us-west-2", "fa"),
        )
    )
    text = render_comment(build_context(plan))
    assert "| prod | 2 | 0 | 0 | 0 | 0 |" in text
    assert "| staging | 1 | 0 | 0 | 0 | 0 |" in text
    assert "<details><summary><b>prod</b>: 2 to add" in text
    assert "<details><summary>us-east-1: 2 action(s)</summary>" in text
    assert "**Plan: 3 to add, 0 to change, 0 to destroy.**" in text


@pytest.mark.parametrize(
    ("address", "account", "expected"),
    [
        ("prod/us-east-1/fa/copy", "777788889999", "prod"),
        ("prod/us-east-1/fa/deployment/tags", "777788889999", "prod"),
        ("share/fa/v2", "111122223333", SHARES_GROUP),
        ("share/fa/v2/principal/777788889999", "111122223333", SHARES_GROUP),
        ("share/us-east-1/fa/copy", "444455556666", "share"),  # an environment may be called "share"
        ("777788889999/us-east-1/throughput/prod-fa", "777788889999", "prod"),
        ("111122223333/us-east-1/share/bedrock-gitops-fa-v1/principal/1", "111122223333", SHARES_GROUP),
        ("999999999999/us-east-1/copy/x", "999999999999", "account 999999999999"),
    ],
)
def test_environment_of_every_address_shape(address: str, account: str, expected: str) -> None:
    owners = {"777788889999": "prod", "444455556666": "share"}
    assert environment_of(address, account, environment_of_account=owners) == expected


def test_policy_findings_come_first_errors_before_warnings() -> None:
    plan = make_plan(
        (copy_action("prod", "us-east-1", "fa"),),
        findings=(
            _finding("evidence missing"),
            _finding("not promoted from staging", "error", "promotedFrom"),
        ),
    )
    text = render_comment(build_context(plan))
    assert text.index("### Policy findings") < text.index("### Summary")
    assert text.index("promotedFrom") < text.index("requireEvidence")
    assert "Plan blocked by 1 policy/preflight error(s)" in text
    assert "environments/prod.yaml:12:7" in text


def test_cost_delta_is_an_estimate_from_the_price_table() -> None:
    plan = make_plan(
        (
            copy_action("prod", "us-east-1", "fa"),
            throughput_action("prod", "us-east-1", "fa", units=2, term="OneMonth"),
            copy_action("prod", "us-west-2", "fa"),
            throughput_action("prod", "us-west-2", "fa", units=1, term="none"),
        )
    )
    cost = estimate(plan)
    assert [line.monthly for line in cost.lines] == [26864.0, 14965.0]  # 2 x 18.40 x 730, 20.50 x 730
    assert cost.total == pytest.approx(41829.0)
    text = render_comment(build_context(plan))
    assert "Estimated monthly cost" in text
    assert "estimate" in text.lower()
    assert "https://aws.amazon.com/bedrock/pricing/" in text
    assert "41,829.00" in text


def test_base_model_of_a_custom_model_arn() -> None:
    assert base_model_of(copy_action("p", "us-east-1", "m").params["sourceModelArn"]) == (
        "amazon.titan-text-express-v1"
    )
    assert base_model_of("arn:aws:bedrock:us-east-1:1:provisioned-model/x") is None


def test_mermaid_diagram_shows_flows_and_escapes_labels() -> None:
    text = render_comment(build_context(make_plan((copy_action("prod", "us-west-2", "fa"),))))
    diagram = text.split("```mermaid\n", 1)[1].split("```", 1)[0]
    assert diagram.startswith("flowchart LR")
    assert '["fa v2<br/>111122223333 us-east-1"]' in diagram
    assert '["prod<br/>777788889999 us-west-2"]' in diagram
    assert "==>|changes|" in diagram
    assert mermaid_label('a"]; click x "javascript:alert(1)') == (
        "a#34;#93;#59; click x #34;javascript:alert#40;1#41;"
    )


def _html(markdown: str) -> str:
    return HTML.render(markdown)


@pytest.mark.parametrize("payload", INJECTIONS)
def test_user_strings_cannot_inject_markdown_or_html(payload: str) -> None:
    evil_removal = Removal(
        address=f"777788889999/us-east-1/copy/{payload}",
        kind="copy",
        account="777788889999",
        region="us-east-1",
        arn=payload,
        reason=payload,
        blocked_by=f"pruning is disabled {payload}",
    )
    plan = make_plan(
        (copy_action("prod", "us-east-1", "fa", reason=payload),),
        removals=(evil_removal,),
        findings=(_finding(payload),),
        warnings=(payload,),
    )
    text = render_comment(build_context(plan, title=payload))
    html = _html(text)
    # No element, attribute or link that the payload asked for, and every <details> stays balanced.
    for forbidden in ("<script", "<img", 'href="javascript', "<strong>bold", "<em>it", "<h1>", "<ol>"):
        assert forbidden not in html
    assert html.count("<details>") == html.count("</details>")
    prose = re.sub(r"^```.*?^```", "", text, flags=re.M | re.S)  # GitHub links nothing in code blocks
    assert "@acme" not in prose.replace("@\u2060", "")  # mention broken by a WORD JOINER
    assert len(re.findall(r"^<!-- bedrock-gitops:", text, flags=re.M)) == 1
    assert "\u202e" not in text
    # Tables keep their shape: every row of the findings table has the header's number of cells.
    for row in re.findall(r"^\|.*\|$", text, flags=re.M):
        assert row.count("|") in {8, 7, 6, 5, 9}, row
    # Code blocks are never closed early: fences pair up.
    assert len(re.findall(r"^```", text, flags=re.M)) % 2 == 0


def test_md_escapes_to_entities_the_browser_shows_as_the_original_text() -> None:
    payload = "<b>x</b> | [y](z) `c` *d* $e$ #1 @f"
    html = _html(f"para {md(payload)}")
    assert "<b>" not in html
    for element in ("<a", "<code>", "<em>"):
        assert element not in html


def test_a_plan_over_the_limit_is_split_into_numbered_comments_within_it() -> None:
    plan = big_plan(environments=3, regions=5, models=10)  # 300 actions, ~200k characters
    parts = render_comment_parts(build_context(plan))
    assert 1 < len(parts) < 10
    for number, part in enumerate(parts, start=1):
        assert utf16_length(part) <= GITHUB_COMMENT_LIMIT
        assert part.startswith(marker("plan", number) + "\n")
        assert f"Part {number} of {len(parts)}" in part
        html = _html(part)
        assert html.count("<details>") == html.count("</details>")
        assert len(re.findall(r"^```", part, flags=re.M)) % 2 == 0
    everything = "".join(parts)
    assert all(a.address in everything for a in plan.actions)


def test_beyond_the_maximum_number_of_parts_the_rest_points_to_the_plan_artifact() -> None:
    plan = big_plan(environments=6, regions=5, models=20)
    context = build_context(plan, artifact_url="https://github.com/acme/models/actions/runs/1/artifacts/2")
    parts = render_comment_parts(context, max_parts=2)
    assert len(parts) == 2
    assert all(utf16_length(p) <= GITHUB_COMMENT_LIMIT for p in parts)
    assert "more section(s) are not shown" in parts[-1]
    assert "(https://github.com/acme/models/actions/runs/1/artifacts/2)" in parts[-1]


def test_one_region_too_big_for_a_comment_is_cut_with_a_pointer() -> None:
    plan = big_plan(environments=1, regions=1, models=400)  # 800 actions in one Region
    parts = render_comment_parts(build_context(plan), limit=40_000)
    assert all(utf16_length(p) <= 40_000 for p in parts)
    assert "more action(s) in this Region are not shown" in "".join(parts)


def test_no_changes_reads_as_such() -> None:
    text = render_comment(build_context(make_plan()))
    assert "**No changes.** AWS matches the manifests." in text
    assert "### Summary" not in text
