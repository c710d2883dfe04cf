"""Simulated Amazon DynamoDB, as far as the apply lock needs it: tables with a string partition key, and
PutItem / GetItem / UpdateItem / DeleteItem with condition expressions.

moto implements DynamoDB too, but only in the memory of one process; the lock must be seen by two CLI
processes running at once, so the sandbox keeps it in its persisted state document like everything else.

State layout, `state["dynamodb"]["<account>/<region>"]`:
  {table name: {"key": partition key attribute name, "items": {key value: item (DynamoDB JSON)}}}
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from reconciler.sandbox.api import Call, Handler, SimulatedError

TABLE_ARN = "arn:aws:dynamodb:{region}:{account}:table/{table}"


def _error(code: str, message: str) -> SimulatedError:
    return SimulatedError(code, message, 400)


def _invalid(message: str) -> SimulatedError:
    return _error("ValidationException", message)


def _tables(call: Call) -> dict[str, Any]:
    scopes: dict[str, Any] = call.state.setdefault("dynamodb", {})
    tables: dict[str, Any] = scopes.setdefault(f"{call.account}/{call.region}", {})
    return tables


def _table(call: Call) -> dict[str, Any]:
    name = call.params["TableName"]
    table = _tables(call).get(name)
    if table is None:
        raise _error("ResourceNotFoundException", f"Requested resource not found: Table: {name} not found")
    return dict(table) | {"name": name}


def _key_value(table: Mapping[str, Any], key: Mapping[str, Any]) -> str:
    attribute = table["key"]
    if set(key) != {attribute} or "S" not in key[attribute]:
        raise _error("ValidationException", "The provided key element does not match the schema")
    return str(key[attribute]["S"])


# -- condition expressions ---------------------------------------------------------------------------------

_TOKEN = re.compile(r"\s*(attribute_not_exists|attribute_exists|AND|OR|NOT|<>|<=|>=|[=<>(),]|[#:]?\w+)")


def _tokens(expression: str) -> list[str]:
    tokens, position = [], 0
    while position < len(expression.rstrip()):
        match = _TOKEN.match(expression, position)
        if match is None:
            raise _error(
                "ValidationException",
                f"Invalid ConditionExpression: syntax error near {expression[position:]!r}",
            )
        tokens.append(match.group(1))
        position = match.end()
    return tokens


class _Condition:
    """A recursive-descent evaluator of the condition expression grammar's common subset."""

    def __init__(self, call: Call, item: Mapping[str, Any] | None) -> None:
        self.names: Mapping[str, str] = call.params.get("ExpressionAttributeNames") or {}
        self.values: Mapping[str, Any] = call.params.get("ExpressionAttributeValues") or {}
        self.item = item or {}
        self.tokens: list[str] = []

    def holds(self, expression: str) -> bool:
        self.tokens = _tokens(expression)
        result = self._or()
        if self.tokens:
            raise _error("ValidationException", f"Invalid ConditionExpression: unexpected {self.tokens[0]!r}")
        return result

    def _take(self, expected: str | None = None) -> str:
        if not self.tokens or (expected is not None and self.tokens[0] != expected):
            raise _error("ValidationException", "Invalid ConditionExpression: incomplete expression")
        return self.tokens.pop(0)

    def _or(self) -> bool:
        result = self._and()
        while self.tokens and self.tokens[0] == "OR":
            self._take()
            right = self._and()
            result = result or right
        return result

    def _and(self) -> bool:
        result = self._not()
        while self.tokens and self.tokens[0] == "AND":
            self._take()
            right = self._not()
            result = result and right
        return result

    def _not(self) -> bool:
        if self.tokens and self.tokens[0] == "NOT":
            self._take()
            return not self._not()
        return self._primary()

    def _primary(self) -> bool:
        token = self._take()
        if token == "(":
            result = self._or()
            self._take(")")
            return result
        if token in ("attribute_exists", "attribute_not_exists"):
            self._take("(")
            name = self._name(self._take())
            self._take(")")
            return (name in self.item) == (token == "attribute_exists")
        left = self._operand(token)
        operator = self._take()
        right = self._operand(self._take())
        return _compare(left, operator, right)

    def _name(self, token: str) -> str:
        if token.startswith("#"):
            if token not in self.names:
                raise _error(
                    "ValidationException", f"An expression attribute name used is not defined: {token}"
                )
            return self.names[token]
        return token

    def _operand(self, token: str) -> Any:
        if token.startswith(":"):
            if token not in self.values:
                raise _error(
                    "ValidationException", f"An expression attribute value used is not defined: {token}"
                )
            return _plain(self.values[token])
        attribute = self.item.get(self._name(token))
        return None if attribute is None else _plain(attribute)


