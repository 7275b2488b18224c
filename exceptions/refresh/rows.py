"""Turning detections into exception rows: scored, explained, routed, with confidence."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date, timedelta

import numpy as np
import pandas as pd

from replenish import models as rm
from replenish.core.ports import decision_policy
from replenish.engine import confidence as conf
from replenish.engine import value as v

from .. import detectors, scoring
from ..models import (
    ExceptionType,
)
from ..routing import route
from .actions import chase_proposal, repromise_proposal
from .context import RefreshResult
from .tasks import one_task_per_sku, subject_key

# --- building the exception rows ----------------------------------------------------------------------------------


@dataclass
class Context:
    run: rm.PlanRun
    as_of: date
    now: object
    rules: list
    supervisors: dict[int, int]
    suppliers: dict[int, tuple[str, str]]
    locations: dict[int, str]
    usernames: dict[int, str]
    reliability: dict[int, float]
    declining: pd.DataFrame
    result: RefreshResult
    supplier_exposure: list = field(default_factory=list)
    supplier_buyers: list = field(default_factory=list)
    check_current: bool = False
    receipts: dict[int, float] = field(default_factory=dict)  # per supplier: receipts behind its lead time
    asn_lines: list[dict] = field(
        default_factory=list
    )  # late lines on ASNs, assembled per shipment at the end
    po_pairs: set = field(default_factory=set)  # (supplier, location) of draft-PO lines this refresh touched
    minimum_order_values: dict = field(default_factory=dict)
    value_settings: v.ValueSettings = v.DEFAULT_SETTINGS
    floors: dict = field(default_factory=dict)  # team -> value floor (exceptions.attention.team_floors)


def _dates(as_of: date, days: list) -> list[date | None]:
    """as_of + each day offset (rounded), None where there is none: one date built per distinct offset (a chunk's
    tens of thousands of detections fall due on a few dozen days)."""
    built: dict = {}
    out = []
    for day in days:
        if day not in built:
            finite = day is not None and math.isfinite(day)
            built[day] = as_of + timedelta(days=int(round(day))) if finite else None
        out.append(built[day])
    return out


_PLAIN = frozenset({str, int, bool, type(None)})


def _clean(value):
    """JSON-safe scalars (numpy types, NaN -> None)."""
    kind = type(
        value
    )  # the common exact types first (a refresh cleans millions of values), then the general rule
    if kind in _PLAIN:
        return value
    if kind is float:
        return value if math.isfinite(value) else None
    if kind is dict:
        return _clean_dict(value)
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_clean(v) for v in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not np.isfinite(value):
        return None
    return value


def _clean_dict(value: dict) -> dict:
    """_clean of a plain dict: its plain and float values checked here, only the others through _clean (a refresh
    cleans a million values a chunk, most of them plain leaves)."""
    out = {}
    for k, x in value.items():
        kind = type(x)
        if kind in _PLAIN:
            out[k] = x
        elif kind is float:
            out[k] = x if math.isfinite(x) else None
        else:
            out[k] = _clean(x)
    return out


def _proposal(rec: dict | None, ctx: Context, po_lines: dict[int, tuple[str, float]], item: dict) -> dict:
    """The proposed action in the form a person decides it, with what it spends (quantity x unit cost, freight),
    the unit cost, MOQ and pack behind it, and the engine's quantity (the base of the sanity ceiling)."""
    if not rec:
        return {}
    action = rec["action"]
    if action in ("expedite", "defer"):
        day = rec.get("new_date") or rec.get("due_date")
    elif action == "cancel":
        day = None
    else:
        day = rec.get("due_date")
    supplier_id = rec.get("rec_supplier_id")
    code, name = ctx.suppliers.get(int(supplier_id), ("", "")) if _present(supplier_id) else ("", "")
    source = rec.get("source_location_id")
    po_line = rec.get("po_line_id")
    po_number, line_cost = po_lines.get(int(po_line), ("", np.nan)) if _present(po_line) else ("", np.nan)
    if action in ("expedite", "defer", "cancel"):
        unit_cost = line_cost  # the PO line's own price
    elif action == "purchase_order" and _present(item.get("supplier_item_cost")):
        unit_cost = item["supplier_item_cost"]
    else:
        unit_cost = item.get("unit_cost")
    proposal = _clean(
        {
            "action": action,
            "quantity": int(rec["quantity"]),
            "date": day.isoformat() if hasattr(day, "isoformat") else day,
            "supplier_id": int(supplier_id) if _present(supplier_id) else None,
            "supplier_code": code,
            "supplier_name": name,
            "source_location_id": int(source) if _present(source) else None,
            "source_location_code": ctx.locations.get(int(source), "") if _present(source) else "",
            "po_line_id": int(po_line) if _present(po_line) else None,
            "po_number": po_number,
            "recommendation_id": int(rec["recommendation_id"]),
            "proposed_quantity": int(rec["quantity"]),
            "unit_cost": _money_or_none(unit_cost if _present(unit_cost) else item.get("unit_cost")),
            "moq": int(item["moq"]) if action == "purchase_order" and _present(item.get("moq")) else None,
            "pack_size": int(item["pack_size"])
            if action == "purchase_order" and _present(item.get("pack_size"))
            else None,
        }
    )
    return scoring.with_spend(proposal, ctx.value_settings)


