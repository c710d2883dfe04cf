"""Estimated monthly cost delta of a plan's provisioned-throughput changes, from a price table kept as data
(reconciler/data/provisioned-throughput-prices.json, with its source and date). An estimate for reviewers:
hourly price x model units x hours per month; AWS's price list is the truth."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

import reconciler
from reconciler.core.plan import Action, Plan, Ref

PRICE_FILE = "provisioned-throughput-prices.json"


@dataclass(frozen=True, slots=True)
class PriceTable:
    source: str
    retrieved: str
    currency: str
    hours_per_month: float
    # base model id (without version suffixes such as ":0:8k") -> commitment term -> hourly price per unit
    prices: Mapping[str, Mapping[str, float]]
    region_overrides: Mapping[str, Mapping[str, Mapping[str, float]]]

    def hourly(self, base_model: str, region: str, term: str) -> float | None:
        for table in (self.region_overrides.get(region, {}), self.prices):
            price = table.get(base_model, {}).get(term)
            if price is not None:
                return float(price)
        return None


@dataclass(frozen=True, slots=True)
class CostLine:
    address: str
    region: str
    change: str  # create | update | delete
    base_model: str | None
    units: int | None
    term: str | None
    monthly: float | None  # signed delta; None when it cannot be estimated
    note: str


@dataclass(frozen=True, slots=True)
class CostEstimate:
    lines: tuple[CostLine, ...]
    table: PriceTable

    @property
    def total(self) -> float:
        return sum(line.monthly for line in self.lines if line.monthly is not None)

    @property
    def complete(self) -> bool:
        return all(line.monthly is not None for line in self.lines)


def table_from_json(data: Mapping[str, Any]) -> PriceTable:
    return PriceTable(
        source=str(data["source"]),
        retrieved=str(data["retrieved"]),
        currency=str(data["currency"]),
        hours_per_month=float(data["hours_per_month"]),
        prices=data["prices"],
        region_overrides=data.get("region_overrides", {}),
    )


@cache
def default_price_table() -> PriceTable:
    text = resources.files(reconciler).joinpath("data", PRICE_FILE).read_text(encoding="utf-8")
    return table_from_json(json.loads(text))


def base_model_of(model_arn: str) -> str | None:
    """`amazon.titan-text-express-v1` from `arn:...:custom-model/amazon.titan-text-express-v1:0:8k/abc`."""
    _, marker, rest = model_arn.partition(":custom-model/")
    if not marker or "/" not in rest:
        return None
    return rest.rsplit("/", 1)[0].split(":", 1)[0] or None


def _served_model_arn(action: Action, by_address: Mapping[str, Action]) -> str | None:
    model = action.params.get("modelId")
    if isinstance(model, Ref):
        source = by_address.get(model.address)
        arn = source.params.get("sourceModelArn") if source is not None else None
        return arn if isinstance(arn, str) else None
    return model if isinstance(model, str) else None


def estimate(plan: Plan, table: PriceTable | None = None) -> CostEstimate:
    """One line per provisioned-throughput action of `plan`."""
    table = table or default_price_table()
    by_address = {a.address: a for a in plan.actions if a.change != "wait"}
    lines: list[CostLine] = []
    for action in plan.actions:
        if action.operation == "CreateProvisionedModelThroughput":
            arn = _served_model_arn(action, by_address)
            base = base_model_of(arn) if arn else None
            units = int(action.params.get("modelUnits", 0))
            term = str(action.params.get("commitmentDuration", "none"))
            hourly = table.hourly(base, action.region, term) if base else None
            monthly = None if hourly is None else round(hourly * units * table.hours_per_month, 2)
            note = (
                f"{units} x {hourly:.2f}/hour x {table.hours_per_month:g} hours"
                if hourly is not None
                else f"no price for {base or 'this base model'} in the price table"
            )
            lines.append(CostLine(action.address, action.region, "create", base, units, term, monthly, note))
        elif action.operation == "UpdateProvisionedModelThroughput":
            lines.append(
                CostLine(
                    action.address,
                    action.region,
                    "update",
                    None,
                    None,
                    None,
                    0.0,
                    "repointed to another version: same model units and term",
                )
            )
        elif action.operation == "DeleteProvisionedModelThroughput":
            lines.append(
                CostLine(
                    action.address,
                    action.region,
                    "delete",
                    None,
                    None,
                    None,
                    None,
                    "removed: saves its current hourly price (units not recorded in the plan)",
                )
            )
    return CostEstimate(tuple(lines), table)
