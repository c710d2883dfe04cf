"""Simulated Bedrock model evaluation jobs: `GetEvaluationJob` over jobs seeded in the state (the sandbox
does not run evaluations), for the preflight check of a version's `evaluationJobArn` evidence.

State: `state["bedrock"]["<account>/<region>"]["evaluation_jobs"]` = {job ARN: GetEvaluationJob's output
members, times as ISO-8601 strings}. API reference: GetEvaluationJob
(https://docs.aws.amazon.com/bedrock/latest/APIReference/API_GetEvaluationJob.html); a custom model is
evaluated through a provisioned throughput (`bedrockModel.modelIdentifier`, whose pattern admits no
custom-model ARN) or from responses it produced (`precomputedInferenceSource`).
"""

from __future__ import annotations

from typing import Any

from reconciler.sandbox import arns
from reconciler.sandbox.api import Call, Handler, access_denied, not_found
from reconciler.sandbox.bedrock_common import caller_scope, when


def get_evaluation_job(call: Call) -> dict[str, Any]:
    arn = call.params["jobIdentifier"]
    parsed = arns.parse_arn(arn)
    if parsed is not None and (parsed.account != call.account or parsed.region != call.region):
        raise access_denied(f"The evaluation job {arn} belongs to another account or Region.")
    job = caller_scope(call).get("evaluation_jobs", {}).get(arn)
    if job is None:
        raise not_found(f"The evaluation job {arn} was not found.")
    output = dict(job)
    for key in ("creationTime", "lastModifiedTime"):
        if key in output:
            output[key] = when(output[key])
    return output


def seeded_job(
    account: str,
    region: str,
    job_id: str,
    *,
    status: str,
    evaluated: str,
    dataset: str,
    created: str,
) -> tuple[str, dict[str, Any]]:
    """(ARN, record) of an automated evaluation of the responses `evaluated` (a precomputed inference source
    identifier) produced."""
    arn = f"arn:aws:bedrock:{region}:{account}:evaluation-job/{job_id}"
    return arn, {
        "jobName": f"eval-{job_id}",
        "status": status,
        "jobArn": arn,
        "roleArn": f"arn:aws:iam::{account}:role/BedrockEvaluation",
        "jobType": "Automated",
        "applicationType": "ModelEvaluation",
        "evaluationConfig": {
            "automated": {
                "datasetMetricConfigs": [
                    {
                        "taskType": "QuestionAndAnswer",
                        "dataset": {"name": dataset},
                        "metricNames": ["Builtin.Accuracy", "Builtin.Robustness"],
                    }
                ]
            }
        },
        "inferenceConfig": {
            "models": [{"precomputedInferenceSource": {"inferenceSourceIdentifier": evaluated}}]
        },
        "outputDataConfig": {"s3Uri": f"s3://example-evaluations-{account}/{job_id}/"},
        "creationTime": created,
        "lastModifiedTime": created,
    }


EVALUATION_HANDLERS: dict[str, Handler] = {"GetEvaluationJob": get_evaluation_job}