def _plain(value: Mapping[str, Any]) -> Any:
    if "N" in value:
        return float(value["N"])
    if "S" in value:
        return str(value["S"])
    if "BOOL" in value:
        return bool(value["BOOL"])
    return None


def _compare(left: Any, operator: str, right: Any) -> bool:
    if left is None or right is None or type(left) is not type(right):
        return operator == "<>" and left != right
    comparisons: dict[str, bool] = {
        "=": left == right,
        "<>": left != right,
        "<": left < right,
        "<=": left <= right,
        ">": left > right,
        ">=": left >= right,
    }
    if operator not in comparisons:
        raise _error("ValidationException", f"Invalid ConditionExpression: unknown operator {operator!r}")
    return comparisons[operator]


def _check(call: Call, item: Mapping[str, Any] | None) -> None:
    expression = call.params.get("ConditionExpression")
    if expression and not _Condition(call, item).holds(expression):
        raise _error("ConditionalCheckFailedException", "The conditional request failed")


# -- operations --------------------------------------------------------------------------------------------


def create_table(call: Call) -> dict[str, Any]:
    name = call.params["TableName"]
    tables = _tables(call)
    if name in tables:
        raise _error("ResourceInUseException", f"Table already exists: {name}")
    hash_keys = [k["AttributeName"] for k in call.params["KeySchema"] if k["KeyType"] == "HASH"]
    tables[name] = {"key": hash_keys[0], "items": {}}
    return {"TableDescription": _description(call, name)}


def _description(call: Call, name: str) -> dict[str, Any]:
    table = _tables(call)[name]
    return {
        "TableName": name,
        "TableStatus": "ACTIVE",
        "TableArn": TABLE_ARN.format(region=call.region, account=call.account, table=name),
        "KeySchema": [{"AttributeName": table["key"], "KeyType": "HASH"}],
        "ItemCount": len(table["items"]),
    }


def describe_table(call: Call) -> dict[str, Any]:
    table = _table(call)
    return {"Table": _description(call, table["name"])}


def put_item(call: Call) -> dict[str, Any]:
    table = _table(call)
    item = call.params["Item"]
    key = _key_value(table, {table["key"]: item.get(table["key"], {})})
    items = _tables(call)[table["name"]]["items"]
    _check(call, items.get(key))
    items[key] = item
    return {}


def get_item(call: Call) -> dict[str, Any]:
    table = _table(call)
    item = table["items"].get(_key_value(table, call.params["Key"]))
    return {} if item is None else {"Item": item}


def delete_item(call: Call) -> dict[str, Any]:
    table = _table(call)
    key = _key_value(table, call.params["Key"])
    items = _tables(call)[table["name"]]["items"]
    _check(call, items.get(key))
    old = items.pop(key, None)
    return {"Attributes": old} if old is not None and call.params.get("ReturnValues") == "ALL_OLD" else {}


_SET_CLAUSE = re.compile(r"^\s*SET\s+(.+)$")


def update_item(call: Call) -> dict[str, Any]:
    """Only `SET #a = :v, ...`: what the lock's lease renewal uses."""
    table = _table(call)
    key = _key_value(table, call.params["Key"])
    items = _tables(call)[table["name"]]["items"]
    current = items.get(key)
    _check(call, current)
    match = _SET_CLAUSE.match(call.params.get("UpdateExpression", ""))
    if match is None:
        raise _error("ValidationException", "Invalid UpdateExpression: the sandbox supports SET clauses only")
    condition = _Condition(call, current)
    updated = dict(current or call.params["Key"])
    for assignment in match.group(1).split(","):
        name, _, value = assignment.partition("=")
        value_token = value.strip()
        if value_token not in condition.values:
            raise _error(
                "ValidationException", f"An expression attribute value used is not defined: {value_token}"
            )
        updated[condition._name(name.strip())] = condition.values[value_token]
    items[key] = updated
    return {"Attributes": updated} if call.params.get("ReturnValues") == "ALL_NEW" else {}


HANDLERS: dict[str, Handler] = {
    "CreateTable": create_table,
    "DescribeTable": describe_table,
    "PutItem": put_item,
    "GetItem": get_item,
    "DeleteItem": delete_item,
    "UpdateItem": update_item,
}
