"""Real-form ARNs and resource ids for the sandbox's simulated Bedrock resources.

moto mints `custom-model/<name>` ARNs, which no real call accepts (`CreateModelCopyJob.sourceModelArn` must
match `custom-model/<base model id>/<12 [a-z0-9]>`), so the simulation mints its own. Ids are derived from
a sequence number kept in the state document, so a run replayed from the same state mints the same ids.
"""

from __future__ import annotations

import hashlib
import re
import uuid
from dataclasses import dataclass

PARTITION = "aws"
RESOURCE_ID_LENGTH = 12
_RESOURCE_ID_ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789"
_KMS_KEY_ID = re.compile(r"[a-zA-Z0-9-]{36}")
# Any fixed namespace works: it only has to be the same in every run.
_SYNTHETIC_KMS_NAMESPACE = uuid.UUID("6f1c1a52-3f0e-4c55-9d43-7b1d3c0d5e11")


def resource_id(kind: str, sequence: int) -> str:
    """12 characters of [a-z0-9], a pure function of (kind, sequence): random-looking, reproducible."""
    digest = hashlib.sha256(f"bedrock-sandbox/{kind}/{sequence}".encode()).digest()
    return "".join(
        _RESOURCE_ID_ALPHABET[byte % len(_RESOURCE_ID_ALPHABET)] for byte in digest[:RESOURCE_ID_LENGTH]
    )


def custom_model_arn(region: str, account: str, base_model_id: str, model_id: str) -> str:
    """`base_model_id` keeps its `:version` suffixes, e.g. `amazon.titan-text-express-v1:0:8k`."""
    return f"arn:{PARTITION}:bedrock:{region}:{account}:custom-model/{base_model_id}/{model_id}"


def copy_job_arn(region: str, account: str, job_id: str) -> str:
    return f"arn:{PARTITION}:bedrock:{region}:{account}:model-copy-job/{job_id}"


def provisioned_model_arn(region: str, account: str, throughput_id: str) -> str:
    return f"arn:{PARTITION}:bedrock:{region}:{account}:provisioned-model/{throughput_id}"


def deployment_arn(region: str, account: str, deployment_id: str) -> str:
    return f"arn:{PARTITION}:bedrock:{region}:{account}:custom-model-deployment/{deployment_id}"


def foundation_model_arn(region: str, model_id: str) -> str:
    """Foundation models belong to no account: the account field is empty."""
    return f"arn:{PARTITION}:bedrock:{region}::foundation-model/{model_id}"


def model_customization_job_arn(region: str, account: str, base_model_id: str, job_id: str) -> str:
    return f"arn:{PARTITION}:bedrock:{region}:{account}:model-customization-job/{base_model_id}/{job_id}"


@dataclass(frozen=True)
class Arn:
    """`arn:partition:service:region:account:resource_type/resource`, split once on each separator."""

    partition: str
    service: str
    region: str
    account: str
    resource_type: str
    resource: str

    @property
    def last_segment(self) -> str:
        """The trailing id (`.../<id>`), or the whole resource when it has no `/`."""
        return self.resource.rsplit("/", 1)[-1]


def parse_arn(text: str) -> Arn | None:
    """None when `text` is not an ARN (e.g. a resource name given where an ARN or a name is accepted)."""
    parts = text.split(":", 5)
    if len(parts) != 6 or parts[0] != "arn":
        return None
    resource_type, _, resource = parts[5].partition("/")
    return Arn(parts[1], parts[2], parts[3], parts[4], resource_type, resource)


def custom_model_base_id(arn: str) -> str:
    """`custom-model/<base model id>/<id>` -> `<base model id>` ("imported" for imported models)."""
    parsed = parse_arn(arn)
    if parsed is None or parsed.resource_type != "custom-model":
        raise ValueError(f"not a custom model ARN: {arn}")
    return parsed.resource.rsplit("/", 1)[0]


def foundation_model_id(arn: str) -> str:
    """`arn:aws:bedrock:<region>::foundation-model/<id>` -> `<id>`."""
    parsed = parse_arn(arn)
    if parsed is None or parsed.resource_type != "foundation-model":
        raise ValueError(f"not a foundation model ARN: {arn}")
    return parsed.resource


def kms_key_arn(key_reference: str, region: str, account: str) -> str:
    """Expand a key id, key ARN, alias name or alias ARN to a key ARN (the only form Bedrock reports).

    The sandbox does not simulate KMS, so an alias resolves to a synthetic key id derived from the alias
    ARN: stable across runs, and two different aliases never share a key.
    """
    parsed = parse_arn(key_reference)
    if parsed is not None:
        if parsed.resource_type == "key":
            return key_reference
        key_region, key_account, alias = parsed.region or region, parsed.account, parsed.resource
    elif key_reference.startswith("alias/"):
        key_region, key_account, alias = region, account, key_reference.removeprefix("alias/")
    elif _KMS_KEY_ID.fullmatch(key_reference):
        return f"arn:{PARTITION}:kms:{region}:{account}:key/{key_reference}"
    else:
        raise ValueError(f"not a KMS key id, key ARN, alias or alias ARN: {key_reference}")
    alias_arn = f"arn:{PARTITION}:kms:{key_region}:{key_account}:alias/{alias}"
    synthetic_key_id = uuid.uuid5(_SYNTHETIC_KMS_NAMESPACE, alias_arn)
    return f"arn:{PARTITION}:kms:{key_region}:{key_account}:key/{synthetic_key_id}"
