"""The sandbox refuses numbers AWS cannot hold: an `integer` member is 32-bit, a `long` 64-bit (botocore
leaves both to the service, so a request with modelUnits=10**20 used to be simulated as a success)."""

from __future__ import annotations

from typing import Any

from botocore.model import Shape
from hypothesis import given, settings
from hypothesis import strategies as st

from reconciler.sandbox.restjson import service_model
from reconciler.sandbox.shapes import is_valid, request_problems, shape_problems

THROUGHPUT = {"provisionedModelName": "prod-financial-analyst", "modelId": "amazon.titan-text-express-v1"}


def test_an_integer_member_beyond_32_bits_is_refused() -> None:
    problems = request_problems(
        "bedrock", "CreateProvisionedModelThroughput", {**THROUGHPUT, "modelUnits": 2**31}
    )
    assert any("modelUnits" in problem for problem in problems), problems


def test_the_largest_32_bit_integer_is_accepted() -> None:
    assert not request_problems(
        "bedrock", "CreateProvisionedModelThroughput", {**THROUGHPUT, "modelUnits": 2**31 - 1}
    )


# -- the fast check agrees with the described one ------------------------------------------------------------

SHAPES = [
    shape
    for service in ("bedrock", "ram")
    for operation in sorted(service_model(service).operation_names)
    for shape in (
        service_model(service).operation_model(operation).input_shape,
        service_model(service).operation_model(operation).output_shape,
    )
    if shape is not None
]
ANYTHING = st.one_of(
    st.none(), st.booleans(), st.integers(), st.text(max_size=3), st.lists(st.none(), max_size=1)
)


def _values(shape: Shape, depth: int = 0) -> st.SearchStrategy[Any]:
    """Values shaped like `shape` with members that may break its constraints (or be of another kind)."""
    kind = shape.type_name
    if depth > 4:
        return ANYTHING
    if kind == "structure":
        members = shape.members  # type: ignore[attr-defined]
        return st.dictionaries(
            st.sampled_from(sorted(members)) if members else st.just("x"),
            st.deferred(
                lambda: st.one_of(*(_values(m, depth + 1) for m in members.values())) if members else ANYTHING
            ),
            max_size=4,
        )
    if kind == "list":
        return st.lists(_values(shape.member, depth + 1), max_size=3)  # type: ignore[attr-defined]
    if kind == "map":
        return st.dictionaries(st.text(max_size=5), _values(shape.value, depth + 1), max_size=2)  # type: ignore[attr-defined]
    if kind == "string":
        enum = list(shape.enum or ())  # type: ignore[attr-defined]
        return st.one_of(st.text(max_size=12), *([st.sampled_from(enum)] if enum else []), ANYTHING)
    if kind in ("integer", "long", "float", "double"):
        return st.one_of(
            st.integers(min_value=-(2**65), max_value=2**65), st.floats(allow_nan=False), ANYTHING
        )
    return ANYTHING


@settings(max_examples=150, deadline=None)
@given(st.data())
def test_is_valid_is_true_exactly_when_no_problem_is_described(data: st.DataObject) -> None:
    shape = data.draw(st.sampled_from(SHAPES))
    value = data.draw(_values(shape))
    assert is_valid(shape, value) == (shape_problems(shape, value) == [])
