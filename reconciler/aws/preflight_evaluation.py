"""Preflight check `evaluation-job`: a version whose evidence names a Bedrock model evaluation job
(`evaluationJobArn`) must point at a job that exists, is Completed and evaluated this very version
(`GetEvaluationJob`, https://docs.aws.amazon.com/bedrock/latest/APIReference/API_GetEvaluationJob.html).

`requiredEvidence` (a JSON Schema) can make the job mandatory (`required: [evaluationJobArn]`) and keeps
checking the metrics the user records beside it; this check proves the job behind the ARN is real.

A custom model is evaluated through a provisioned throughput (the job's `bedrockModel.modelIdentifier`
admits no custom-model ARN) or from responses it produced (`precomputedInferenceSource`), so the job
evaluated the version when one of its models is:
- a provisioned throughput that serves the version's model now (GetProvisionedModelThroughput), or
- a precomputed inference source named after the version: `<model>-<version>` (the name bedrock-gitops
  gives its copies) or the version's custom model name or id.
Only versions this plan brings into an environment are checked (a converged estate costs no call).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import partial
from typing import TYPE_CHECKING, Any

from reconciler.aws.preflight_common import CHECK_ERRORS, code_of
from reconciler.core.findings import Finding, Severity
from reconciler.manifests.model import Environment, Location, Model, ModelVersion

if TYPE_CHECKING:
    from reconciler.aws.preflight import Preflight

RULE = "evaluation-job"
EVIDENCE_KEY = "evaluationJobArn"
_JOB_ARN = re.compile(
    r"^arn:aws(-[^:]+)?:bedrock:(?P<region>[a-z0-9-]{1,20}):(?P<account>[0-9]{12}):evaluation-job/[a-z0-9]{12}$"
)
_PROVISIONED = re.compile(
    r"^arn:aws(-[^:]+)?:bedrock:(?P<region>[a-z0-9-]{1,20}):(?P<account>[0-9]{12}):provisioned-model/[a-z0-9]{12}$"
)
_ARRIVING = ("create", "update", "wait")


def _arriving_versions(preflight: Preflight) -> Iterator[tuple[Environment, Model, ModelVersion]]:
    """(environment, model, version) for each version this plan brings somewhere, once per version."""
    seen: set[tuple[str, str]] = set()
    for environment in preflight.manifests.environments:
        for pin in environment.models:
            prefix = f"{environment.name}/"
            arriving = any(
                a.change in _ARRIVING
                and a.address.startswith(prefix)
                and a.address.split("/")[2] == pin.model
                for a in preflight.plan.actions
                if a.address.count("/") == 3
            )
            model = preflight.manifests.model(pin.model)
            version = model.version(pin.version) if model else None
            if not arriving or model is None or version is None or (model.name, version.name) in seen:
                continue
            seen.add((model.name, version.name))
            yield environment, model, version


def evaluation_findings(preflight: Preflight) -> Iterator[Finding]:
    for environment, model, version in _arriving_versions(preflight):
        job_arn = version.evidence.get(EVIDENCE_KEY)
        if job_arn is None:
            continue
        index = model.versions.index(version)
        where = model.where(f"versions[{index}].evidence.{EVIDENCE_KEY}")

        make = partial(_finding, preflight, where, environment.name)

        match = _JOB_ARN.match(str(job_arn))
        if match is None:
            yield make(
                "error",
                f"{model.name} {version.name}: evidence.{EVIDENCE_KEY} '{job_arn}' is not a model "
                "evaluation job ARN",
                "write the job's ARN, arn:aws:bedrock:<region>:<account>:evaluation-job/<12 characters> "
                "(Bedrock console, Evaluations, or `aws bedrock list-evaluation-jobs`)",
                model.source_account,
                model.source_region,
            )
            continue
        account, region = match["account"], match["region"]
        try:
            job = preflight.clients.bedrock(account, region).get_evaluation_job(jobIdentifier=str(job_arn))
        except CHECK_ERRORS as error:
            if code_of(error) == "ResourceNotFoundException":
                yield make(
                    "error",
                    f"{model.name} {version.name}: the evaluation job {job_arn} (evidence.{EVIDENCE_KEY}) "
                    "does not exist",
                    "record the ARN of an evaluation job that exists (it may have been deleted), or "
                    "remove it",
                    account,
                    region,
                )
            else:
                yield preflight.unchecked(RULE, account, region, f"the evaluation job {job_arn}", error)
            continue
        if job["status"] != "Completed":
            yield make(
                "error",
                f"{model.name} {version.name}: the evaluation job {job_arn} is {job['status']}, not "
                "Completed",
                "wait for the evaluation to complete (or record a completed one), then plan again",
                account,
                region,
            )
            continue
        yield from _evaluated_this_version(preflight, model, version, job, make)


def _finding(
    preflight: Preflight,
    where: Location,
    environment: str,
    severity: Severity,
    message: str,
    fix: str,
    account: str,
    region: str,
) -> Finding:
    return preflight.make_finding(
        RULE, severity, where, message, fix, environment=environment, account=account, region=region
    )


def _evaluated_this_version(
    preflight: Preflight, model: Model, version: ModelVersion, job: Any, make: Any
) -> Iterator[Finding]:
    names = {f"{model.name}-{version.name}", version.model_arn.rsplit("/", 1)[-1]}
    evaluated: list[str] = []
    for entry in job.get("inferenceConfig", {}).get("models", []):
        source = entry.get("precomputedInferenceSource", {}).get("inferenceSourceIdentifier")
        if source is not None:
            if source in names:
                return
            evaluated.append(f"responses named '{source}'")
        identifier = entry.get("bedrockModel", {}).get("modelIdentifier")
        if identifier is not None:
            serves = _served_by(preflight, identifier)
            if version.model_arn in serves:
                return
            evaluated.append(
                identifier if not serves else f"{identifier} (serving {', '.join(sorted(serves))})"
            )
    arn = job["jobArn"]
    yield make(
        "error",
        f"{model.name} {version.name}: the evaluation job {arn} evaluated "
        f"{', '.join(evaluated) or 'no model'}, not {model.name} {version.name} ({version.model_arn})",
        f"record the evaluation job of {version.name} itself: one whose model is a provisioned throughput "
        f"serving {version.model_arn}, or whose precomputed inference source is named "
        f"{model.name}-{version.name}",
        arn.split(":")[4],
        arn.split(":")[3],
    )


def _served_by(preflight: Preflight, identifier: str) -> set[str]:
    """The models a provisioned throughput serves (now and being switched to); empty when unknown."""
    match = _PROVISIONED.match(identifier)
    if match is None:
        return set()
    try:
        bedrock = preflight.clients.bedrock(match["account"], match["region"])
        throughput = bedrock.get_provisioned_model_throughput(provisionedModelId=identifier)
    except CHECK_ERRORS as error:
        del error  # gone, or another account: the job cannot be tied to the version
        return set()
    return {throughput["modelArn"], throughput["desiredModelArn"]}
