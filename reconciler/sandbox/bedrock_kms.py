"""The KMS key of a model copy (CreateModelCopyJob.modelKmsKeyId): resolved to a key ARN and refused as AWS
refuses a key the copy cannot use. Keys are read from the sandbox's KMS document (moto_state.py)."""

from __future__ import annotations

from reconciler.aws.kms_access import missing_actions
from reconciler.core import support
from reconciler.sandbox import arns
from reconciler.sandbox.api import Call, access_denied
from reconciler.sandbox.api import validation_error as invalid


def target_key(call: Call) -> str | None:
    """The key ARN of `modelKmsKeyId`, refused as AWS refuses a key the copy cannot use.

    - The key must be in the copy's Region: KMS keys are Regional and a key of another Region cannot be used
      ("AWS KMS keys", https://docs.aws.amazon.com/kms/latest/developerguide/concepts.html#kms_keys).
    - It must exist and be Enabled: a disabled key (or one pending deletion) fails every cryptographic
      operation ("Key states of AWS KMS keys", https://docs.aws.amazon.com/kms/latest/developerguide/key-state.html).
    - Its key policy (or a grant) must let the copying role use it: "If you plan to encrypt the model copy
      with a KMS key, attach a key policy to the KMS key ... to allow a role to encrypt the model with the
      key" ("Fulfill prerequisites to copy models",
      https://docs.aws.amazon.com/bedrock/latest/userguide/copy-model-prereq.html); the actions are the
      support table's `kms.targetKeyActions`, the ones the preflight checks.

    Neither page names the error: a key the request cannot use is a ValidationException (the input fails
    the constraints), one the caller may not use an AccessDeniedException (CreateModelCopyJob's modelled
    error for missing permissions).
    """
    reference = call.params.get("modelKmsKeyId")
    if not reference:
        return None
    try:
        key_arn = _aliased_key(call, arns.kms_key_arn(reference, call.region, call.account), reference)
    except ValueError:
        raise invalid(
            f"The KMS key {reference} is not a valid key id, key ARN, alias or alias ARN."
        ) from None
    parsed = arns.parse_arn(key_arn)
    assert parsed is not None  # kms_key_arn returns a key ARN
    if parsed.region != call.region:
        raise invalid(
            f"The KMS key {key_arn} is in {parsed.region}: a model copy in {call.region} can only be "
            "encrypted with a key of its own Region."
        )
    key = call.state.get("kms", {}).get(f"{parsed.account}/{parsed.region}", {}).get(parsed.resource)
    if key is None:
        raise invalid(f"The KMS key {key_arn} does not exist.")
    key_state = str(key.get("state", "Enabled"))
    if key_state != "Enabled":
        raise invalid(f"The KMS key {key_arn} is {key_state}: only an Enabled key can encrypt a model copy.")
    needed = [str(action) for action in support.table()["kms"]["targetKeyActions"]]
    principal = call.principal or f"arn:aws:iam::{call.account}:root"
    missing = missing_actions(key.get("policy", ""), key.get("grants", []), [principal], needed)
    if missing:
        raise access_denied(
            f"{principal} is not authorized to use the KMS key {key_arn} for the model copy: its key policy "
            f"(and grants) do not allow {', '.join(missing)}."
        )
    return key_arn


def _aliased_key(call: Call, key_arn: str, reference: str) -> str:
    """The ARN of the key an alias (name or ARN) points to in the KMS document, else `key_arn`."""
    parsed = arns.parse_arn(reference)
    if parsed is not None and parsed.resource_type == "alias":
        account, region, alias = parsed.account, parsed.region, f"alias/{parsed.resource}"
    elif reference.startswith("alias/"):
        account, region, alias = call.account, call.region, reference
    else:
        return key_arn
    keys = call.state.get("kms", {}).get(f"{account}/{region}", {})
    found = next((key_id for key_id, key in keys.items() if alias in key.get("aliases", [])), None)
    return f"arn:aws:kms:{region}:{account}:key/{found}" if found else key_arn
