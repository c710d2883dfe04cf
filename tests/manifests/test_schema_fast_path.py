"""The compiled validator that lets valid manifests skip jsonschema (manifests/schema.py) must judge every
manifest as jsonschema does: a document it accepts gets no errors, one it refuses gets jsonschema's errors,
so the errors a user sees are the same with or without it."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from reconciler.manifests.schema import passes_fast, schema_errors, validator
from reconciler.manifests.yaml_nodes import LocatedDocument, parse_document
from tests.documents import key_paths

REPO = Path(__file__).resolve().parents[2]
EXAMPLES = [
    *((path, "Model") for path in sorted((REPO / "models").glob("*.yaml"))),
    *(
        (path, "Backend" if path.name == "backend.yaml" else "Environment")
        for path in sorted((REPO / "environments").glob("*.yaml"))
    ),
]
# What a manifest holds in the right and the wrong places: the values the schemas name (kinds, capacity
# types, commitments, Regions, ids, ARNs), their near misses, and every JSON type with its edge cases
# (booleans where numbers go, 1.0 for 1, NaN, repeated and mixed list items).
TEXTS = st.sampled_from(
    [
        "",
        "a",
        "Model",
        "Environment",
        "Backend",
        "bedrock-gitops.io/v1alpha1",
        "us-east-1",
        "us-east-",
        "111122223333",
        "11112222333",
        "arn:aws:iam::111122223333:role/BedrockGitOpsReconciler",
        "provisioned",
        "on-demand",
        "none",
        "OneMonth",
        "SixMonths",
        "error",
        "warning",
        "v1",
        "V1",
        "financial-analyst",
        "a--b",
        "é\n",
    ]
)
SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-3, max_value=40),
    st.sampled_from([2**31, 2**63, 1.0, 0.5, -0.0, float("nan"), float("inf")]),
    TEXTS,
)
VALUES = st.one_of(
    SCALARS,
    st.lists(SCALARS, max_size=3),
    st.dictionaries(TEXTS, SCALARS, max_size=2),
)
KEYS = st.sampled_from(["extra", "name", "regions", "capacity", "modelUnits", "commitment", "type", "id"])


def _load(path: Path) -> Any:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def _mutate(document: Any, data: st.DataObject) -> None:
    path = data.draw(st.sampled_from([p for p in key_paths(document) if p]))
    parent = document
    for step in path[:-1]:
        parent = parent[step]
    how = data.draw(st.sampled_from(["delete", "replace", "add"]))
    if how == "delete":
        del parent[path[-1]]
    elif how == "replace":
        parent[path[-1]] = data.draw(VALUES)
    elif isinstance(parent, dict):
        parent[data.draw(KEYS)] = data.draw(VALUES)
    else:
        parent.append(copy.deepcopy(parent[0]) if parent else data.draw(VALUES))


def _jsonschema_accepts(document: Any, kind: str) -> bool:
    return next(iter(validator(kind).iter_errors(document)), None) is None


@pytest.mark.parametrize(("path", "kind"), EXAMPLES, ids=[p.name for p, _ in EXAMPLES])
def test_the_example_manifests_pass_both_validators(path: Path, kind: str) -> None:
    document = _load(path)
    assert passes_fast(document, kind)
    assert _jsonschema_accepts(document, kind)


@settings(max_examples=400, deadline=None, database=None)
@given(example=st.sampled_from(EXAMPLES), mutations=st.integers(1, 3), data=st.data())
def test_the_compiled_validator_judges_every_manifest_as_jsonschema_does(
    example: tuple[Path, str], mutations: int, data: st.DataObject
) -> None:
    path, kind = example
    document = _load(path)
    for _ in range(mutations):
        if isinstance(document, dict) and document:
            _mutate(document, data)

    assert passes_fast(document, kind) == _jsonschema_accepts(document, kind)


def test_a_refused_manifest_gets_jsonschemas_errors() -> None:
    text = (REPO / "environments" / "staging.yaml").read_text(encoding="utf-8")
    parsed = parse_document("environments/staging.yaml", text.replace('id: "444455556666"', "id: 4444"))
    assert isinstance(parsed, LocatedDocument)

    errors = schema_errors(parsed, "Environment")

    assert not passes_fast(parsed.data, "Environment")
    assert [(e.line, e.message) for e in errors] == [
        (8, "'spec.account.id' must be a string, not a number"),
    ]
