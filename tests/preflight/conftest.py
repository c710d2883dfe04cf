"""The example-repository copy of the policy tests, with its own sandbox."""

from tests.policies.conftest import repo

__all__ = ["repo"]