def _without_recommendation(kind, facts: dict, shipment_id, supplier_id, ctx: Context) -> dict:
    """A late inbound is chased with the supplier; orders at risk are re-promised (exceptions.refresh.actions)."""
    if kind == ExceptionType.INBOUND_LATE and not _present(shipment_id):
        supplier = (facts.get("lines") or [{}])[0].get("supplier_id") or supplier_id
        return chase_proposal(
            supplier_id=supplier if _present(supplier) else None, lines=facts.get("lines") or [], ctx=ctx
        )
    if kind == ExceptionType.ORDER_AT_RISK:
        return repromise_proposal(facts=facts, ctx=ctx)
    return {}


def _money_or_none(value) -> str | None:
    return str(v.money(value)) if _present(value) else None


def _date_or_none(value) -> date | None:
    if value is None or not _present(value):
        return None
    if isinstance(value, pd.Timestamp):
        return value.date()
    return value if isinstance(value, date) else date.fromisoformat(str(value)[:10])


def _present(value) -> bool:
    if value is None:
        return False
    kind = type(value)  # the exact common types first, pandas' general rule for the rest
    if kind is int or kind is str:
        return True
    if kind is float:
        return value == value  # NaN is the one float unequal to itself
    try:
        return not pd.isna(value)
    except (TypeError, ValueError):
        return True


def proposal_key(proposal: dict) -> tuple:
    """What a person decides on: a change of any of these makes their pending decision stale."""
    p = proposal or {}
    lines = tuple((x.get("exception_id"), x.get("quantity"), x.get("date")) for x in p.get("lines") or ())
    lines += tuple(x.get("po_line_id") for x in p.get("po_lines") or ())
    lines += tuple(x.get("sales_order_line_id") for x in p.get("order_lines") or ())
    return (
        p.get("action"),
        p.get("quantity"),
        p.get("date"),
        p.get("supplier_id"),
        p.get("source_location_id"),
        p.get("po_line_id"),
        lines,
    )


# What _rows reads of the detections, and the facts it stores rounded (to these places) with the value's parts.
DETECTION_READ = ("type", "due_day", "shipment_id", "supplier_id", "summary", "basis", "facts")
DETECTION_READ += ("expected_short_units", "named_short_units", "unit_margin", "horizon_days")
ROUNDED_FACTS = {"expected_short_units": 3, "named_short_units": 3, "unit_margin": 4, "horizon_days": 2}

# What _proposal and the explanation read of a recommendation.
REC_FIELDS = (
    "recommendation_id",
    "action",
    "quantity",
    "due_date",
    "new_date",
    "rec_supplier_id",
    "source_location_id",
    "po_line_id",
    "reason",
)


def _records(frame: pd.DataFrame, columns: tuple[str, ...]) -> dict:
    """{index: {column: value}} of these columns, the values as DataFrame.to_dict("index") gives them (Python
    scalars) at a fraction of its cost: one tolist() per column instead of a boxed row per record."""
    values = [frame[c].tolist() for c in columns]
    return {key: dict(zip(columns, row)) for key, row in zip(frame.index.tolist(), zip(*values))}


def _po_lines(data: dict[str, pd.DataFrame]) -> dict[int, tuple[str, float]]:
    """PO number and unit cost of each PO line the chunk's recommendations name: the open lines read with the chunk,
    the others (closed since the plan ran) read here."""
    po_lines = {
        int(k): (str(number), float(cost))
        for k, number, cost in zip(
            data["po_lines"]["po_line_id"], data["po_lines"]["po_number"], data["po_lines"]["unit_cost"]
        )
    }
    missing_po = (
        {int(x) for x in data["recs"]["po_line_id"].dropna()} - set(po_lines) if len(data["recs"]) else set()
    )
    if missing_po:
        po_lines |= {
            pk: (number, float(cost))
            for pk, number, cost in rm.PurchaseOrderLine.objects.filter(pk__in=missing_po).values_list(
                "pk", "order__number", "unit_cost"
            )
        }
    return po_lines


