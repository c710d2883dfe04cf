"""Preflight: read-only checks that the accounts and Regions a plan touches can do what it asks, run as
part of `plan` and reported as findings (reconciler/core/findings.py), per account and Region:

- organization: every account that shares or receives a model is in the same AWS Organization, and RAM
  sharing with the organization is enabled (else RAM refuses to share custom models: an error);
- model support: each version's base model is offered in each target Region (GetFoundationModel) and
  supports model copy and the declared capacity there (reconciler/data/bedrock-support.json, sources noted);
- quota: the custom models an account will hold in a Region after the plan's copies fit its Service Quotas
  quota;
- KMS: the target key of each copy (and the key of an encrypted source model) exists, is enabled and lets
  the principals that will use it do so (key policy or grants);
- evaluation job: a version's `evaluationJobArn` evidence names a Completed job that evaluated it.

A check that cannot be made (access denied, unreachable) is a warning naming what is missing, never a crash.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from reconciler.aws.clients import AwsClients
from reconciler.aws.preflight_capacity import quota_findings, support_findings
from reconciler.aws.preflight_common import CHECK_ERRORS, aws_error, code_of
from reconciler.aws.preflight_evaluation import evaluation_findings
from reconciler.aws.preflight_kms import kms_findings
from reconciler.core.desired import DesiredState
from reconciler.core.findings import Finding, Severity
from reconciler.core.live import LiveState, Scope
from reconciler.core.plan import Plan
from reconciler.manifests.model import Environment, Location, Manifests

ORGANIZATIONS_REGION = "us-east-1"  # Organizations is a global service, served from us-east-1
RAM_PRINCIPAL = "ram.amazonaws.com"
POLICY_HINT = "grant the role the actions printed by `bedrock-gitops policy`"


SHARING_OPERATIONS = frozenset({"CreateResourceShare", "AssociateResourceShare"})


@dataclass
class Preflight:
    clients: AwsClients
    manifests: Manifests
    desired: DesiredState
    live: LiveState
    plan: Plan
    # account -> its environment (the first declaring it), built once: the checks ask per copy and capacity.
    _environments: dict[str, Environment] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self._environments = {}
        for environment in self.manifests.environments:
            self._environments.setdefault(environment.account_id, environment)

    def run(self) -> list[Finding]:
        findings: list[Finding] = []
        findings += self._source_models()
        findings += self._organization()
        findings += support_findings(self)
        findings += quota_findings(self)
        findings += kms_findings(self)
        findings += evaluation_findings(self)
        return findings

    # -- locating ------------------------------------------------------------------------------------------

    def environment_of(self, account: str) -> Environment | None:
        return self._environments.get(account)

    def account_where(self, account: str) -> tuple[Location, str | None]:
        environment = self.environment_of(account)
        if environment is not None:
            return environment.where("account.id"), environment.name
        model = next(m for m in self.manifests.models if m.source_account == account)
        return model.where("source.account"), None

    def make_finding(
        self,
        rule: str,
        severity: Severity,
        where: Location,
        message: str,
        fix: str,
        *,
        environment: str | None,
        account: str,
        region: str,
    ) -> Finding:
        return Finding(
            rule=f"preflight/{rule}",
            severity=severity,
            message=message,
            fix=fix,
            file=where.file,
            line=where.line,
            column=where.column,
            environment=environment,
            account=account,
            region=region,
        )

    def unchecked(self, rule: str, account: str, region: str, what: str, error: Exception) -> Finding:
        where, environment = self.account_where(account)
        return self.make_finding(
            rule,
            "warning",
            where,
            f"could not check {what} in {account} {region}: {aws_error(error)}",
            f"{POLICY_HINT}, then plan again",
            environment=environment,
            account=account,
            region=region,
        )

    # -- source models -------------------------------------------------------------------------------------

    def _source_models(self) -> Iterator[Finding]:
        """Every version this plan shares, copies or serves exists in its source account and Region (read by
        discovery: ListCustomModels). A missing one is an error: the apply would otherwise fail half-way,
        after the steps that do not need it."""
        used = {share.model_arn for share in self.desired.shares}
        used |= {copy.source_model_arn for copy in self.desired.copies}
        used |= {capacity.source_model_arn for capacity in self.desired.capacities}
        for model in self.manifests.models:
            state = self.live.scopes.get(Scope(model.source_account, model.source_region))
            if state is None:
                continue  # not read (unreachable): discovery reports it
            present = {m.arn for m in state.custom_models}
            for index, version in enumerate(model.versions):
                if version.model_arn not in used or version.model_arn in present:
                    continue
                yield self.make_finding(
                    "source-model",
                    "error",
                    model.where(f"versions[{index}].modelArn"),
                    f"model {model.name} version {version.name}: {version.model_arn} does not exist in its "
                    f"source account {model.source_account}, {model.source_region} (ListCustomModels)",
                    "fix the version's modelArn (aws bedrock list-custom-models --region "
                    f"{model.source_region} in {model.source_account}), or wait until its fine-tuning job "
                    "has finished",
                    environment=None,
                    account=model.source_account,
                    region=model.source_region,
                )

    # -- organization --------------------------------------------------------------------------------------

    def _organization(self) -> Iterator[Finding]:
        # Only the sharing this plan does: shares that already work need no check (a converged estate of
        # hundreds of accounts costs no Organizations call).
        sharing = [a for a in self.plan.actions if a.operation in SHARING_OPERATIONS]
        accounts = sorted(
            {a.account for a in sharing} | {str(p) for a in sharing for p in a.params.get("principals", [])}
        )
        if not accounts:
            return
        organizations: dict[str, dict[str, Any]] = {}
        for account in accounts:
            where, environment = self.account_where(account)
            try:
                organizations[account] = self.clients.client(
                    "organizations", account, ORGANIZATIONS_REGION
                ).describe_organization()["Organization"]
            except CHECK_ERRORS as error:
                if code_of(error) == "AWSOrganizationsNotInUseException":
                    yield self.make_finding(
                        "organization",
                        "error",
                        where,
                        f"account {account} is not in an AWS Organization, and RAM shares custom models "
                        "only between accounts of one organization",
                        f"invite {account} into the organization of the other accounts (Organizations "
                        "InviteAccountToOrganization), then plan again",
                        environment=environment,
                        account=account,
                        region=ORGANIZATIONS_REGION,
                    )
                else:
                    yield self.unchecked(
                        "organization", account, ORGANIZATIONS_REGION, "the organization", error
                    )
        ids = {org["Id"] for org in organizations.values()}
        if len(ids) > 1:
            majority = max(sorted(ids), key=lambda i: sum(o["Id"] == i for o in organizations.values()))
            for account, org in sorted(organizations.items()):
                if org["Id"] != majority:
                    where, environment = self.account_where(account)
                    yield self.make_finding(
                        "organization",
                        "error",
                        where,
                        f"account {account} is in organization {org['Id']}, the others in {majority}: RAM "
                        "shares custom models only inside one organization",
                        f"move {account} into organization {majority}, then plan again",
                        environment=environment,
                        account=account,
                        region=ORGANIZATIONS_REGION,
                    )
        if len(ids) == 1:
            yield from self._ram_sharing(next(iter(organizations.values())), accounts)

    def _ram_sharing(self, organization: dict[str, Any], accounts: list[str]) -> Iterator[Finding]:
        management = organization["MasterAccountId"]
        recipient = next((a for s in self.desired.shares for a in s.principals), accounts[0])
        where, environment = self.account_where(recipient)
        try:
            client = self.clients.client("organizations", management, ORGANIZATIONS_REGION)
            paginator = client.get_paginator("list_aws_service_access_for_organization")
            enabled = {
                p["ServicePrincipal"]
                for page in paginator.paginate()
                for p in page["EnabledServicePrincipals"]
            }
        except CHECK_ERRORS as error:
            yield self.make_finding(
                "ram-sharing",
                "warning",
                where,
                f"could not check whether RAM sharing with organization {organization['Id']} is enabled "
                f"(only its management account {management} can tell): {aws_error(error)}",
                "run plan with credentials of the management account, or check in the RAM console "
                "(Settings: Enable sharing with AWS Organizations)",
                environment=environment,
                account=management,
                region=ORGANIZATIONS_REGION,
            )
            return
        if RAM_PRINCIPAL not in enabled:
            # An error: RAM refuses to share a custom model until sharing with the organization is enabled
            # (OperationNotPermittedException; the Bedrock share-model-prereq page makes it a prerequisite,
            # https://docs.aws.amazon.com/bedrock/latest/userguide/share-model-prereq.html, and RAM's
            # troubleshooting page gives the error,
            # https://docs.aws.amazon.com/ram/latest/userguide/tshoot-sharing-outside-org.html).
            yield self.make_finding(
                "ram-sharing",
                "error",
                where,
                f"RAM sharing with organization {organization['Id']} is not enabled, so RAM refuses to share "
                "custom models (OperationNotPermittedException: they can be shared only within the "
                "organization, with sharing enabled)",
                f"in the management account {management}: aws ram enable-sharing-with-aws-organization",
                environment=environment,
                account=management,
                region=ORGANIZATIONS_REGION,
            )


def run_preflight(
    clients: AwsClients, manifests: Manifests, desired: DesiredState, live: LiveState, plan: Plan
) -> list[Finding]:
    """Every preflight finding for `plan` (see the module docstring)."""
    return Preflight(clients, manifests, desired, live, plan).run()
