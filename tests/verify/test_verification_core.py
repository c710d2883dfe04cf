"""The pure parts of verification and soak: judging answers, the verified tag, answer text per model
family, soak verdicts and their wording, and the manifest checks of spec.verify."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from reconciler.core.desired import DesiredCapacity
from reconciler.core.verification import (
    VERIFIED_TAG,
    judge,
    native_text,
    parse_verified_tag,
    tag_to_write,
    verified_tag_value,
)
from reconciler.errors import ManifestErrors
from reconciler.manifests.load import load_manifests
from reconciler.manifests.verification import Expectation, VerifyPrompt, soak_seconds
from reconciler.policies.soak import UpstreamCapacity, format_duration, soak_verdict
from tests.apply.support import make_estate

NOW = datetime(2026, 11, 29, 18, 0, tzinfo=UTC)
TAG_PATTERN = r"^[a-zA-Z0-9\s._:/=+@-]*$"  # AWS's tag value pattern (AWS-FACTS.md)


def prompt(**expect: object) -> VerifyPrompt:
    return VerifyPrompt("p", "converse", {}, Expectation(**expect))  # type: ignore[arg-type]


def test_every_expectation_must_hold_and_the_first_broken_one_is_the_reason() -> None:
    assert judge(prompt(regex="(?i)revenue"), "Revenue grew", 100).passed
    failed = judge(prompt(regex="margin"), "Revenue grew", 100)
    assert not failed.passed
    assert failed.reason == "the answer does not match the regex 'margin'"
    assert failed.answer == "Revenue grew"
    slow = judge(prompt(regex="Revenue", max_latency_ms=1000), "Revenue grew", 45000)
    assert slow.reason == "the answer took 45000 ms, more than expect.maxLatencyMs 1000"
    schema = {"type": "object", "required": ["answer"], "properties": {"answer": {"type": "string"}}}
    assert judge(prompt(json_schema=schema), '{"answer": "Q3"}', 10).passed
    assert "is not JSON" in judge(prompt(json_schema=schema), "Q3", 10).reason
    wrong = judge(prompt(json_schema=schema), '{"answer": 3}', 10)
    assert (
        wrong.reason == "the answer does not satisfy expect.jsonSchema at answer: 3 is not of type 'string'"
    )


def test_the_verified_tag_fits_awss_tag_value_pattern_and_reads_back() -> None:
    import re

    value = verified_tag_value("v2-hotfix", NOW)
    assert value == "v2-hotfix@2026-11-29T18:00:00Z"
    assert re.match(TAG_PATTERN, value)
    assert len(value) <= 256
    assert parse_verified_tag(value) == ("v2-hotfix", NOW)
    assert parse_verified_tag("by hand") is None
    assert parse_verified_tag(None) is None


def test_a_second_pass_on_the_same_version_keeps_the_first_time() -> None:
    first = verified_tag_value("v2", NOW)
    assert tag_to_write(first, "v2", NOW + timedelta(hours=5)) is None
    assert tag_to_write(first, "v3", NOW + timedelta(hours=5)) == "v3@2026-11-29T23:00:00Z"
    assert tag_to_write(None, "v2", NOW) == first


def test_answer_text_in_each_family_native_format() -> None:
    titan = {"results": [{"outputText": "hello", "tokenCount": 1}]}
    nova = {"output": {"message": {"content": [{"text": "hi"}, {"text": " there"}]}}}
    assert native_text("amazon.titan-text-express-v1:0:8k", titan) == "hello"
    assert native_text("amazon.nova-lite-v1:0:300k", nova) == "hi there"
    assert native_text("anthropic.claude-3-haiku", {"content": [{"text": "c"}]}) == "c"
    assert native_text("meta.llama3-8b-instruct-v1:0", {"generation": "g"}) == "g"
    assert native_text("amazon.titan-text-express-v1:0:8k", {"other": 1}) == '{"other": 1}'


def capacity(address: str) -> DesiredCapacity:
    environment, region, model, _ = address.split("/")
    return DesiredCapacity(
        address=address, kind="provisioned", environment=environment, model=model, version="v2",
        account="444455556666", region=region, name=f"{environment}-{model}", copy_address=None,
        source_model_arn="arn", model_units=1, commitment="none", tags={},
    )  # fmt: skip


def test_the_soak_counts_from_the_last_capacity_verified() -> None:
    east, west = capacity("staging/us-east-1/m/throughput"), capacity("staging/us-west-2/m/throughput")
    upstream = {
        east.address: UpstreamCapacity(east.address, "arn:e", {VERIFIED_TAG: verified_tag_value("v2", NOW)}),
        west.address: UpstreamCapacity(
            west.address, "arn:w", {VERIFIED_TAG: verified_tag_value("v2", NOW + timedelta(hours=2))}
        ),
    }
    verdict = soak_verdict("v2", 86400, [east, west], upstream, NOW + timedelta(hours=25))
    assert not verdict.satisfied
    assert verdict.satisfied_at == NOW + timedelta(hours=26)
    assert soak_verdict("v2", 86400, [east, west], upstream, NOW + timedelta(hours=26)).satisfied
    other = soak_verdict("v3", 86400, [east, west], upstream, NOW + timedelta(days=9))
    assert other.satisfied_at is None
    assert "has not passed verification on v3 (it is tagged" in other.reason
    missing = soak_verdict("v2", 60, [east], {}, NOW)
    assert missing.reason == "staging/us-east-1/m/throughput does not exist yet (apply it first)"
    assert "without capacity" in soak_verdict("v2", 60, [], upstream, NOW).reason


@pytest.mark.parametrize(
    ("seconds", "shown"),
    [(30, "30s"), (0.2, "1s"), (60, "1m"), (61, "2m"), (82800, "23h00m"), (86400 + 3 * 3600, "1d3h")],
)
def test_time_left_is_short_and_rounded_up(seconds: float, shown: str) -> None:
    assert format_duration(seconds) == shown


def test_soak_durations() -> None:
    assert [soak_seconds(t) for t in ("90s", "15m", "24h", "2d")] == [90, 900, 86400, 172800]


def test_verify_mistakes_are_located_errors(tmp_path: Path) -> None:
    root = make_estate(tmp_path).root
    dev = root / "environments" / "dev.yaml"
    dev.write_text(
        dev.read_text()
        + """
  verify:
    financial-analyst:
      minPassing: 3
      prompts:
        - name: bad-regex
          converse: {messages: [{role: user, content: [{text: hi}]}]}
          expect: {regex: "(unclosed"}
    nobody:
      prompts:
        - name: p
          body: {inputText: hi}
          expect: {jsonSchema: {type: 12}}
"""
    )
    with pytest.raises(ManifestErrors) as raised:
        load_manifests(root)
    messages = [str(error) for error in raised.value.errors]
    assert any(
        "environments/dev.yaml:" in m and "dev runs financial-analyst without capacity" in m for m in messages
    )
    assert any("minPassing is 3, but there are only 1 prompts" in m for m in messages)
    assert any("prompt 'bad-regex': expect.regex is not a valid regular expression" in m for m in messages)
    assert any("verify names model 'nobody', which dev does not run" in m for m in messages)
    assert any("expect.jsonSchema is not a valid JSON Schema" in m for m in messages)


def test_a_prompt_needs_exactly_one_of_converse_and_body(tmp_path: Path) -> None:
    root = make_estate(tmp_path).root
    staging = root / "environments" / "staging.yaml"
    staging.write_text(
        staging.read_text()
        + """
  verify:
    financial-analyst:
      prompts:
        - name: neither
          expect: {regex: x}
"""
    )
    with pytest.raises(ManifestErrors) as raised:
        load_manifests(root)
    assert "environments/staging.yaml:" in str(raised.value.errors[0])
