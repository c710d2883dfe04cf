"""What each role may do, as one table: the source of `bedrock-gitops policy` (reconciler/aws/iam_policy.py).

Each row grants one role some operations of one service on some resources, under some conditions. A test
keeps the table equal to what the code calls (an AST scan of the package) and to what a full lifecycle in the
sandbox really calls, role by role (tests/security/test_iam_least_privilege.py); a new call is one new row.

Roles:
- `reader`: every account the manifests declare (environments and model sources), with the reads of plan,
  drift and preflight;
- `source`: an account a model is fine-tuned in (RAM shares of its versions);
- `target`: an environment's account (copies, capacity, tags, deletes, accepting invitations);
- `lock`: the account of the apply lock's table (`lock.account`, else the base credentials);
- `base`: the credentials bedrock-gitops runs with (AssumeRole into the declared roles, Organizations).

Actions, resource types and condition keys are those of the Service Authorization Reference:
- Amazon Bedrock: https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonbedrock.html
  (resource types custom-model, model-copy-job, provisioned-model, custom-model-deployment, foundation-model,
  model-customization-job; `aws:ResourceTag/${TagKey}` on them; `aws:RequestTag/${TagKey}` and
  `aws:TagKeys` on the Create* and TagResource actions; a create that carries tags also authorizes
  `bedrock:TagResource`);
- AWS RAM: https://docs.aws.amazon.com/service-authorization/latest/reference/list_awsresourceaccessmanagerram.html
  (`ram:RequestedAllowsExternalPrincipals`, `ram:RequestedResourceType` on CreateResourceShare; resource type
  resource-share with `aws:ResourceTag/${TagKey}`; resource-share-invitation with `ram:ShareOwnerAccountId`);
- AWS KMS: https://docs.aws.amazon.com/service-authorization/latest/reference/list_awskeymanagementservice.html;
- Amazon DynamoDB: https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazondynamodb.html;
- AWS STS: https://docs.aws.amazon.com/service-authorization/latest/reference/list_awssecuritytokenservice.html;
- AWS Organizations: https://docs.aws.amazon.com/service-authorization/latest/reference/list_awsorganizations.html;
- Service Quotas: https://docs.aws.amazon.com/service-authorization/latest/reference/list_servicequotas.html;
- `aws:RequestedRegion`, `aws:ResourceTag`, `aws:RequestTag`, `aws:TagKeys` (global keys):
  https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Role = Literal["reader", "source", "target", "lock", "base"]
ROLES: tuple[Role, ...] = ("reader", "source", "target", "lock", "base")

# Resource kinds (iam_policy.py turns each into ARNs for one account):
#   "*"                          actions without resource-level permissions (List*, account-wide reads)
#   "custom-model" ...           that bedrock resource type in the account, in its Regions
#   "foundation-model"           arn:...:bedrock:<region>::foundation-model/*
#   "source-models"              the exact modelArns of the versions the account serves or shares
#   "resource-share"             RAM shares the account owns, in its Regions
#   "resource-share-invitation"  invitations sent to the account (their ARN names the sender's account)
#   "own-keys" / "copy-keys"     KMS keys of the account / the environment's `kmsKeys`
#   "lock-table"                 the one DynamoDB table of backend.yaml
#   "roles"                      the declared reconciler roles (and the lock's role)
# Condition kinds (iam_policy.py writes them out):
#   "region"        aws:RequestedRegion in the account's declared Regions
#   "managed"       aws:ResourceTag/bedrock-gitops:managed-by = bedrock-gitops (updates, deletes, tags)
#   "create-tags"   aws:RequestTag/bedrock-gitops:managed-by = bedrock-gitops; aws:TagKeys bedrock-gitops:*
#   "private-share" ram:RequestedAllowsExternalPrincipals = false;
#                   ram:RequestedResourceType = bedrock:CustomModel
#   "from-sources"  ram:ShareOwnerAccountId in the declared model source accounts


@dataclass(frozen=True, slots=True)
class Grant:
    sid: str
    role: Role
    service: str  # botocore's service name; the IAM prefix is its signing name
    operations: tuple[str, ...]
    resources: tuple[str, ...]
    conditions: tuple[str, ...] = ()
    # Granted but not an API call our code makes (AWS calls it on the role's behalf), and why.
    implied: str = ""


GRANTS: tuple[Grant, ...] = (
    # -- reader: plan, drift, preflight (every declared account) --------------------------------------------
    Grant(
        "ListBedrock",
        "reader",
        "bedrock",
        (
            "ListCustomModels",
            "ListModelCopyJobs",
            "ListProvisionedModelThroughputs",
            "ListCustomModelDeployments",
        ),
        ("*",),
        ("region",),
    ),
    Grant(
        "ReadBedrock",
        "reader",
        "bedrock",
        (
            "GetCustomModel",
            "GetModelCopyJob",
            "GetProvisionedModelThroughput",
            "GetCustomModelDeployment",
            "GetModelCustomizationJob",
            "ListTagsForResource",
        ),
        (
            "custom-model",
            "source-models",
            "model-copy-job",
            "provisioned-model",
            "custom-model-deployment",
            "model-customization-job",
        ),
        ("region",),
    ),
    Grant("ReadEvaluationJobs", "reader", "bedrock", ("GetEvaluationJob",), ("evaluation-job",), ("region",)),
    Grant(
        "ReadFoundationModels",
        "reader",
        "bedrock",
        ("GetFoundationModel",),
        ("foundation-model",),
        ("region",),
    ),
    Grant(
        "ReadShares",
        "reader",
        "ram",
        ("GetResourceShares", "GetResourceShareAssociations", "GetResourceShareInvitations"),
        ("*",),
        ("region",),
    ),
    Grant(
        "ReadKeys", "reader", "kms", ("DescribeKey", "GetKeyPolicy", "ListGrants"), ("own-keys",), ("region",)
    ),
    Grant("ReadOrganization", "reader", "organizations", ("DescribeOrganization",), ("*",)),
    Grant("ReadQuotas", "reader", "service-quotas", ("ListServiceQuotas",), ("*",), ("region",)),
    # -- source: share the versions fine-tuned here -------------------------------------------------------
    Grant(
        "CreatePrivateShares",
        "source",
        "ram",
        ("CreateResourceShare", "TagResource"),
        ("*",),
        ("region", "create-tags", "private-share"),
        implied="ram:TagResource authorizes the tags CreateResourceShare carries",
    ),
    Grant(
        "ChangeManagedShares",
        "source",
        "ram",
        ("AssociateResourceShare", "DisassociateResourceShare", "DeleteResourceShare"),
        ("resource-share",),
        ("region", "managed"),
    ),
    Grant(
        "ShareModelPolicy",
        "source",
        "bedrock",
        ("PutResourcePolicy", "GetResourcePolicy", "DeleteResourcePolicy"),
        ("source-models",),
        ("region",),
        implied="RAM puts the model's resource policy on the sharer's behalf (Bedrock user guide, "
        "share-model-prereq: https://docs.aws.amazon.com/bedrock/latest/userguide/share-model-prereq.html)",
    ),
    # -- target: copies, capacity, tags, deletes ---------------------------------------------------------
    Grant(
        "CreateCopies",
        "target",
        "bedrock",
        ("CreateModelCopyJob", "TagResource"),
        ("source-models", "custom-model", "model-copy-job"),
        ("region", "create-tags"),
        implied="bedrock:TagResource authorizes the targetModelTags CreateModelCopyJob carries",
    ),
    Grant(
        "CreateCapacity",
        "target",
        "bedrock",
        ("CreateProvisionedModelThroughput", "CreateCustomModelDeployment", "TagResource"),
        ("custom-model", "source-models", "provisioned-model", "custom-model-deployment"),
        ("region", "create-tags"),
        implied="bedrock:TagResource authorizes the tags a create carries",
    ),
    Grant(
        "RepointCapacity",
        "target",
        "bedrock",
        ("UpdateProvisionedModelThroughput", "UpdateCustomModelDeployment"),
        ("custom-model", "source-models"),
        ("region",),
        implied="",
    ),
    Grant(
        "ChangeManagedResources",
        "target",
        "bedrock",
        (
            "UpdateProvisionedModelThroughput",
            "UpdateCustomModelDeployment",
            "TagResource",
            "DeleteProvisionedModelThroughput",
            "DeleteCustomModelDeployment",
            "DeleteCustomModel",
        ),
        ("provisioned-model", "custom-model-deployment", "custom-model"),
        ("region", "managed"),
    ),
    Grant(
        "AcceptShares",
        "target",
        "ram",
        ("AcceptResourceShareInvitation",),
        ("resource-share-invitation",),
        ("region", "from-sources"),
    ),
    Grant(
        "UseCopyKeys",
        "target",
        "kms",
        ("DescribeKey", "CreateGrant", "GenerateDataKey", "Decrypt"),
        ("copy-keys",),
        (),
        implied="Bedrock uses the copy's key on the role's behalf (copy-model-prereq: "
        "https://docs.aws.amazon.com/bedrock/latest/userguide/copy-model-prereq.html)",
    ),
    Grant(
        "VerifyCapacity",
        "target",
        "bedrock-runtime",
        ("InvokeModel", "Converse"),
        ("provisioned-model", "custom-model-deployment"),
        ("region", "managed"),
    ),
    # -- lock: the apply lock's one table ----------------------------------------------------------------
    Grant(
        "ApplyLock", "lock", "dynamodb", ("GetItem", "PutItem", "UpdateItem", "DeleteItem"), ("lock-table",)
    ),
    # -- base: the credentials bedrock-gitops runs with --------------------------------------------------
    Grant("AssumeReconcilerRoles", "base", "sts", ("AssumeRole",), ("roles",)),
    Grant(
        "ReadOrganizationServices", "base", "organizations", ("ListAWSServiceAccessForOrganization",), ("*",)
    ),
)

# Calls that need no permission (sts:GetCallerIdentity works for every principal).
NO_PERMISSION_NEEDED = frozenset({("sts", "GetCallerIdentity")})
# API operations authorized by another IAM action (Service Authorization Reference, bedrock: Converse).
ACTION_OF = {("bedrock-runtime", "Converse"): "InvokeModel"}
