"""The list calls discovery makes in one account/Region: read-only, each fully paginated.

Every function makes exactly one paginated listing (one API call per page), so call counts are
predictable: tests assert them, and a run's report shows them. Pages are followed by their `nextToken`
here rather than by botocore's paginators: the same requests, without the paginator's own work on every
page (a tenth of a list call's CPU: a copied context, JMESPath searches for the token and the results).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence
from typing import TYPE_CHECKING, Any, Literal

from botocore.exceptions import PaginationError

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
    from mypy_boto3_ram import RAMClient
    from mypy_boto3_ram.type_defs import ResourceShareTypeDef

# Associations are read for many shares per call; RAM documents no maximum for `resourceShareArns`, so
# stay at a size well inside what such list parameters usually accept. One batch covers any realistic
# estate (one share per model version).
SHARE_ARN_BATCH_SIZE = 100
LIVE_ASSOCIATION_STATES = frozenset({"ASSOCIATED", "ASSOCIATING"})


def _pages(list_call: Callable[..., Any], page_size: int | None, **params: Any) -> Iterator[Any]:
    """Every page of one listing, one call per page: `page_size` is sent as `maxResults` (None: the
    service's default), each page's `nextToken` asks for the next. Like botocore's paginators, a token
    received twice in a row is an error instead of an endless loop."""
    if page_size:
        params["maxResults"] = page_size
    previous: str | None = None
    while True:
        page = list_call(**params)
        yield page
        token = page.get("nextToken")
        if not token:
            return
        if token == previous:
            raise PaginationError(message=f"The same next token was received twice: {token}")
        previous = params["nextToken"] = token


# -- Bedrock ---------------------------------------------------------------------------------------------


def list_custom_models(bedrock: BedrockClient, page_size: int | None = None) -> list[LiveCustomModel]:
    """Owned and shared-with-us models in one listing: without `isOwned`, ListCustomModels applies no
    ownership filter (`isOwned=true` restricts to owned models, `false` to models shared with us)."""
    pages = _pages(bedrock.list_custom_models, page_size)
    return [conversions.custom_model(item) for page in pages for item in page["modelSummaries"]]


def list_copy_jobs(bedrock: BedrockClient, page_size: int | None = None) -> list[LiveCopyJob]:
    pages = _pages(bedrock.list_model_copy_jobs, page_size)
    return [conversions.copy_job(item) for page in pages for item in page["modelCopyJobSummaries"]]


def list_throughputs(bedrock: BedrockClient, page_size: int | None = None) -> list[LiveThroughput]:
    pages = _pages(bedrock.list_provisioned_model_throughputs, page_size)
    return [conversions.throughput(item) for page in pages for item in page["provisionedModelSummaries"]]


def list_deployments(bedrock: BedrockClient, page_size: int | None = None) -> list[LiveDeployment]:
    pages = _pages(bedrock.list_custom_model_deployments, page_size)
    return [conversions.deployment(item) for page in pages for item in page["modelDeploymentSummaries"]]


# -- RAM -------------------------------------------------------------------------------------------------


def list_owned_shares(ram: RAMClient, page_size: int | None = None) -> list[LiveShare]:
    """Shares this account owns in this Region (DELETED ones dropped), with their live associations."""
    pages = _pages(ram.get_resource_shares, page_size, resourceOwner="SELF")
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
    for start in range(0, len(share_arns), SHARE_ARN_BATCH_SIZE):
        pages = _pages(
            ram.get_resource_share_associations,
            page_size,
            associationType=association_type,
            resourceShareArns=list(share_arns[start : start + SHARE_ARN_BATCH_SIZE]),
        )
        for page in pages:
            for association in page["resourceShareAssociations"]:
                if association.get("status") in LIVE_ASSOCIATION_STATES:
                    entities[association["resourceShareArn"]].add(association["associatedEntity"])
    return entities


def list_invitations(ram: RAMClient, page_size: int | None = None) -> list[LiveInvitation]:
    """Every invitation this account received in this Region; discovery keeps the relevant ones."""
    pages = _pages(ram.get_resource_share_invitations, page_size)
    return [conversions.invitation(item) for page in pages for item in page["resourceShareInvitations"]]
