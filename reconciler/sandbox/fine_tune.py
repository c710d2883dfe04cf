"""`sandbox fine-tune MODEL`: run a fine-tuning job for a Model in the sandbox, as a team would in its source
account, so that `versions discover` has a new custom model to find. The job is started through a real
boto3 client (CreateModelCustomizationJob, checked against the service model like every sandbox request)
and the simulated clock is moved past its duration, so it has finished when the command returns."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from reconciler.aws.clients import AwsClients
from reconciler.errors import ReconcilerError
from reconciler.manifests.load import load_manifests
from reconciler.manifests.model import Model
from reconciler.sandbox import arns
from reconciler.sandbox.estate import SandboxEstate

CUSTOMIZATION_ROLE = "BedrockModelCustomization"
HYPERPARAMETERS = {"epochCount": "2", "batchSize": "1", "learningRate": "0.00001"}


@dataclass(frozen=True)
class FineTuned:
    job_arn: str
    job_name: str
    model_name: str
    model_arn: str
    status: str


def _base_model(model: Model) -> str:
    if model.discover is not None and model.discover.base_model:
        return model.discover.base_model
    return arns.custom_model_base_id(model.versions[-1].model_arn)


def fine_tune(root: Path, sandbox_dir: Path, model_name: str) -> FineTuned:
    manifests = load_manifests(root)
    model = manifests.model(model_name)
    if model is None:
        known = ", ".join(m.name for m in manifests.models) or "none"
        raise ReconcilerError(f"no model named '{model_name}' in models/ (models: {known})")
    account, region = model.source_account, model.source_region
    role = model.source_role_arn or manifests.role_for_account(account)
    if role is None:
        raise ReconcilerError(
            f"no role to reach {model.name}'s source account {account}: declare an environment in that "
            f"account, or source.roleArn in {model.location.file}"
        )
    with SandboxEstate.open(sandbox_dir) as estate:
        stamp = estate.now().strftime("%Y%m%d%H%M%S")
        prefix = model.discover.name_prefix if model.discover and model.discover.name_prefix else ""
        model_name_out = f"{prefix or model.name + '-'}{stamp}"
        job_name = f"{model.name}-training-{stamp}"
        bucket = f"{model.name}-training-{account}"
        bedrock = AwsClients(estate.session(region), {account: role}).bedrock(account, region)
        job_arn = bedrock.create_model_customization_job(
            jobName=job_name,
            customModelName=model_name_out,
            roleArn=f"arn:aws:iam::{account}:role/{CUSTOMIZATION_ROLE}",
            baseModelIdentifier=_base_model(model),
            customizationType="FINE_TUNING",
            trainingDataConfig={"s3Uri": f"s3://{bucket}/data/{stamp}/train.jsonl"},
            validationDataConfig={"validators": [{"s3Uri": f"s3://{bucket}/data/{stamp}/validation.jsonl"}]},
            outputDataConfig={"s3Uri": f"s3://{bucket}/output/{stamp}/"},
            hyperParameters=HYPERPARAMETERS,
        )["jobArn"]
        estate.advance(float(estate.settings().get("customization_job_seconds", 7200)))
        job = bedrock.get_model_customization_job(jobIdentifier=job_arn)
    return FineTuned(job_arn, job_name, model_name_out, job.get("outputModelArn", ""), job["status"])
