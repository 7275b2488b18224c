"""Acceptance: in a generated scenario the top of the queue is the largest value at stake, and each value is
recomputed here independently from the stored source figures (plan, item, recommendation, order lines)."""

from datetime import date
from decimal import ROUND_HALF_UP, Decimal

import numpy as np
import pytest
from django.db.models import Max
from scipy import stats

from exceptions.models import UNDECIDED, PlanningException
from exceptions.services import exceptions_refresh
from replenish import models as m
from replenish.planning.refresh import plan_refresh
from replenish.scenario.generate import ScenarioSpec
from replenish.scenario.load import scenario_load

pytestmark = [pytest.mark.django_db, pytest.mark.slow]
AS_OF = date(2026, 11, 23)
CENT = Decimal("0.01")


def cents(x: float) -> Decimal:
    return Decimal(repr(float(x))).quantize(CENT, rounding=ROUND_HALF_UP)


def order_lines(il):
    lines = m.SalesOrderLine.objects.filter(
        item_id=il.item_id,
        order__location_id=il.location_id,
        status__in=["open", "backordered"],
        order__status__in=["open", "partial"],
    ).select_related("order__customer__service_tier")
    cost = float(il.item.unit_cost)
    out = []
    for line in lines:
        tier = line.order.customer.service_tier
        unallocated = max(line.quantity_ordered - line.quantity_shipped - line.quantity_allocated, 0)
        value = unallocated * float(line.unit_price)
        tiered = tier.penalty_per_late_line > 0 or tier.penalty_rate > 0
        penalty = float(tier.penalty_per_late_line) + float(tier.penalty_rate) * value if tiered else 0.0
        out.append(
            {
                "unallocated": unallocated,
                "margin": unallocated * max(float(line.unit_price) - cost, 0.0),
                "penalty": penalty,
                "tiered": tiered,
                "backordered": line.status == "backordered",
                "requested": (line.requested_ship_date - AS_OF).days,
            }
        )
    return out


def holding(units, cost, weeks):
    """capital x 25 % x weeks / 52, capped by the 50 % write-down."""
    capital = units * cost
    return min(capital * 0.25 * weeks / 52, capital * 0.5) if capital > 0 else 0.0


def independent_parts(exc) -> dict:
    """The documented formulas (README, "Priority is money"), computed here from the database rows with scipy."""
    il = exc.item_location
    if il is None:  # supplier level: checked in test_refresh
        return {}
    plan = m.SkuPlan.objects.get(run__is_current=True, item_location=il)
    cost, price = float(il.item.unit_cost), float(il.item.unit_price)
    daily, lead, lead_sd = plan.forecast_weekly / 7, plan.lead_time_mean, plan.lead_time_sd
    horizon = lead + 1.0  # lead time + the review period
    mean = daily * horizon
    sd = np.sqrt(horizon * plan.forecast_sd_weekly**2 / 7 + daily**2 * lead_sd**2)
    k = (plan.inventory_position - mean) / sd if sd > 0 else 0.0
    short = (
        sd * (stats.norm.pdf(k) - k * stats.norm.sf(k)) if sd > 0 else max(mean - plan.inventory_position, 0)
    )
    margin = max(price - cost, 0.0)
    stockout = (plan.projected_stockout_date - AS_OF).days if plan.projected_stockout_date else None
    rec = exc.recommendation
    parts = {"lost": 0.0, "orders": 0.0, "penalties": 0.0, "holding": 0.0, "cost": 0.0, "feasibility": 1.0}
    if exc.type in ("stockout_risk", "reorder_due"):
        risky = [
            x
            for x in order_lines(il)
            if x["unallocated"] > 0 and (x["backordered"] or x["requested"] <= horizon)
        ]
        p = plan.stockout_probability
        named = sum(x["unallocated"] for x in risky) * p
        parts.update(
            lost=max(short - named, 0.0) * margin,
            orders=sum(x["margin"] for x in risky) * p,
            penalties=sum(x["penalty"] for x in risky) * p,
        )
        if rec is not None:
            due = max((rec.due_date - AS_OF).days, 0)
            if rec.action == "purchase_order":
                parts["cost"] = 25.0
                arrival, arrival_sd = due + lead, max(lead_sd, 1.0)
            elif rec.action == "expedite":
                parts["cost"] = 75 + 0.04 * rec.quantity * float(rec.po_line.unit_cost)
                arrival = (rec.new_date - AS_OF).days if rec.new_date else due + lead
                arrival_sd = max(lead_sd, 1.0)
            else:  # transfer
                parts["cost"] = 40 + 0.03 * rec.quantity * cost
                arrival, arrival_sd = due + (rec.factors or {}).get("transfer_days", 2.0), 1.0
            if stockout is not None:
                parts["feasibility"] = stats.norm.cdf((stockout - arrival) / arrival_sd)
    elif exc.type == "excess":
        units = max(plan.inventory_position - (plan.order_up_to + 8 * plan.forecast_weekly), 0.0)
        if units <= 0 and rec is not None:
            units = min(rec.quantity, max(plan.inventory_position - plan.order_up_to, 0.0))
        units = np.floor(units)
        cover = units / plan.forecast_weekly if plan.forecast_weekly > 0 else np.inf
        if rec is not None and rec.action in ("defer", "cancel"):
            released = min(units, rec.quantity)
            weeks = cover
            if rec.action == "defer":
                weeks = min((rec.new_date - rec.po_line.promised_date).days / 7, cover)
            parts["holding"] = holding(released, cost, weeks)
        else:
            parts["holding"] = holding(units, cost, min(horizon / 7, cover))
    elif exc.type == "order_at_risk":
        # the tiered lines the customer-service queue holds for this SKU-location (one list: the order-line ATP's
        # live tasks), each valued on the units its ATP leaves short: margin at the line's price + tier penalties
        from exceptions.workflows.models import CustomerServiceTask

        tasks = CustomerServiceTask.objects.filter(
            item_location=il, status__in=["open", "contacted"]
        ).select_related("sales_order_line__order__customer__service_tier")
        orders = penalties = 0.0
        for task in tasks:
            line, units = task.sales_order_line, max(task.short_units, 0)
            tier = line.order.customer.service_tier
            orders += units * max(float(line.unit_price) - cost, 0.0)
            if units > 0:
                penalties += float(tier.penalty_per_late_line) + float(tier.penalty_rate) * units * float(
                    line.unit_price
                )
        parts.update(orders=orders, penalties=penalties)
    elif exc.type == "master_data":
        parts["lost"] = mean * margin
    else:
        return {}
    benefit = (
        cents(parts["lost"]) + cents(parts["orders"]) + cents(parts["penalties"]) + cents(parts["holding"])
    )
    reached = (benefit * Decimal(repr(float(parts["feasibility"])))).quantize(CENT, rounding=ROUND_HALF_UP)
    value = max(reached - cents(parts["cost"]), Decimal(0))
    return {
        "lost_margin": cents(parts["lost"]),
        "order_exposure": cents(parts["orders"]),
        "tier_penalties": cents(parts["penalties"]),
        "holding_cost": cents(parts["holding"]),
        "action_cost": -cents(parts["cost"]),
        "feasibility": parts["feasibility"],
        "value": value,
    }


