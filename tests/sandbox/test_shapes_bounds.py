"""The sandbox refuses numbers AWS cannot hold: an `integer` member is 32-bit, a `long` 64-bit (botocore
leaves both to the service, so a request with modelUnits=10**20 used to be simulated as a success)."""

from __future__ import annotations

from reconciler.sandbox.shapes import request_problems

THROUGHPUT = {"provisionedModelName": "prod-financial-analyst", "modelId": "amazon.titan-text-express-v1"}


def test_an_integer_member_beyond_32_bits_is_refused() -> None:
    problems = request_problems(
        "bedrock", "CreateProvisionedModelThroughput", {**THROUGHPUT, "modelUnits": 2**31}
    )
    assert any("modelUnits" in problem for problem in problems), problems


def test_the_largest_32_bit_integer_is_accepted() -> None:
    assert not request_problems(
        "bedrock", "CreateProvisionedModelThroughput", {**THROUGHPUT, "modelUnits": 2**31 - 1}
    )
