"""Smoke verification as data (pure): which capacity to verify with which prompts, the text of an answer in
a model family's native format, judging an answer against its expectations, the results, and the
`bedrock-gitops:verified=<version>@<time>` tag that records a pass on the capacity.

The I/O (invoking through the capacity, tagging it) is reconciler/aws/verify.py.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from reconciler.core.capacity_plan import serving_throughput
from reconciler.core.desired import DesiredCapacity, DesiredState
from reconciler.core.live import LiveState
from reconciler.manifests.model import Manifests
from reconciler.manifests.verification import Expectation, VerifyPrompt, VerifySpec

VERIFIED_TAG = "bedrock-gitops:verified"
# Tag values admit `[a-zA-Z0-9\s._:/=+@-]*` (AWS-FACTS.md): version names are [a-z0-9-], and an ISO time
# in UTC with a Z suffix uses only digits, '-', ':', 'T' and 'Z'.
_TAG_TIME_FORMAT = "%Y-%m-%dT%H:%M:%SZ"
_VERIFIED_VALUE = re.compile(
    r"^(?P<version>[a-z0-9]+(?:-[a-z0-9]+)*)@(?P<time>\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ)$"
)
ANSWER_EXCERPT_CHARS = 200


@dataclass(frozen=True, slots=True)
class VerifyTarget:
    """One capacity (throughput or deployment) an environment declares verification for."""

    capacity: DesiredCapacity
    spec: VerifySpec


@dataclass(frozen=True, slots=True)
class PromptResult:
    name: str
    passed: bool
    # Why it failed (or "ok"); names the expectation and what the answer was.
    reason: str
    latency_ms: int | None = None
    answer: str = ""  # an excerpt


@dataclass(frozen=True, slots=True)
class CapacityVerification:
    """The verification of one capacity: every prompt's result, and whether enough passed."""

    address: str
    environment: str
    model: str
    version: str
    account: str
    region: str
    capacity_arn: str | None
    prompts: tuple[PromptResult, ...]
    min_passing: int
    # Set when the capacity could not be invoked at all (missing, not InService/Active).
    problem: str = ""
    verified_at: str | None = None  # the verified tag's time, when this run tagged (or kept) it

    @property
    def passing(self) -> int:
        return sum(1 for prompt in self.prompts if prompt.passed)

    @property
    def passed(self) -> bool:
        return not self.problem and self.passing >= self.min_passing

    def summary(self) -> str:
        if self.problem:
            return f"{self.address} ({self.model} {self.version}): FAILED: {self.problem}"
        verdict = "passed" if self.passed else "FAILED"
        return (
            f"{self.address} ({self.model} {self.version}): {verdict}, {self.passing} of "
            f"{len(self.prompts)} prompts passed (at least {self.min_passing} required)"
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "address": self.address,
            "environment": self.environment,
            "model": self.model,
            "version": self.version,
            "account": self.account,
            "region": self.region,
            "capacity_arn": self.capacity_arn,
            "passed": self.passed,
            "passing": self.passing,
            "min_passing": self.min_passing,
            "problem": self.problem,
            "verified_at": self.verified_at,
            "prompts": [
                {
                    "name": p.name,
                    "passed": p.passed,
                    "reason": p.reason,
                    "latency_ms": p.latency_ms,
                    "answer": p.answer,
                }
                for p in self.prompts
            ],
        }


def verification_from_json(data: Mapping[str, Any]) -> CapacityVerification:
    return CapacityVerification(
        address=data["address"],
        environment=data["environment"],
        model=data["model"],
        version=data["version"],
        account=data["account"],
        region=data["region"],
        capacity_arn=data.get("capacity_arn"),
        prompts=tuple(
            PromptResult(p["name"], p["passed"], p["reason"], p.get("latency_ms"), p.get("answer", ""))
            for p in data.get("prompts", [])
        ),
        min_passing=int(data["min_passing"]),
        problem=data.get("problem", ""),
        verified_at=data.get("verified_at"),
    )


def verification_targets(
    manifests: Manifests, desired: DesiredState, *, environment: str | None = None
) -> list[VerifyTarget]:
    """Every declared capacity whose environment has `spec.verify` for its model (optionally one
    environment's), in address order."""
    specs = {env.name: env.verify for env in manifests.environments}
    return [
        VerifyTarget(capacity, specs[capacity.environment][capacity.model])
        for capacity in sorted(desired.capacities, key=lambda c: c.address)
        if capacity.model in specs.get(capacity.environment, {})
        and (environment is None or capacity.environment == environment)
    ]


