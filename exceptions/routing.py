"""Routing: which team and which person owns each exception (vectorized over a refresh chunk).

Rules are data (RoutingRule, edited in the admin through the audited writers at the end of this module): the first active rule by priority whose non-empty criteria (type,
location, supplier, category) all match decides the team and, when it names one, the owner. Without a matching rule
a type's default team applies (inbound late with an ASN in transit -> transportation planning). Without a named
owner: procurement -> the SKU-location's buyer, warehouse control -> the location's supervisor, other teams -> the
team at large (no owner; everyone in the team sees it).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from django.db import transaction

from replenish.core.audit import audit_record

from .models import ExceptionType, RoutingRule, Team

DEFAULT_TEAM = {
    ExceptionType.STOCKOUT_RISK: Team.PROCUREMENT,
    ExceptionType.REORDER_DUE: Team.PROCUREMENT,
    ExceptionType.INBOUND_LATE: Team.PROCUREMENT,
    ExceptionType.ORDER_AT_RISK: Team.CUSTOMER_SERVICE,
    ExceptionType.EXCESS: Team.PROCUREMENT,
    ExceptionType.SUPPLIER_DECLINE: Team.PROCUREMENT,
    ExceptionType.MASTER_DATA: Team.PROCUREMENT,
}


@dataclass(frozen=True)
class Rule:
    type: str
    location_id: int | None
    supplier_id: int | None
    category: str
    team: str
    owner_id: int | None


def rules_load() -> list[Rule]:
    return [
        Rule(r.type, r.location_id, r.supplier_id, r.category, r.team, r.owner_id)
        for r in RoutingRule.objects.filter(active=True).order_by("priority", "pk")
    ]


def _ids(frame: pd.DataFrame, column: str) -> np.ndarray:
    return pd.to_numeric(frame[column], errors="coerce").fillna(-1).to_numpy(dtype=np.int64)


def route(
    frame: pd.DataFrame, rules: list[Rule], supervisors: dict[int, int]
) -> tuple[np.ndarray, np.ndarray]:
    """Team and owner id (NaN = none) per row of `frame` (type, location_id, supplier_id, category, buyer_id, has_asn)."""
    n = len(frame)
    kind = frame["type"].astype(str).to_numpy()
    location = _ids(frame, "location_id")
    supplier = _ids(frame, "supplier_id")
    category = frame["category"].fillna("").astype(str).to_numpy()
    team = np.array([str(DEFAULT_TEAM.get(k, Team.PROCUREMENT)) for k in kind], dtype=object)
    has_asn = frame["has_asn"].fillna(False).to_numpy(dtype=bool) if "has_asn" in frame else np.zeros(n, bool)
    team[(kind == ExceptionType.INBOUND_LATE) & has_asn] = Team.TRANSPORTATION_PLANNING
    owner = np.full(n, np.nan)
    decided = np.zeros(n, dtype=bool)
    for rule in rules:
        match = ~decided
        if rule.type:
            match &= kind == rule.type
        if rule.location_id:
            match &= location == rule.location_id
        if rule.supplier_id:
            match &= supplier == rule.supplier_id
        if rule.category:
            match &= category == rule.category
        if not match.any():
            continue
        team[match] = rule.team
        if rule.owner_id:
            owner[match] = rule.owner_id
        decided |= match
    buyer = pd.to_numeric(frame["buyer_id"], errors="coerce").to_numpy(dtype=np.float64)
    unnamed = np.isnan(owner)
    procurement = unnamed & (team == Team.PROCUREMENT)
    owner[procurement] = buyer[procurement]
    warehouse = unnamed & (team == Team.WAREHOUSE_CONTROL)
    if warehouse.any():
        owner[warehouse] = [supervisors.get(int(loc), np.nan) for loc in location[warehouse]]
    return team, owner


# --- routing rules (edited in the admin, through these audited writers) ----------------------------------------

ROUTING_RULE_FIELDS = [
    "priority",
    "type",
    "location_id",
    "supplier_id",
    "category",
    "team",
    "owner_id",
    "active",
]


def _rule_snapshot(rule: RoutingRule) -> dict:
    return {field: getattr(rule, field) for field in [*ROUTING_RULE_FIELDS, "note"]}


@transaction.atomic
def routing_rule_save(*, rule: RoutingRule, actor) -> RoutingRule:
    """Create or change a routing rule, audited with what it was and what it is (a refresh applies it)."""
    before = {}
    if rule.pk is not None:
        old = RoutingRule.objects.select_for_update().filter(pk=rule.pk).first()
        before = _rule_snapshot(old) if old is not None else {}
    rule.full_clean()
    rule.save()
    after = _rule_snapshot(rule)
    if before != after:
        audit_record(
            kind="policy_change",
            action="routing_rule_update" if before else "routing_rule_create",
            actor=actor,
            subject_type="routing_rule",
            subject_id=rule.pk,
            payload={"before": before, "after": after},
        )
    return rule


@transaction.atomic
def routing_rule_delete(*, rule: RoutingRule, actor) -> None:
    before = _rule_snapshot(rule)
    pk = rule.pk
    rule.delete()
    audit_record(
        kind="policy_change",
        action="routing_rule_delete",
        actor=actor,
        subject_type="routing_rule",
        subject_id=pk,
        payload={"before": before},
    )
