"""Who sent a request: the account, Region and access key of its SigV4 signature, and the account that
owns an access key in moto.

moto's own lookup (`get_account_id_from`) walks every account's IAM backends, in every partition, until it
finds the key: with 200 accounts every new key costs thousands of lookups, and moto did it again for every
STS call (its `get_current_account`). An access key id names its account, as AWS says ("STS
GetAccessKeyInfo returns the account identifier for the specified access key ID",
https://docs.aws.amazon.com/STS/latest/APIReference/API_GetAccessKeyInfo.html) and moto mints its keys
that way (`moto.iam.utils.generate_access_key_id_from_account_id`). So the account the key names is asked
first, and moto's walk runs only when that account does not hold the key (the base credentials, whose key
names no account): the answer is moto's, always.
"""

from __future__ import annotations

import base64
import binascii
import functools
import re

from botocore.awsrequest import AWSPreparedRequest, HeadersDict
from moto.iam.models import get_account_id_from, iam_backends
from moto.iam.utils import ACCOUNT_OFFSET, AWS_ROLE_ALPHABET

from reconciler.sandbox.api import SimulatedError

_CREDENTIAL = re.compile(r"Credential=([^/]+)/[^/]+/([^/]+)/")
# moto's documented way to name the calling account (moto/core/responses.py get_current_account).
MOTO_ACCOUNT_HEADER = "x-moto-account-id"


def signed_by(request: AWSPreparedRequest) -> tuple[str, str] | None:
    """(access key id, Region) from the request's SigV4 signature; None for an unsigned request."""
    authorization = request.headers.get("Authorization", b"")
    text = authorization.decode() if isinstance(authorization, bytes) else str(authorization)
    match = _CREDENTIAL.search(text)
    return None if match is None else (match.group(1), match.group(2))


def caller(request: AWSPreparedRequest) -> tuple[str, str, str]:
    """(account, Region, access key id) of a signed request."""
    signed = signed_by(request)
    if signed is None:
        raise SimulatedError("MissingAuthenticationTokenException", "Missing Authentication Token", 403)
    access_key, region = signed
    return account_of(access_key), region, access_key


@functools.lru_cache(maxsize=4096)
def account_of(access_key: str) -> str:
    """The account moto files `access_key` under (moto's default account for a key it does not hold).
    Cached: a key never moves between accounts."""
    named = named_account(access_key)
    if named is not None:
        # dict's own lookups: moto's BackendDict creates a backend for any account or partition it is asked.
        partitions = dict.get(iam_backends, named)
        if partitions is not None and any(
            access_key in backend.access_keys for backend in list(dict.values(partitions))
        ):
            return named
    return get_account_id_from(access_key)


def named_account(access_key: str) -> str | None:
    """The account an AWS-style access key id (AKIA.../ASIA...) encodes, or None if it encodes none:
    characters 5-12 are the account halved (plus an offset) in base 32, and the 13th says if it was odd."""
    if len(access_key) < 16 or access_key[12] not in AWS_ROLE_ALPHABET:
        return None
    try:
        halved = int.from_bytes(base64.b32decode(access_key[4:12]), "big") - ACCOUNT_OFFSET
    except (binascii.Error, ValueError):
        return None
    odd = AWS_ROLE_ALPHABET.index(access_key[12]) >= len(AWS_ROLE_ALPHABET) // 2
    account = halved * 2 + odd
    return f"{account:012d}" if 0 <= account < 10**12 else None


def naming_the_account(request: AWSPreparedRequest) -> AWSPreparedRequest:
    """`request` as moto should see it: with the caller's account named in moto's header (the account moto's
    own lookup would find, found by `account_of`), so that moto does not walk every account again. The
    original, signed request is left as it is."""
    signed = signed_by(request)
    if signed is None or MOTO_ACCOUNT_HEADER in request.headers:
        return request
    headers = HeadersDict(request.headers.items())
    headers[MOTO_ACCOUNT_HEADER] = account_of(signed[0])
    # A HeadersDict, as botocore's own request preparer makes (the stubs say HTTPHeaders).
    return AWSPreparedRequest(
        request.method,
        request.url,
        headers,  # type: ignore[arg-type]
        request.body,
        request.stream_output,
    )