# -- the verified tag ----------------------------------------------------------------------------------------


def verified_tag_value(version: str, when: datetime) -> str:
    return f"{version}@{when.astimezone(UTC).strftime(_TAG_TIME_FORMAT)}"


def parse_verified_tag(value: str | None) -> tuple[str, datetime] | None:
    """(version, since when) of a verified tag's value; None if absent or not ours."""
    match = _VERIFIED_VALUE.match(value or "")
    if match is None:
        return None
    moment = datetime.strptime(match["time"], _TAG_TIME_FORMAT).replace(tzinfo=UTC)
    return match["version"], moment


def tag_to_write(existing: str | None, version: str, now: datetime) -> str | None:
    """The verified tag value to write after a pass, or None to keep the existing one: a capacity verified
    again on the same version keeps its first time, so that the soak time is not restarted."""
    parsed = parse_verified_tag(existing)
    if parsed is not None and parsed[0] == version:
        return None
    return verified_tag_value(version, now)


# -- answers ---------------------------------------------------------------------------------------------


def converse_text(response: Mapping[str, Any]) -> str:
    """The text blocks of a Converse response's output message."""
    content = response.get("output", {}).get("message", {}).get("content", [])
    return "".join(block.get("text", "") for block in content if isinstance(block, Mapping))


def native_text(base_model_id: str, body: Any) -> str:
    """The answer text of an InvokeModel response body in its family's native format (Bedrock user guide,
    "Inference request parameters and response fields for foundation models"); the raw body if the family
    is unknown or the body has another shape."""
    raw = body if isinstance(body, str) else json.dumps(body)
    if not isinstance(body, Mapping):
        return raw
    try:
        if base_model_id.startswith("amazon.titan-text"):
            return "".join(str(result["outputText"]) for result in body["results"])
        if base_model_id.startswith("amazon.nova"):
            return "".join(block.get("text", "") for block in body["output"]["message"]["content"])
        if base_model_id.startswith("anthropic."):
            return "".join(block.get("text", "") for block in body["content"])
        if base_model_id.startswith("meta.llama"):
            return str(body["generation"])
        if base_model_id.startswith("cohere.command"):
            return str(body.get("text") or body["generations"][0]["text"])
    except (KeyError, IndexError, TypeError):
        return raw
    return raw


def judge(prompt: VerifyPrompt, answer: str, latency_ms: int | None) -> PromptResult:
    """The prompt's result for this answer: every expectation must hold; the first that does not is the
    reason."""
    excerpt = _excerpt(answer)
    for problem in _problems(prompt.expect, answer, latency_ms):
        return PromptResult(prompt.name, False, problem, latency_ms, excerpt)
    return PromptResult(prompt.name, True, "ok", latency_ms, excerpt)


def _problems(expect: Expectation, answer: str, latency_ms: int | None) -> Iterable[str]:
    if expect.regex is not None and re.search(expect.regex, answer) is None:
        yield f"the answer does not match the regex {expect.regex!r}"
    if expect.json_schema is not None:
        try:
            document = json.loads(answer)
        except ValueError:
            yield "the answer is not JSON, so it cannot satisfy expect.jsonSchema"
        else:
            from jsonschema import Draft202012Validator  # ~0.15 s to import: only for expect.jsonSchema

            errors = sorted(
                Draft202012Validator(dict(expect.json_schema)).iter_errors(document), key=lambda e: e.path
            )
            if errors:
                path = ".".join(str(p) for p in errors[0].absolute_path) or "(the answer)"
                yield f"the answer does not satisfy expect.jsonSchema at {path}: {errors[0].message}"
    if expect.max_latency_ms is not None and latency_ms is not None and latency_ms > expect.max_latency_ms:
        yield f"the answer took {latency_ms} ms, more than expect.maxLatencyMs {expect.max_latency_ms}"


def failed_prompt(prompt: VerifyPrompt, reason: str) -> PromptResult:
    """A prompt that got no answer (the invocation failed)."""
    return PromptResult(prompt.name, False, reason)


def _excerpt(answer: str) -> str:
    flat = " ".join(answer.split())
    return flat if len(flat) <= ANSWER_EXCERPT_CHARS else flat[: ANSWER_EXCERPT_CHARS - 1] + "…"


