"""The read-only session policy: what `plan`, drift, `import` and the preflight checks assume roles with;
and the verify session policy (the same reads plus model invocation): what `verify` assumes them with.

STS `AssumeRole` takes an inline session policy (`Policy`); the session's effective permissions are the
intersection of the role's identity policies and the session policy, evaluated by AWS on every request
(IAM user guide, "Session policies":
https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies.html#policies_session, and the STS API
reference, AssumeRole: https://docs.aws.amazon.com/STS/latest/APIReference/API_AssumeRole.html). So a plan
step holding the very role that apply uses still cannot create, update or delete anything: AWS answers
AccessDenied ("... because no session policy allows the <action> action").

Only the reads of the services the reconciler talks to are allowed, by verb (Get/List/Describe), which in
these services never change state. The inline policy must stay within AssumeRole's 2,048-character limit.
"""

from __future__ import annotations

import json
from typing import Any

# IAM action prefixes (botocore signing names) of the services a read-only run reads.
READ_SERVICES = ("bedrock", "ram", "kms", "organizations", "servicequotas")
READ_VERBS = ("Get", "List", "Describe")

READ_ONLY_SESSION_POLICY: dict[str, Any] = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Sid": "BedrockGitOpsReadOnlySession",
            "Effect": "Allow",
            "Action": [f"{service}:{verb}*" for service in READ_SERVICES for verb in READ_VERBS],
            "Resource": "*",
        }
    ],
}
READ_ONLY_SESSION_POLICY_JSON = json.dumps(READ_ONLY_SESSION_POLICY, separators=(",", ":"))
# AssumeRole: "The plaintext that you use for both inline and managed session policies can't exceed 2,048
# characters."
MAX_SESSION_POLICY_CHARACTERS = 2048

# `verify` (and the drift workflow's check) invokes the capacity: the reads plus bedrock:InvokeModel, which
# InvokeModel and Converse both require (Bedrock API reference, Converse: "This operation requires
# permission for the bedrock:InvokeModel action",
# https://docs.aws.amazon.com/bedrock/latest/APIReference/API_runtime_Converse.html). It can still create,
# tag, update or delete nothing; which models it may invoke is the role's grant (the capacity ARNs only,
# aws/iam_grants.py), the session policy only never widens it.
VERIFY_SESSION_POLICY: dict[str, Any] = {
    "Version": "2012-10-17",
    "Statement": [
        *READ_ONLY_SESSION_POLICY["Statement"],
        {
            "Sid": "BedrockGitOpsVerifyInvoke",
            "Effect": "Allow",
            "Action": ["bedrock:InvokeModel"],
            "Resource": "*",
        },
    ],
}
VERIFY_SESSION_POLICY_JSON = json.dumps(VERIFY_SESSION_POLICY, separators=(",", ":"))
