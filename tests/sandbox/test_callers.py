"""Who a request comes from: the account the sandbox finds for an access key is moto's, found without moto's
walk over every account (callers.py)."""

from __future__ import annotations

import moto.iam.models
import pytest
from botocore.awsrequest import AWSPreparedRequest, HeadersDict
from moto.core import DEFAULT_ACCOUNT_ID
from moto.iam.utils import generate_access_key_id_from_account_id

from reconciler.sandbox.callers import MOTO_ACCOUNT_HEADER, account_of, named_account, naming_the_account
from reconciler.sandbox.estate import BASE_ACCESS_KEY, SandboxEstate
from tests.sandbox.clients import role_session
from tests.sandbox.test_simulation import DEV, PROD, STAGING


def assumed_key(estate: SandboxEstate, account: str) -> str:
    return str(role_session(estate, account).get_credentials().access_key)


@pytest.mark.parametrize("account", ["000000000000", "000000000001", DEV, STAGING, "999999999999"])
def test_the_account_an_access_key_names_is_read_back(account: str) -> None:
    for prefix in ("ASIA", "AKIA"):
        assert named_account(generate_access_key_id_from_account_id(account, prefix)) == account


@pytest.mark.parametrize("key", [BASE_ACCESS_KEY, "", "ASIA", "ASIA!!!!!!!!!!!!!!!!", "not an access key id"])
def test_a_key_that_names_no_account_names_none(key: str) -> None:
    assert named_account(key) is None


def test_every_key_gets_the_account_moto_files_it_under(sandbox: SandboxEstate) -> None:
    keys = [assumed_key(sandbox, account) for account in (DEV, STAGING, PROD, DEV)]
    # A well-formed key nobody holds: it names DEV, but moto files it nowhere (its default account).
    stranger = generate_access_key_id_from_account_id(DEV, "ASIA")
    for key in [*keys, BASE_ACCESS_KEY, stranger]:
        assert account_of(key) == moto.iam.models.get_account_id_from(key), key
    assert [account_of(key) for key in keys] == [DEV, STAGING, PROD, DEV]
    assert account_of(stranger) == DEFAULT_ACCOUNT_ID


def test_sts_calls_do_not_make_moto_walk_every_account(
    sandbox: SandboxEstate, monkeypatch: pytest.MonkeyPatch
) -> None:
    """moto's lookup walks every account's IAM keys; the sandbox names the caller's account to moto instead
    (the same account, checked above): a plan of 200 accounts made it walk 200 times."""
    walks: list[str] = []
    walk = moto.iam.models.get_account_id_from

    def counted(access_key: str) -> str:
        walks.append(access_key)
        return walk(access_key)

    account_of(BASE_ACCESS_KEY)  # the base key names no account: found by moto's walk once, then known
    monkeypatch.setattr(moto.iam.models, "get_account_id_from", counted)
    sts = sandbox.session().client("sts")
    assert sts.get_caller_identity()["Account"] == DEFAULT_ACCOUNT_ID
    key = assumed_key(sandbox, STAGING)
    assert walks == []
    assert account_of(key) == STAGING


def test_moto_is_told_the_account_on_a_copy_of_the_signed_request() -> None:
    key = generate_access_key_id_from_account_id(STAGING, "ASIA")
    authorization = f"AWS4-HMAC-SHA256 Credential={key}/20261130/us-east-1/sts/aws4_request, Signature=x"
    signed = AWSPreparedRequest(
        "POST", "https://sts.amazonaws.com/", HeadersDict({"Authorization": authorization}), b"", False
    )
    told = naming_the_account(signed)
    assert told.headers[MOTO_ACCOUNT_HEADER] == account_of(key)
    assert MOTO_ACCOUNT_HEADER not in signed.headers
    assert (told.method, told.url, told.body) == (signed.method, signed.url, signed.body)
    unsigned = AWSPreparedRequest("POST", "https://sts.amazonaws.com/", HeadersDict(), b"", False)
    assert naming_the_account(unsigned) is unsigned
