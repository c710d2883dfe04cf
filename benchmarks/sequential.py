"""The sequential baseline the plan is compared with, independent of the reconciler's AWS code: the seed's
approach, with plain boto3. Per account one AssumeRole; per account and Region one client and the four
Bedrock listings, one call after another (largest pages)."""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import boto3

from reconciler.sandbox.remote import remote_session

LISTINGS = (
    "list_custom_models",
    "list_model_copy_jobs",
    "list_provisioned_model_throughputs",
    "list_custom_model_deployments",
)
PAGE_SIZE = 1000


def read_sequentially(
    server_socket: Path, regions_by_role: Mapping[str, Sequence[str]]
) -> tuple[float, int, int]:
    """Wall seconds, API calls, account-Regions read from the sandbox server at `server_socket` (the one
    the plan is measured against); `regions_by_role` maps role ARN -> Regions."""
    calls = scopes = 0
    with remote_session(server_socket) as base:
        sts = base.client("sts")
        started = time.perf_counter()
        for role_arn, regions in regions_by_role.items():
            credentials = sts.assume_role(RoleArn=role_arn, RoleSessionName="baseline")["Credentials"]
            calls += 1
            session = boto3.Session(
                aws_access_key_id=credentials["AccessKeyId"],
                aws_secret_access_key=credentials["SecretAccessKey"],
                aws_session_token=credentials["SessionToken"],
            )
            for region in regions:
                bedrock: Any = session.client("bedrock", region_name=region)
                scopes += 1
                for listing in LISTINGS:
                    pages = bedrock.get_paginator(listing).paginate(PaginationConfig={"PageSize": PAGE_SIZE})
                    calls += sum(1 for _ in pages)
        return time.perf_counter() - started, calls, scopes
