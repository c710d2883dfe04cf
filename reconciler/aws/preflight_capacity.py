"""Preflight, capacity: each version's base model is offered and supports model copy and the declared
capacity in each target Region; the custom models an account will hold fit its Service Quotas quota."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING

from reconciler.aws.limits import MAX_CALLS_PER_SCOPE
from reconciler.aws.preflight_common import CHECK_ERRORS, base_model_id, code_of, support_data
from reconciler.core import support
from reconciler.core.findings import Finding, Severity
from reconciler.manifests.model import Environment
from reconciler.policies.context import region_where

if TYPE_CHECKING:
    from reconciler.aws.preflight import Preflight


def _targets(pf: Preflight) -> Iterator[tuple[Environment, str, str, str, support.Need]]:
    """(environment, model, region, base model id, need) for each copy and capacity: need is copy,
    provisioned or onDemand."""
    for copy in pf.desired.copies:
        environment = pf.environment_of(copy.account)
        if environment is not None:
            yield environment, copy.model, copy.region, base_model_id(copy.source_model_arn), "copy"
    for capacity in pf.desired.capacities:
        environment = pf.environment_of(capacity.account)
        need: support.Need = "provisioned" if capacity.kind == "provisioned" else "onDemand"
        if environment is not None:
            yield (
                environment,
                capacity.model,
                capacity.region,
                base_model_id(capacity.source_model_arn),
                need,
            )


def support_findings(pf: Preflight) -> Iterator[Finding]:
    targets = list(_targets(pf))
    # One GetFoundationModel per (Region, base model), asked in the first account that needs it; all of
    # them at once: one after another they added a round trip each to every plan.
    asks: dict[tuple[str, str], str] = {}
    for environment, _, region, base, _ in targets:
        asks.setdefault((region, base), environment.account_id)
    with ThreadPoolExecutor(max_workers=max(1, min(len(asks), MAX_CALLS_PER_SCOPE))) as pool:
        answers = {key: pool.submit(_offered, pf, account, *key) for key, account in asks.items()}
    offered = {key: answer.result() for key, answer in answers.items()}
    for environment, model, region, base, need in targets:

        def finding(severity: Severity, message: str, fix: str) -> Finding:
            # Located only for a finding: locating every target forced every manifest's locations.
            pin = next(p for p in environment.models if p.model == model)  # noqa: B023  (used at once)
            return pf.make_finding(
                "model-support",
                severity,
                region_where(environment, pin, region),  # noqa: B023
                message,
                fix,
                environment=environment.name,  # noqa: B023
                account=environment.account_id,  # noqa: B023
                region=region,  # noqa: B023
            )

        result = offered[(region, base)]
        if isinstance(result, Exception):
            yield pf.unchecked("model-support", environment.account_id, region, f"base model {base}", result)
            continue
        if not result:
            yield finding(
                "error",
                f"base model {base} of {model} is not offered in {region} (GetFoundationModel), so "
                f"{model} cannot be served there",
                f"remove {region} from the Regions of {model} in environments/{environment.name}",
            )
            continue
        row = support.support_row(base, need)
        if row is None:
            yield finding(
                "warning",
                f"base model {base} of {model} is not in the support table, so {support.WORDS[need]} in "
                f"{region} is not checked",
                f"check {support.page(need).url} and add {base} to {support.TABLE_PATH}",
            )
        elif region not in row.regions:
            yield finding(
                "error",
                f"{model} is built on {base}, which does not support {support.WORDS[need]} in {region}, so "
                f"AWS would refuse it (supported: {', '.join(row.regions) or 'nowhere'}; {row.cite()})",
                f"serve {model} in a supported Region, or change its capacity type",
            )


def _offered(pf: Preflight, account: str, region: str, base: str) -> bool | Exception:
    try:
        pf.clients.bedrock(account, region).get_foundation_model(modelIdentifier=base)
    except CHECK_ERRORS as error:
        if code_of(error) in ("ResourceNotFoundException", "ValidationException"):
            return False
        return error
    return True


# -- quotas-----------------------------------------------------------------------------------------


def quota_findings(pf: Preflight) -> Iterator[Finding]:
    adding: dict[tuple[str, str], int] = {}
    for action in pf.plan.actions:
        if action.change == "create" and action.operation == "CreateModelCopyJob":
            adding[(action.account, action.region)] = adding.get((action.account, action.region), 0) + 1
    names = {name.lower() for name in support_data()["customModelQuotaNames"]}
    for (account, region), count in sorted(adding.items()):
        where, environment = pf.account_where(account)
        env = pf.environment_of(account)
        if env is not None and region in env.regions:
            where = env.where(f"regions[{env.regions.index(region)}]")
        try:
            paginator = pf.clients.client("service-quotas", account, region).get_paginator(
                "list_service_quotas"
            )
            quotas = [q for page in paginator.paginate(ServiceCode="bedrock") for q in page["Quotas"]]
        except CHECK_ERRORS as error:
            yield pf.unchecked("quota", account, region, "the custom model quota", error)
            continue
        quota = next((q for q in quotas if str(q.get("QuotaName", "")).lower() in names), None)
        existing = sum(1 for m in pf.live.scope(account, region).custom_models if m.owner_account == account)
        if quota is None:
            yield pf.make_finding(
                "quota",
                "warning",
                where,
                f"no Service Quotas quota for custom models found in {account} {region}, so the "
                f"{count} copies this plan makes are not checked against one",
                f"check the Amazon Bedrock quotas ({support.page('quotas').url}) and update "
                "customModelQuotaNames in reconciler/data/bedrock-support.json",
                environment=environment,
                account=account,
                region=region,
            )
        elif existing + count > float(quota["Value"]):
            yield pf.make_finding(
                "quota",
                "error",
                where,
                f"account {account} would hold {existing + count} custom models in {region} ({existing} "
                f"now + {count} copies this plan makes), over its quota of {int(quota['Value'])} "
                f"({quota['QuotaName']}, {quota['QuotaCode']})",
                f"request an increase of bedrock {quota['QuotaCode']} in Service Quotas, or delete unused "
                f"custom models in {account} {region}",
                environment=environment,
                account=account,
                region=region,
            )
