"""The fine-tuned model ARN a version pins, with botocore's pattern and full-match semantics (pure).

botocore's service model (bedrock, shape `CustomModelArn`) gives:
    arn:aws(|-us-gov|-cn|-iso|-iso-b):bedrock:[a-z0-9-]{1,20}:[0-9]{12}:custom-model/
    (imported|<base model id>)/[a-z0-9]{12}
We keep its base-model part as is, limit the partitions to the ones Bedrock model copy and sharing serve
(aws, aws-cn, aws-us-gov), and leave out `imported` models: only models fine-tuned in Bedrock can be shared
with AWS RAM (Bedrock user guide, share-model-prereq). AWS matches the whole value; so do we, with
`re.fullmatch` here and an end anchor in the JSON Schema that does not match before a final newline (in
Python `$` does, ECMA-262 does not: `(?!\\n)$` means the same in both).
"""

from __future__ import annotations

import re

PARTITIONS = ("aws", "aws-cn", "aws-us-gov")
CUSTOM_MODEL_ARN = (
    r"arn:aws(-cn|-us-gov)?:bedrock:[a-z0-9-]{1,20}:[0-9]{12}:custom-model/"
    r"[a-z0-9-]{1,63}[.]{1}[a-z0-9-]{1,63}([a-z0-9-]{1,63}[.]){0,2}[a-z0-9-]{1,63}([:][a-z0-9-]{1,63}){0,2}"
    r"/[a-z0-9]{12}"
)
# What schemas/model.schema.json carries (a test keeps the two the same).
SCHEMA_PATTERN = "^" + CUSTOM_MODEL_ARN + r"(?!\n)$"
_ARN = re.compile(CUSTOM_MODEL_ARN)


def is_custom_model_arn(text: str) -> bool:
    return _ARN.fullmatch(text) is not None
