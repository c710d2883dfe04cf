"""GitOps reconciler for Amazon Bedrock custom models."""

__version__ = "0.1.0"

# Written into every resource the reconciler creates; ownership is decided by these tags alone.
MANAGED_BY_TAG = "bedrock-gitops:managed-by"
MANAGED_BY_VALUE = "bedrock-gitops"
ENVIRONMENT_TAG = "bedrock-gitops:environment"
MODEL_TAG = "bedrock-gitops:model"
VERSION_TAG = "bedrock-gitops:version"
