"""What the preflight modules share: the support data, base model ids, AWS error text."""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from reconciler.errors import AwsAccessError


@cache
def support_data() -> dict[str, Any]:
    """reconciler/data/bedrock-support.json (sources and retrieval date inside)."""
    text = resources.files("reconciler").joinpath("data/bedrock-support.json").read_text()
    data: dict[str, Any] = json.loads(text)
    return data


def base_model_id(model_arn: str) -> str:
    """`amazon.titan-text-express-v1:0:8k` from `arn:aws:bedrock:...:custom-model/<base>/<id>`."""
    resource = model_arn.split(":", 5)[5] if model_arn.count(":") >= 5 else ""
    parts = resource.split("/")
    return parts[1] if len(parts) == 3 else ""


def aws_error(error: Exception) -> str:
    if isinstance(error, ClientError):
        details = error.response.get("Error", {})
        return f"{details.get('Code', 'Error')}: {details.get('Message', '')}"
    return str(error)


def code_of(error: Exception) -> str:
    return str(error.response.get("Error", {}).get("Code", "")) if isinstance(error, ClientError) else ""


CHECK_ERRORS = (ClientError, BotoCoreError, AwsAccessError)
