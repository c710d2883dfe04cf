"""The list calls discovery makes in one account/Region: read-only, each fully paginated.

Every function makes exactly one paginated listing (one API call per page), so call counts are
predictable: tests assert them, and a run's report shows them.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import TYPE_CHECKING, Literal

from reconciler.aws import conversions
from reconciler.core.live import (
    LiveCopyJob,
    LiveCustomModel,
    LiveDeployment,
    LiveInvitation,
    LiveShare,
    LiveThroughput,
)

if TYPE_CHECKING:
    from mypy_boto3_bedrock import BedrockClient
    from mypy_boto3_bedrock.type_defs import PaginatorConfigTypeDef
    from mypy_boto3_ram import RAMClient
    from mypy_boto3_ram.type_defs import ResourceShareTypeDef

# Associations are read for many shares per call; RAM documents no maximum for `resourceShareArns`, so
# stay at a size well inside what such list parameters usually accept. One batch covers any realistic
# estate (one share per model version).
SHARE_ARN_BATCH_SIZE = 100
LIVE_ASSOCIATION_STATES = frozenset({"ASSOCIATED", "ASSOCIATING"})


def _pages(page_size: int | None) -> PaginatorConfigTypeDef:
    return {"PageSize": page_size} if page_size else {}


# -- Bedrock ---------------------------------------------------------------------------------------------


def list_custom_models(bedrock: BedrockClient, page_size: int | None = None) -> list[LiveCustomModel]:
    """Owned and shared-with-us models in one listing: without `isOwned`, ListCustomModels applies no
    ownership filter (`isOwned=true` restricts to owned models, `false` to models shared with us)."""
    pages = bedrock.get_paginator("list_custom_models").paginate(PaginationConfig=_pages(page_size))
    return [conversions.custom_model(item) for page in pages for item in page["modelSummaries"]]


def list_copy_jobs(bedrock: BedrockClient, page_size: int | None = None) -> list[LiveCopyJob]:
    pages = bedrock.get_paginator("list_model_copy_jobs").paginate(PaginationConfig=_pages(page_size))
    return [conversions.copy_job(item) for page in pages for item in page["modelCopyJobSummaries"]]


def list_throughputs(bedrock: BedrockClient, page_size: int | None = None) -> list[LiveThroughput]:
    paginator = bedrock.get_paginator("list_provisioned_model_throughputs")
    pages = paginator.paginate(PaginationConfig=_pages(page_size))
    return [conversions.throughput(item) for page in pages for item in page["provisionedModelSummaries"]]


def list_deployments(bedrock: BedrockClient, page_size: int | None = None) -> list[LiveDeployment]:
    paginator = bedrock.get_paginator("list_custom_model_deployments")
    pages = paginator.paginate(PaginationConfig=_pages(page_size))
    return [conversions.deployment(item) for page in pages for item in page["modelDeploymentSummaries"]]


# -- RAM -------------------------------------------------------------------------------------------------


def list_owned_shares(ram: RAMClient, page_size: int | None = None) -> list[LiveShare]:
    """Shares this account owns in this Region (DELETED ones dropped), with their live associations."""
    pages = ram.get_paginator("get_resource_shares").paginate(
        resourceOwner="SELF", PaginationConfig=_pages(page_size)
    )
    found: list[ResourceShareTypeDef] = [
        item for page in pages for item in page["resourceShares"] if item.get("status") != "DELETED"
    ]
    if not found:
        return []
    share_arns = [item["resourceShareArn"] for item in found]
    principals = _live_associations(ram, share_arns, "PRINCIPAL", page_size)
    resources = _live_associations(ram, share_arns, "RESOURCE", page_size)
    return [
        conversions.share(
            item,
            resource_arns=resources.get(item["resourceShareArn"], ()),
            principals=principals.get(item["resourceShareArn"], ()),
        )
        for item in found
    ]


def _live_associations(
    ram: RAMClient,
    share_arns: Sequence[str],
    association_type: Literal["PRINCIPAL", "RESOURCE"],
    page_size: int | None,
) -> dict[str, set[str]]:
    """share ARN -> associated entities (principals or resource ARNs) in ASSOCIATED/ASSOCIATING state."""
    entities: defaultdict[str, set[str]] = defaultdict(set)
    paginator = ram.get_paginator("get_resource_share_associations")
    for start in range(0, len(share_arns), SHARE_ARN_BATCH_SIZE):
        pages = paginator.paginate(
            associationType=association_type,
            resourceShareArns=list(share_arns[start : start + SHARE_ARN_BATCH_SIZE]),
            PaginationConfig=_pages(page_size),
        )
        for page in pages:
            for association in page["resourceShareAssociations"]:
                if association.get("status") in LIVE_ASSOCIATION_STATES:
                    entities[association["resourceShareArn"]].add(association["associatedEntity"])
    return entities


def list_invitations(ram: RAMClient, page_size: int | None = None) -> list[LiveInvitation]:
    """Every invitation this account received in this Region; discovery keeps the relevant ones."""
    paginator = ram.get_paginator("get_resource_share_invitations")
    pages = paginator.paginate(PaginationConfig=_pages(page_size))
    return [conversions.invitation(item) for page in pages for item in page["resourceShareInvitations"]]
