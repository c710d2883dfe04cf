"""The sandbox's DynamoDB: the operations and condition expressions the apply lock relies on, answered to
real boto3 clients with DynamoDB's own error codes."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError

from reconciler.sandbox.estate import SandboxEstate

TABLE = "bedrock-gitops-locks"


@pytest.fixture
def dynamodb(sandbox: SandboxEstate) -> Any:
    return sandbox.session().client("dynamodb", region_name="us-east-1")


def code(error: pytest.ExceptionInfo[ClientError]) -> str:
    return str(error.value.response["Error"]["Code"])


def key(value: str) -> dict[str, dict[str, str]]:
    return {"LockKey": {"S": value}}


def test_conditional_put_is_exclusive(dynamodb: Any) -> None:
    put = {
        "TableName": TABLE,
        "ConditionExpression": "attribute_not_exists(#k) OR #e < :now",
        "ExpressionAttributeNames": {"#k": "LockKey", "#e": "ExpiresAt"},
        "ExpressionAttributeValues": {":now": {"N": "100"}},
    }
    dynamodb.put_item(Item={**key("a"), "ExpiresAt": {"N": "150"}}, **put)
    with pytest.raises(ClientError) as refused:
        dynamodb.put_item(Item={**key("a"), "ExpiresAt": {"N": "200"}}, **put)
    assert code(refused) == "ConditionalCheckFailedException"
    later = {**put, "ExpressionAttributeValues": {":now": {"N": "151"}}}
    dynamodb.put_item(Item={**key("a"), "ExpiresAt": {"N": "300"}}, **later)
    item = dynamodb.get_item(TableName=TABLE, Key=key("a"), ConsistentRead=True)["Item"]
    assert item["ExpiresAt"] == {"N": "300"}


def test_update_and_delete_with_conditions(dynamodb: Any) -> None:
    dynamodb.put_item(TableName=TABLE, Item={**key("a"), "LockId": {"S": "one"}})
    names = {"#id": "LockId"}
    with pytest.raises(ClientError) as refused:
        dynamodb.delete_item(
            TableName=TABLE,
            Key=key("a"),
            ConditionExpression="#id = :id",
            ExpressionAttributeNames=names,
            ExpressionAttributeValues={":id": {"S": "two"}},
        )
    assert code(refused) == "ConditionalCheckFailedException"
    dynamodb.update_item(
        TableName=TABLE,
        Key=key("a"),
        UpdateExpression="SET #e = :e",
        ConditionExpression="#id = :id AND NOT (#id = :other)",
        ExpressionAttributeNames={**names, "#e": "ExpiresAt"},
        ExpressionAttributeValues={":id": {"S": "one"}, ":e": {"N": "5"}, ":other": {"S": "x"}},
    )
    assert dynamodb.get_item(TableName=TABLE, Key=key("a"))["Item"]["ExpiresAt"] == {"N": "5"}
    dynamodb.delete_item(
        TableName=TABLE,
        Key=key("a"),
        ConditionExpression="#id = :id",
        ExpressionAttributeNames=names,
        ExpressionAttributeValues={":id": {"S": "one"}},
    )
    assert "Item" not in dynamodb.get_item(TableName=TABLE, Key=key("a"))


def test_errors_are_dynamodbs(dynamodb: Any) -> None:
    with pytest.raises(ClientError) as missing:
        dynamodb.get_item(TableName="nope", Key=key("a"))
    assert code(missing) == "ResourceNotFoundException"
    with pytest.raises(ClientError) as undefined:
        dynamodb.put_item(
            TableName=TABLE,
            Item=key("a"),
            ConditionExpression="#k = :v",
            ExpressionAttributeValues={":v": {"S": "x"}},
        )
    assert code(undefined) == "ValidationException"
    with pytest.raises(ClientError) as bad_key:
        dynamodb.get_item(TableName=TABLE, Key={"Other": {"S": "a"}})
    assert code(bad_key) == "ValidationException"


def test_the_table_persists_across_estate_openings(sandbox_dir: Any) -> None:
    with SandboxEstate.open(sandbox_dir) as estate:
        estate.session().client("dynamodb", region_name="us-east-1").put_item(TableName=TABLE, Item=key("p"))
    with SandboxEstate.open(sandbox_dir) as estate:
        client = estate.session().client("dynamodb", region_name="us-east-1")
        assert "Item" in client.get_item(TableName=TABLE, Key=key("p"))
