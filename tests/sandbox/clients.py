"""boto3 clients into the sandbox's accounts the way bedrock-gitops gets them: the reconciler role assumed
through the sandbox's STS."""

from __future__ import annotations

from typing import Any

import boto3
from botocore.config import Config

from reconciler.sandbox.estate import SandboxEstate


def role_session(estate: SandboxEstate, account: str) -> boto3.Session:
    role = f"arn:aws:iam::{account}:role/BedrockGitOpsReconciler"
    sts = estate.session().client("sts")
    credentials = sts.assume_role(RoleArn=role, RoleSessionName="tests")["Credentials"]
    return boto3.Session(
        aws_access_key_id=credentials["AccessKeyId"],
        aws_secret_access_key=credentials["SecretAccessKey"],
        aws_session_token=credentials["SessionToken"],
    )


def client(
    estate: SandboxEstate, service: str, account: str, region: str = "us-east-1", config: Config | None = None
) -> Any:
    make_client: Any = role_session(estate, account).client  # the service name is a plain str, not a Literal
    return make_client(service, region_name=region, config=config)
