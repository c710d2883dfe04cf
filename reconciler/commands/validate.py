"""`validate`: load and check every manifest; no AWS access."""

from __future__ import annotations

import argparse

from reconciler.manifests.load import load_manifests


def run(args: argparse.Namespace) -> int:
    manifests = load_manifests(args.root)
    versions = sum(len(model.versions) for model in manifests.models)
    print(
        f"Manifests are valid: {len(manifests.models)} models ({versions} versions), "
        f"{len(manifests.environments)} environments."
    )
    return 0
