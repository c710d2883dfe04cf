"""What the preflight modules share: the support data, base model ids, AWS error text."""

from __future__ import annotations

from botocore.exceptions import BotoCoreError, ClientError

from reconciler.core import support
from reconciler.errors import AwsAccessError

support_data = support.table
# reconciler/data/bedrock-support.json, shared with the sandbox's refusals (reconciler/core/support.py).
base_model_id = support.base_model_of_arn


def aws_error(error: Exception) -> str:
    if isinstance(error, ClientError):
        details = error.response.get("Error", {})
        return f"{details.get('Code', 'Error')}: {details.get('Message', '')}"
    return str(error)


def code_of(error: Exception) -> str:
    return str(error.response.get("Error", {}).get("Code", "")) if isinstance(error, ClientError) else ""


CHECK_ERRORS = (ClientError, BotoCoreError, AwsAccessError)
