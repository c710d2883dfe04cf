"""`sandbox delete ADDRESS`: an out-of-band change in the sandbox, to try drift. It deletes the simulated
resource at a plan address the way a person with the AWS CLI would (real boto3 calls, as the account's
role), so the next `plan --sandbox` shows what the reconciler does about it."""

from __future__ import annotations

from pathlib import Path

from botocore.exceptions import ClientError

from reconciler.core.desired import DesiredState, desired_state
from reconciler.errors import ReconcilerError
from reconciler.manifests.load import load_manifests
from reconciler.pipeline import aws_clients


def delete(root: Path, sandbox_dir: Path, address: str) -> str:
    """Delete the resource at `address` in the sandbox; what was deleted, in words."""
    manifests = load_manifests(root)
    desired = desired_state(manifests)
    with aws_clients(manifests, root, sandbox=True, sandbox_dir=sandbox_dir) as clients:
        try:
            return _delete(clients, desired, address)
        except ClientError as error:
            aws = error.response.get("Error", {})
            raise ReconcilerError(
                f"the sandbox refused to delete {address}: {aws.get('Code')}: {aws.get('Message')}"
            ) from None


def _delete(clients: object, desired: DesiredState, address: str) -> str:
    from reconciler.aws.clients import AwsClients

    assert isinstance(clients, AwsClients)
    share = next((s for s in desired.shares if s.address == address), None)
    if share is not None:
        ram = clients.ram(share.owner_account, share.region)
        found = ram.get_resource_shares(resourceOwner="SELF", name=share.name)["resourceShares"]
        live = [s for s in found if s.get("status") == "ACTIVE"]
        if not live:
            raise ReconcilerError(f"{address}: no active RAM share {share.name} in {share.owner_account}")
        ram.delete_resource_share(resourceShareArn=live[0]["resourceShareArn"])
        return f"RAM share {share.name} in {share.owner_account} {share.region}"
    copy = desired.copy(address)
    if copy is not None:
        bedrock = clients.bedrock(copy.account, copy.region)
        models = bedrock.list_custom_models(nameContains=copy.target_model_name)["modelSummaries"]
        exact = [m for m in models if m["modelName"] == copy.target_model_name]
        if not exact:
            raise ReconcilerError(f"{address}: no custom model {copy.target_model_name} in {copy.account}")
        bedrock.delete_custom_model(modelIdentifier=exact[0]["modelArn"])
        return f"custom model {copy.target_model_name} in {copy.account} {copy.region}"
    capacity = next((c for c in desired.capacities if c.address == address), None)
    if capacity is not None:
        bedrock = clients.bedrock(capacity.account, capacity.region)
        if capacity.kind == "provisioned":
            bedrock.delete_provisioned_model_throughput(provisionedModelId=capacity.name)
            return f"provisioned throughput {capacity.name} in {capacity.account} {capacity.region}"
        bedrock.delete_custom_model_deployment(customModelDeploymentIdentifier=capacity.name)
        return f"deployment {capacity.name} in {capacity.account} {capacity.region}"
    known = [s.address for s in desired.shares] + [c.address for c in desired.copies]
    known += [c.address for c in desired.capacities]
    raise ReconcilerError(
        f"no resource at address {address!r} in these manifests; addresses look like "
        f"{', '.join(sorted(known)[:3]) or 'prod/us-east-1/<model>/copy'} "
        "(see `bedrock-gitops plan --sandbox`)"
    )