def render_verifications(results: Sequence[CapacityVerification]) -> str:
    """The verification section of apply's and verify's output: per capacity a verdict, per failing
    prompt which one and why."""
    lines = ["Verification:"]
    for result in results:
        lines.append(f"  {result.summary()}")
        for prompt in result.prompts:
            mark = "ok  " if prompt.passed else "FAIL"
            latency = f" ({prompt.latency_ms} ms)" if prompt.latency_ms is not None else ""
            detail = "" if prompt.passed else f": {prompt.reason}"
            lines.append(f"    {mark} {prompt.name}{latency}{detail}")
            if not prompt.passed and prompt.answer:
                lines.append(f"         answer: {prompt.answer}")
        if result.verified_at:
            lines.append(f"    tagged {VERIFIED_TAG}={result.version}@{result.verified_at}")
    return "\n".join(lines)


def capacity_to_invoke(
    target: VerifyTarget, desired: DesiredState, live: LiveState
) -> tuple[str | None, str]:
    """(ARN to invoke, "") when the target's capacity is ready and serves its version, else (ARN or None,
    why it cannot be verified)."""
    capacity = target.capacity
    scope = live.scope(capacity.account, capacity.region)
    if capacity.kind == "provisioned":
        throughput = serving_throughput(capacity, live)
        if throughput is None:
            return None, (
                f"no provisioned throughput named {capacity.name} (or a resize of it) of "
                f"{capacity.model_units} units, commitment {capacity.commitment} exists (apply it first)"
            )
        found: tuple[str, str, str, str] = (
            throughput.arn,
            throughput.status,
            "InService",
            throughput.model_arn,
        )
    else:
        deployment = next((d for d in scope.deployments if d.name == capacity.name), None)
        if deployment is None:
            return None, f"no custom model deployment named {capacity.name} exists (apply it first)"
        found = (deployment.arn, deployment.status, "Active", deployment.model_arn)
    arn, status, ready, serving = found
    if status != ready:
        return arn, f"the capacity is {status}, not {ready}"
    expected = _expected_model_arn(capacity, desired, live)
    if expected is not None and serving != expected:
        return arn, f"the capacity serves {serving}, not {capacity.model} {capacity.version} ({expected})"
    return arn, ""


def _expected_model_arn(capacity: DesiredCapacity, desired: DesiredState, live: LiveState) -> str | None:
    if capacity.copy_address is None:
        return capacity.source_model_arn
    copy = desired.copy(capacity.copy_address)
    if copy is None:
        return None
    scope = live.scope(capacity.account, capacity.region)
    model = next(
        (
            m
            for m in scope.custom_models
            if m.name == copy.target_model_name and m.owner_account == copy.account
        ),
        None,
    )
    return model.arn if model is not None else None


def base_model_id(capacity: DesiredCapacity) -> str:
    """The base model id (`amazon.titan-text-express-v1:0:8k`) in the version's custom model ARN."""
    _, _, rest = capacity.source_model_arn.partition(":custom-model/")
    return rest.rsplit("/", 1)[0]


def planned_verification(manifests: Manifests, plan_addresses: Iterable[str]) -> list[str]:
    """What apply will verify after this plan (the capacity it creates or repoints that has a spec.verify),
    and the soak rule of each environment it changes: lines for `plan`'s text output (none for a plan
    without changes)."""
    environments = {env.name: env for env in manifests.environments}
    addresses = sorted(set(plan_addresses))
    changed = {address.split("/", 1)[0] for address in addresses}
    lines = []
    for address in addresses:
        parts = address.split("/")
        if len(parts) != 4 or parts[3] not in ("throughput", "deployment"):
            continue
        environment = environments.get(parts[0])
        spec = environment.verify.get(parts[2]) if environment is not None else None
        if spec is None:
            continue
        names = ", ".join(prompt.name for prompt in spec.prompts)
        lines.append(
            f"  {address}: {len(spec.prompts)} prompt{'s' if len(spec.prompts) != 1 else ''} ({names}), "
            f"at least {spec.min_passing} must pass; then tagged {VERIFIED_TAG}=<version>@<time>"
        )
    if lines:
        lines.insert(0, "After apply, verification (spec.verify) invokes:")
    soaks = [
        f"  {env.name} takes a version only after {env.policies.promoted_from} has served it, verified, for "
        f"{env.policies.soak}"
        for env in manifests.environments
        if env.policies.soak and env.name in changed
    ]
    if soaks:
        lines += ["Soak time (policies.promotedFrom.soak):", *soaks]
    return lines