def _rows(det: pd.DataFrame, data: dict[str, pd.DataFrame], ctx: Context) -> list[dict]:
    """Field values of each detected exception (scored, explained, routed, with confidence)."""
    plans = data["plans"].set_index("item_location_id", drop=False)
    recs = data["recs"].set_index("recommendation_id", drop=False) if len(data["recs"]) else None
    po_lines = _po_lines(data)
    plan_rows = plans.loc[det["item_location_id"].astype(int).to_numpy()]
    # Routing is vectorized over the chunk.
    route_frame = pd.DataFrame(
        {
            "type": det["type"].to_numpy(),
            "location_id": plan_rows["location_id"].to_numpy(),
            "supplier_id": det["supplier_id"].to_numpy(),
            "category": plan_rows["category"].to_numpy(),
            "buyer_id": plan_rows["buyer_id"].to_numpy(),
            "has_asn": det["shipment_id"].notna().to_numpy(),  # the shipment's rows go to transportation
        }
    )
    teams, owners = route(route_frame, ctx.rules, ctx.supervisors)
    # Python lists, not arrays: the loop below reads each element once, and a numpy scalar costs several times a
    # list element to read and to use (Series.tolist boxes the values as DataFrame.to_dict does)
    teams, owners = teams.tolist(), owners.tolist()
    rec_ids = det["recommendation_id"].to_numpy(dtype=np.float64).tolist()
    rec_by_id = _records(recs, REC_FIELDS) if recs is not None else {}
    plan = {
        column: plan_rows[column].tolist()
        for column in (
            "item_location_id",
            "location_id",
            "buyer_id",
            "category",
            "sku",
            "projected_stockout_date",
            "plan_id",
            "abc",
            "xyz",
            "mase",
            "flags",
            "lead_time_source",
            "lead_time_unstable",
            "unit_cost",
            "supplier_item_cost",
            "moq",
            "pack_size",
        )
    }
    composed = v.compose(
        **{name: det[name].to_numpy(dtype=np.float64) for name in detectors.common.VALUE_INPUTS}
    )
    out: list[dict] = []
    stored_parts = scoring.StoredParts(composed)
    # the detections' columns as Python lists, read by position (no row tuple built per detection)
    d = {name: det[name].tolist() for name in DETECTION_READ}
    rounded = {
        name: [_clean(round(float(x), places)) for x in d[name]] for name, places in ROUNDED_FACTS.items()
    }
    due_dates = _dates(ctx.as_of, d["due_day"])
    as_of = ctx.as_of.isoformat()
    for i, kind in enumerate(d["type"]):
        rec = rec_by_id.get(int(rec_ids[i])) if math.isfinite(rec_ids[i]) else None
        basis, facts = d["basis"][i], d["facts"][i]
        value, parts = stored_parts(
            i,
            facts={
                **{name: column[i] for name, column in rounded.items()},
                "basis": _clean(basis if isinstance(basis, dict) else {}),
            },
        )
        facts = facts if isinstance(facts, dict) else {}
        shipment_id, supplier_id = d["shipment_id"][i], d["supplier_id"][i]
        proposal = _proposal(
            rec,
            ctx,
            po_lines,
            {k: plan[k][i] for k in ("unit_cost", "supplier_item_cost", "moq", "pack_size")},
        )
        if not proposal:
            proposal = _without_recommendation(kind, facts, shipment_id, supplier_id, ctx)
        explanation = {
            "summary": d["summary"][i],
            "as_of": as_of,
            "facts": _clean(facts),
            "plan_id": int(plan["plan_id"][i]),
            "recommendation_reason": rec["reason"] if rec else "",
        }
        buyer = plan["buyer_id"][i]
        shipment = int(shipment_id) if _present(shipment_id) else None
        item_location_id = int(plan["item_location_id"][i])
        out.append(
            {
                "type": kind,
                "subject_key": subject_key(kind, item_location_id, shipment),
                "shipment_id": shipment,
                "item_location_id": item_location_id,
                "recommendation_id": int(rec_ids[i]) if rec is not None else None,
                "location_id": int(plan["location_id"][i]),
                "supplier_id": int(supplier_id) if _present(supplier_id) else None,
                "buyer_id": int(buyer) if _present(buyer) else None,
                "category": plan["category"][i] or "",
                "sku": plan["sku"][i] or "",
                "owner_team": str(teams[i]),
                "owner_id": int(owners[i]) if math.isfinite(owners[i]) else None,
                "due_by": due_dates[i],
                "stockout_date": _date_or_none(plan["projected_stockout_date"][i]),
                "value_at_stake": value,
                "value_parts": parts,
                "explanation": explanation,
                "proposal": proposal,
                # for confidence and automation
                "_abc": plan["abc"][i],
                "_xyz": plan["xyz"][i],
                "_mase": plan["mase"][i],
                "_flags": plan["flags"][i],
                "_lt_source": plan["lead_time_source"][i],
                "_lt_unstable": bool(plan["lead_time_unstable"][i]),
            }
        )
    # what a day's wait costs each (the queue's rank among equal values), one vectorised call for the chunk
    for row, rate in zip(out, scoring.delay_rates([row["value_parts"] for row in out])):
        row["_delay_rate"] = rate
    _confidence(out, ctx)
    return worth_a_task(one_task_per_sku(out, ctx), ctx.floors)


