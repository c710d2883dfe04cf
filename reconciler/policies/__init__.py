"""Policies: the rules an environment declares in `spec.policies`, evaluated on the manifests, the desired
state and the plan (pure: no AWS). See `evaluate_policies`."""

from reconciler.policies.evaluate import evaluate_policies

__all__ = ["evaluate_policies"]
