"""One botocore client per (service, Region) serving every account: each call is signed as the account the
caller asked for.

Building a botocore client costs milliseconds of CPU (its class, event handlers, service and endpoint
models) and tens of thousands of long-lived objects; a plan over hundreds of accounts needed one per
(service, account, Region). Here the shared client's credentials are `AccountCredentials`, an object the
signer asks on every request: it answers with the credentials of the account bound to the current call.
`AccountClient` is that binding: the shared client seen as one account, every method (and every page of
its paginators) run with the account's credentials in a context variable. A call outside any binding
fails instead of being signed as someone else.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextvars import ContextVar
from typing import Any

from botocore.credentials import Credentials, ReadOnlyCredentials

_ACTING_AS: ContextVar[Credentials | None] = ContextVar("bedrock_gitops_acting_as", default=None)


class UnboundCallError(RuntimeError):
    """A shared client was called without an account bound (a bug: use `AccountClient`)."""


def _current() -> Credentials:
    credentials = _ACTING_AS.get()
    if credentials is None:
        raise UnboundCallError("a shared multi-account client was called outside AccountClient")
    return credentials


class AccountCredentials(Credentials):
    """The credentials of the account bound to the current call (see the module docstring)."""

    method = "bedrock-gitops-assume-role"

    def __init__(self) -> None:
        pass  # no keys of its own: every property asks the binding

    @property
    def access_key(self) -> str:  # type: ignore[override]
        return str(_current().access_key)

    @property
    def secret_key(self) -> str:  # type: ignore[override]
        return str(_current().secret_key)

    @property
    def token(self) -> str | None:  # type: ignore[override]
        token = _current().token
        return None if token is None else str(token)

    @property
    def account_id(self) -> str | None:
        account_id = getattr(_current(), "account_id", None)
        return None if account_id is None else str(account_id)

    def get_frozen_credentials(self) -> ReadOnlyCredentials:
        # RefreshableCredentials refreshes here when due: the signer asks once per request.
        frozen: ReadOnlyCredentials = _current().get_frozen_credentials()
        return frozen

    def get_deferred_property(self, property_name: str) -> Callable[[], Any]:
        return lambda: getattr(_current(), property_name, None)


def _run_as(credentials: Credentials, method: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    token = _ACTING_AS.set(credentials)
    try:
        return method(*args, **kwargs)
    finally:
        _ACTING_AS.reset(token)


class AccountClient:
    """A shared client acting as one account: attributes pass through, calls run as the account."""

    __slots__ = ("_client", "_credentials", "_paginators")

    def __init__(self, client: Any, credentials: Credentials, paginators: dict[str, Any]) -> None:
        """`paginators` is shared by every AccountClient of `client` (botocore builds a paginator by
        deep-copying its model on every `get_paginator`; one per operation serves every call, since
        `paginate` starts an iterator of its own each time). It lives as long as the shared client: a
        process-wide cache keyed by client kept every client of every AwsClients alive."""
        self._client = client
        self._credentials = credentials
        self._paginators = paginators

    def __getattr__(self, name: str) -> Any:
        attribute = getattr(self._client, name)
        if not callable(attribute):
            return attribute  # meta, exceptions, ...
        if name == "get_paginator":
            return lambda operation: _AccountPaginator(self._paginator(operation), self._credentials)
        if name == "get_waiter":
            return lambda *args, **kwargs: _AccountWaiter(attribute(*args, **kwargs), self._credentials)
        credentials = self._credentials
        return lambda *args, **kwargs: _run_as(credentials, attribute, *args, **kwargs)

    def _paginator(self, operation: str) -> Any:
        paginator = self._paginators.get(operation)
        if paginator is None:
            paginator = self._paginators.setdefault(operation, self._client.get_paginator(operation))
        return paginator


class _AccountPaginator:
    __slots__ = ("_credentials", "_paginator")

    def __init__(self, paginator: Any, credentials: Credentials) -> None:
        self._paginator = paginator
        self._credentials = credentials

    def paginate(self, **kwargs: Any) -> _AccountPages:
        return _AccountPages(self._paginator.paginate(**kwargs), self._credentials)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._paginator, name)


class _AccountPages:
    """botocore's PageIterator calls the client lazily, page by page: each page is fetched as the account."""

    __slots__ = ("_credentials", "_pages")

    def __init__(self, pages: Any, credentials: Credentials) -> None:
        self._pages = pages
        self._credentials = credentials

    def __iter__(self) -> Iterator[Any]:
        iterator = iter(self._pages)
        while True:
            token = _ACTING_AS.set(self._credentials)
            try:
                page = next(iterator)
            except StopIteration:
                return
            finally:
                _ACTING_AS.reset(token)
            yield page

    def build_full_result(self) -> Any:
        return _run_as(self._credentials, self._pages.build_full_result)


class _AccountWaiter:
    __slots__ = ("_credentials", "_waiter")

    def __init__(self, waiter: Any, credentials: Credentials) -> None:
        self._waiter = waiter
        self._credentials = credentials

    def wait(self, **kwargs: Any) -> None:
        _run_as(self._credentials, self._waiter.wait, **kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._waiter, name)