# Signals a person acts on without a proposed action: master data only they can fix, a supplier's decline.
ALWAYS_A_TASK = (ExceptionType.MASTER_DATA.value, ExceptionType.SUPPLIER_DECLINE.value)


def worth_a_task(rows: list[dict], floors: dict) -> list[dict]:
    """Drop the tasks nobody needs:
    - nothing to execute (no PO line to stop on an excess, no supply to move on a stockout) and a value under the
      team's floor: the signal stays on the SKU-location's page (its plan) and becomes a task again when its value
      reaches the floor or an action appears;
    - an expedite worth nothing (its freight costs at least what it saves over the horizon: value 0), which nobody
      should pay for; it comes back when the shortage grows.
    Late ASN lines (assembled per shipment) and the signals only a person can act on are kept."""
    out = []
    for row in rows:
        action = (row["proposal"] or {}).get("action")
        if action == v.EXPEDITE and row["value_at_stake"] <= 0:
            continue
        if (
            action
            or row.get("shipment_id")
            or str(row["type"]) in ALWAYS_A_TASK
            or row["value_at_stake"] >= floors.get(row["owner_team"], 0)
        ):
            out.append(row)
    return out


def _confidence(rows: list[dict], ctx: Context) -> None:
    """Confidence of each row (replenish.engine.confidence): the data part, P(accept) from the acceptance model
    (whose `confidence` feature is that same data part), and the blend."""
    if not rows:
        return
    data = conf.data_confidence(
        mase=[r["_mase"] for r in rows],
        flags=[r["_flags"] for r in rows],
        lead_time_source=[r["_lt_source"] for r in rows],
        lead_time_unstable=[r["_lt_unstable"] for r in rows],
        lead_time_samples=[
            ctx.receipts.get(r["supplier_id"], np.nan) if r["supplier_id"] else np.nan for r in rows
        ],
    )
    features = pd.DataFrame(
        {
            "action": [(r["proposal"] or {}).get("action") or r["type"] for r in rows],
            "value": [float(r["value_at_stake"]) for r in rows],
            "confidence": data["data"],
            "abc": [r["_abc"] or "" for r in rows],
            "xyz": [r["_xyz"] or "" for r in rows],
            "lead_time_source": [r["_lt_source"] or "" for r in rows],
            "supplier": [
                ctx.suppliers.get(r["supplier_id"], ("", ""))[0] if r["supplier_id"] else "" for r in rows
            ],
            "category": [r["category"] for r in rows],
            "buyer": [ctx.usernames.get(r["buyer_id"], "") if r["buyer_id"] else "" for r in rows],
        }
    )
    accept = np.asarray(decision_policy().acceptance_probability(features=features), dtype=np.float64)
    total = conf.confidence(data["data"], accept)
    for i, r in enumerate(rows):
        r["confidence"] = float(total[i])
        r["explanation"]["confidence_parts"] = {
            "forecast": round(float(data["forecast"][i]), 4),
            "data_quality": round(float(data["data_quality"][i]), 4),
            "lead_time": round(float(data["lead_time"][i]), 4),
            "data": round(float(data["data"][i]), 4),
            "acceptance": round(float(accept[i]), 4),
        }


