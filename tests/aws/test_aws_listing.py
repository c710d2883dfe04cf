"""listing's page following: the requests botocore's paginators would send, one call per page."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import PaginationError

from reconciler.aws.listing import _pages


class _Pages:
    """A list operation answering `tokens` in turn (None: the last page), recording every request."""

    def __init__(self, *tokens: str | None) -> None:
        self.tokens = list(tokens)
        self.requests: list[dict[str, Any]] = []

    def __call__(self, **params: Any) -> dict[str, Any]:
        self.requests.append(params)
        token = self.tokens[len(self.requests) - 1]
        return {"items": [len(self.requests)], **({"nextToken": token} if token else {})}


def test_every_page_is_asked_for_with_the_previous_pages_token_and_the_page_size() -> None:
    call = _Pages("t1", "t2", None)

    pages = list(_pages(call, 50, resourceOwner="SELF"))

    assert [page["items"] for page in pages] == [[1], [2], [3]]
    assert call.requests == [
        {"resourceOwner": "SELF", "maxResults": 50},
        {"resourceOwner": "SELF", "maxResults": 50, "nextToken": "t1"},
        {"resourceOwner": "SELF", "maxResults": 50, "nextToken": "t2"},
    ]


def test_without_a_page_size_the_service_default_is_left_alone() -> None:
    call = _Pages(None)

    assert len(list(_pages(call, None))) == 1
    assert call.requests == [{}]


def test_a_token_received_twice_in_a_row_stops_the_listing_instead_of_looping() -> None:
    call = _Pages("same", "same", None)

    with pytest.raises(PaginationError, match="The same next token was received twice: same"):
        list(_pages(call, None))
    assert len(call.requests) == 2