def test_top_of_the_queue_is_the_largest_value_at_stake_and_every_value_recomputes(client):
    scenario_load(ScenarioSpec(skus=300, locations=2, weeks=70, seed=21, as_of=AS_OF))
    run = plan_refresh(as_of=AS_OF)
    assert run.is_current and run.status == "complete"
    result = exceptions_refresh(run=run)
    assert result.created > 20 and len(result.by_type) >= 4

    from django.contrib.auth import get_user_model

    client.force_login(get_user_model().objects.get(username="manager1"))
    rows = client.get("/queue/").context["rows"]
    largest = PlanningException.objects.filter(status__in=["open", "in_review"]).aggregate(
        v=Max("value_at_stake")
    )["v"]
    assert rows[0].value_at_stake == largest
    assert [r.value_at_stake for r in rows] == sorted((r.value_at_stake for r in rows), reverse=True)

    checked_types = set()
    candidates = list(PlanningException.objects.filter(status__in=UNDECIDED).order_by("-value_at_stake")[:25])
    for kind in ("stockout_risk", "reorder_due", "excess", "order_at_risk", "master_data"):
        first = PlanningException.objects.filter(type=kind).order_by("-value_at_stake").first()
        if first is not None:
            candidates.append(first)
    for exc in candidates:
        stored = exc.value_parts
        # the parts shown add up to the value, exactly
        parts = ("lost_margin", "order_exposure", "tier_penalties", "holding_cost")
        parts += ("feasibility_adjustment", "action_cost", "floor")
        assert sum(Decimal(stored[k]) for k in parts) == exc.value_at_stake, exc.pk
        expected = independent_parts(exc)
        if not expected:
            continue
        checked_types.add(exc.type)
        for key in ("lost_margin", "order_exposure", "tier_penalties", "holding_cost", "action_cost"):
            assert abs(Decimal(stored[key]) - expected[key]) <= CENT, (
                exc.pk,
                exc.type,
                key,
                stored[key],
                expected[key],
            )
        assert float(stored["feasibility"]) == pytest.approx(float(expected["feasibility"]), abs=1e-4)
        assert abs(exc.value_at_stake - expected["value"]) <= 2 * CENT, (exc.pk, exc.type)
    assert {"stockout_risk", "excess"} <= checked_types
    top = rows[0]
    assert top.pk in {c.pk for c in candidates}