def _supplier_rows(ctx: Context) -> list[dict]:
    declining = ctx.declining
    if declining.empty:
        return []
    exposure = (
        pd.concat(ctx.supplier_exposure, ignore_index=True)
        if ctx.supplier_exposure
        else pd.DataFrame(
            columns=["supplier_id", "delta_short", "lost_margin", "sku_locations", "open_units", "fill_short"]
        )
    )
    exposure = (
        exposure.groupby("supplier_id").sum(numeric_only=True)
        if len(exposure)
        else exposure.set_index("supplier_id")
    )
    buyers = (
        pd.concat(ctx.supplier_buyers, ignore_index=True)
        if ctx.supplier_buyers
        else pd.DataFrame(columns=["supplier_id", "buyer_id", "n"])
    )
    top_buyer = {}
    if len(buyers):
        totals = (
            buyers.groupby(["supplier_id", "buyer_id"])["n"]
            .sum()
            .reset_index()
            .sort_values("n", ascending=False)
        )
        top_buyer = {
            int(s): int(b)
            for s, b in totals.drop_duplicates("supplier_id")[["supplier_id", "buyer_id"]].itertuples(
                index=False
            )
        }
    rows = []
    route_frame = pd.DataFrame(
        {
            "type": ExceptionType.SUPPLIER_DECLINE,
            "location_id": np.nan,
            "supplier_id": declining["supplier_id"],
            "category": "",
            "buyer_id": [top_buyer.get(int(s), np.nan) for s in declining["supplier_id"]],
            "has_asn": False,
        }
    )
    teams, owners = route(route_frame, ctx.rules, ctx.supervisors)
    for i, s in enumerate(declining.itertuples(index=False)):
        supplier_id = int(s.supplier_id)
        e = exposure.loc[supplier_id] if supplier_id in exposure.index else None
        short = float(e["delta_short"] + e["fill_short"]) if e is not None else 0.0
        lost = float(e["lost_margin"]) if e is not None else 0.0
        value, parts = scoring.stored_parts(
            v.compose(lost_margin=[lost]),
            0,
            facts={
                "expected_short_units": round(short, 3),
                "named_short_units": 0.0,
                "unit_margin": round(lost / short, 4) if short > 0 else 0.0,
                "basis": {
                    "drift_days": round(float(s.drift_days), 3),
                    "fill_shortfall": round(float(s.fill_shortfall), 4),
                },
            },
        )
        code, name = ctx.suppliers.get(supplier_id, ("", ""))
        reasons = []
        if s.lead_time_drift:
            reasons.append(
                f"lead time up from {s.base_mean:.1f} to {s.recent_mean:.1f} days over the last "
                f"{detectors.RECENT_DAYS // 7} weeks (+{(s.recent_mean / s.base_mean - 1) * 100:.0f}%)"
            )
        if s.fill_drop:
            reasons.append(f"fill rate down from {s.fill_base:.0%} to {s.fill_recent:.0%}")
        facts = _clean(
            {
                "recent_mean": s.recent_mean,
                "base_mean": s.base_mean,
                "recent_sd": s.recent_sd,
                "n_recent": s.n_recent,
                "n_base": s.n_base,
                "fill_recent": s.fill_recent,
                "fill_base": s.fill_base,
                "sku_locations": int(e["sku_locations"]) if e is not None else 0,
                "open_units": float(e["open_units"]) if e is not None else 0.0,
            }
        )
        n_recent = float(s.n_recent or 0)
        rows.append(
            {
                "type": ExceptionType.SUPPLIER_DECLINE.value,
                "subject_key": f"supplier:{supplier_id}",
                "item_location_id": None,
                "recommendation_id": None,
                "location_id": None,
                "supplier_id": supplier_id,
                "buyer_id": top_buyer.get(supplier_id),
                "category": "",
                "owner_team": str(teams[i]),
                "owner_id": int(owners[i]) if np.isfinite(owners[i]) else None,
                "due_by": ctx.as_of + timedelta(days=7),
                "stockout_date": None,
                "value_at_stake": value,
                "value_parts": parts,
                "explanation": {
                    "summary": f"{name or code}: " + "; ".join(reasons) + ".",
                    "as_of": ctx.as_of.isoformat(),
                    "facts": facts,
                    "confidence_parts": {"sample": float(conf.supplier_sample_confidence(n_recent))},
                },
                "proposal": {},
                "confidence": float(conf.supplier_sample_confidence(n_recent)),
            }
        )
    return rows
