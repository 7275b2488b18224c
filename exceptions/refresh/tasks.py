"""One task per decision: the detections of a refresh become the tasks people decide.

- The procurement signals about one SKU-location (stockout risk, reorder point reached, late inbound, excess) are one
  task, keyed "sku:<SKU-location>": the signal with the best action (the largest value among those with an action)
  leads, the others are its context (explanation["signals"]); their values are not added (they are the same units).
- A SKU-location task whose best action is a purchase order is a line (status in_draft) of the draft PO of its
  supplier and ship-to location, keyed "po:<supplier>:<location>" and assembled at the end of the refresh from every
  live line of that pair (so a partial refresh keeps the lines it did not touch): its value and parts are the sums of
  its lines' (different SKU-locations: nothing is counted twice), its amount the sum of the lines' goods, checked
  against the supplier's minimum order value.
- Late PO lines on an ASN in transit are one task per shipment for transportation, keyed "asn:<shipment>".
"""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import date
from decimal import Decimal

from django.db import transaction

from replenish import models as rm
from replenish.engine import value as v

from ..models import LIVE, SKU_TASK_TYPES, ExceptionType, PlanningException, Status, Team
from ..scoring import order_by_days, with_spend
from .actions import chase_proposal
from .context import refresh_lock

KEY_PREFIX = {ExceptionType.ORDER_AT_RISK: "orders", ExceptionType.MASTER_DATA: "data"}
MONEY_PARTS = (*v.PARTS, "value")


def subject_key(kind: str, item_location_id: int, shipment_id: int | None = None) -> str:
    if shipment_id is not None:
        return f"asn:{shipment_id}"
    if kind in SKU_TASK_TYPES:
        return f"sku:{item_location_id}"
    return f"{KEY_PREFIX.get(kind, kind)}:{item_location_id}"


def _signal(row: dict) -> dict:
    return {
        "type": str(row["type"]),
        "summary": row["explanation"].get("summary", ""),
        "value": str(row["value_at_stake"]),
        "action": (row["proposal"] or {}).get("action"),
    }


def one_task_per_sku(rows: list[dict], ctx) -> list[dict]:
    """Keep one row per subject key (the best action leads, the other signals are its context); set aside the late
    ASN lines (assembled per shipment at the end); mark the purchase-order lines of draft POs."""
    ctx.asn_lines.extend(r for r in rows if r.get("shipment_id"))
    groups: dict[str, list[dict]] = defaultdict(list)
    for row in rows:
        if not row.get("shipment_id"):
            groups[row["subject_key"]].append(row)
    kept = []
    for group in groups.values():
        group.sort(
            key=lambda r: (bool((r["proposal"] or {}).get("action")), r["value_at_stake"]), reverse=True
        )
        best = group[0]
        best["explanation"]["signals"] = [_signal(r) for r in group[1:]]
        proposal = best["proposal"] or {}
        if proposal.get("action") == v.PURCHASE_ORDER and proposal.get("supplier_id"):
            best["_line"] = True
            best["supplier_id"] = proposal["supplier_id"]
            ctx.po_pairs.add((proposal["supplier_id"], best["location_id"]))
        kept.append(best)
    return kept


def _sum_parts(parts: list[dict]) -> dict:
    """Money parts summed over tasks of different subjects (each adds up to its value, so the sums do too)."""
    total = {
        name: sum((Decimal(str(p.get(name) or "0")) for p in parts), Decimal("0.00")) for name in MONEY_PARTS
    }
    out = {name: str(amount) for name, amount in total.items()}
    out["expected_short_units"] = round(sum(float(p.get("expected_short_units") or 0) for p in parts), 3)
    out["named_short_units"] = round(sum(float(p.get("named_short_units") or 0) for p in parts), 3)
    out["feasibility"] = None
    out["basis"] = {"tasks": len(parts)}
    return out


def _common(values: list, default=None):
    present = [x for x in values if x not in (None, "")]
    return Counter(present).most_common(1)[0][0] if present else default


def _header(key: str, kind: str, lines: list[dict], ctx) -> dict:
    """Field values shared by a draft PO and a shipment task, from their lines (dicts of task columns)."""
    days = [line["due_by"] for line in lines if line["due_by"]]
    stockouts = [line["stockout_date"] for line in lines if line["stockout_date"]]
    categories = {line["category"] for line in lines}
    return {
        "type": kind,
        "subject_key": key,
        "shipment_id": None,
        "item_location_id": None,
        "recommendation_id": None,
        "location_id": lines[0]["location_id"],
        "supplier_id": _common([line["supplier_id"] for line in lines]),
        "buyer_id": _common([line["buyer_id"] for line in lines]),
        "category": categories.pop() if len(categories) == 1 else "",
        "owner_id": _common([line["owner_id"] for line in lines]),
        "due_by": min(days) if days else None,
        "stockout_date": min(stockouts) if stockouts else None,
        "value_at_stake": sum((Decimal(str(line["value_at_stake"])) for line in lines), Decimal("0.00")),
        # its most urgent line's last day to act that is still ahead (engine.attention.work_by_day)
        "_order_by_days": min(
            (d for d in (order_by_days(line["value_parts"]) for line in lines) if d >= 0),
            default=float("inf"),
        ),
        # what a day's wait costs the lines together (as the value is their sum)
        "_delay_rate": round(sum(float(line["delay_rate"]) for line in lines), 3),
        "value_parts": _sum_parts([line["value_parts"] for line in lines]),
        "confidence": min(float(line["confidence"]) for line in lines),  # as sure as its least sure line
        "_no_automation": True,
    }


# --- draft purchase orders ------------------------------------------------------------------------------------------

LINE_FIELDS = [
    "id",
    "item_location_id",
    "item_location__item__sku",
    "location_id",
    "supplier_id",
    "buyer_id",
    "owner_id",
    "category",
    "due_by",
    "stockout_date",
    "value_at_stake",
    "delay_rate",
    "value_parts",
    "confidence",
    "proposal",
]


def _po_line(row: dict) -> dict:
    p = row["proposal"]
    return {
        "exception_id": row["id"],
        "item_location_id": row["item_location_id"],
        "sku": row["item_location__item__sku"],
        "quantity": p.get("quantity"),
        "date": p.get("date"),
        "unit_cost": p.get("unit_cost"),
        "goods": p.get("goods"),
        "moq": p.get("moq"),
        "pack_size": p.get("pack_size"),
        "recommendation_id": p.get("recommendation_id"),
        "value": str(row["value_at_stake"]),
    }


def _draft_po(pair: tuple[int, int], lines: list[dict], ctx) -> dict:
    supplier_id, location_id = pair
    code, name = ctx.suppliers.get(supplier_id, ("", ""))
    minimum = ctx.minimum_order_values.get(supplier_id, Decimal(0))
    lines.sort(key=lambda line: (-Decimal(str(line["value_at_stake"])), line["id"]))
    po_lines = [_po_line(line) for line in lines]
    dates = [line["date"] for line in po_lines if line["date"]]
    proposal = with_spend(
        {
            "action": v.PURCHASE_ORDER,
            "supplier_id": supplier_id,
            "supplier_code": code,
            "supplier_name": name,
            "date": min(dates) if dates else None,
            "quantity": sum(int(line["quantity"] or 0) for line in po_lines),
            "lines": po_lines,
            "minimum_order_value": str(minimum),
        },
        ctx.value_settings,
    )
    below = minimum > 0 and Decimal(proposal["amount"]) < minimum
    proposal["below_minimum"] = below
    where = ctx.locations.get(location_id, "")
    summary = (
        f"Draft PO to {name or code} for {where}: {len(po_lines)} line{'s' if len(po_lines) != 1 else ''}"
    )
    summary += f", {Decimal(proposal['amount']):,.2f}"
    if below:
        summary += (
            f", below the supplier's minimum order value {minimum:,.2f}: add lines or accept the surcharge"
        )
    row = _header(f"po:{supplier_id}:{location_id}", ExceptionType.DRAFT_PO.value, lines, ctx)
    row.update(
        supplier_id=supplier_id,
        location_id=location_id,
        owner_team=Team.PROCUREMENT.value,
        proposal=proposal,
        explanation={
            "summary": summary + ".",
            "as_of": ctx.as_of.isoformat(),
            "facts": {"lines": len(po_lines), "below_minimum": below, "minimum_order_value": str(minimum)},
            "signals": [],
        },
    )
    return row


def draft_pos_refresh(ctx, *, apply, existing_rows) -> None:
    """Assemble the draft POs of the (supplier, location) pairs this refresh touched from their live lines, in one
    transaction: create, update in place (a new version when the lines change), or close a draft with no line left;
    a rejected or posted draft is closed (its lines carry the suppression) so a new one can open. `apply` and
    `existing_rows` are the refresh's writer and locked reader (passed in: this module sits below them)."""
    pairs = ctx.po_pairs
    if not pairs:
        return
    suppliers = {s for s, _ in pairs}
    ctx.minimum_order_values = dict(
        rm.Supplier.objects.filter(pk__in=suppliers).values_list("pk", "minimum_order_value")
    )
    keys = [f"po:{s}:{loc}" for s, loc in pairs]
    with transaction.atomic():
        refresh_lock()
        lines = list(
            PlanningException.objects.select_for_update(of=("self",))
            .filter(
                status=Status.IN_DRAFT, supplier_id__in=suppliers, location_id__in={loc for _, loc in pairs}
            )
            .order_by("pk")
            .values(*LINE_FIELDS)
        )
        by_pair: dict[tuple, list[dict]] = defaultdict(list)
        for line in lines:
            if (line["supplier_id"], line["location_id"]) in pairs:
                by_pair[(line["supplier_id"], line["location_id"])].append(line)
        existing = existing_rows(PlanningException.objects.filter(subject_key__in=keys, status__in=LIVE))
        final = [e["id"] for e in existing if e["status"] in (Status.REJECTED, Status.POSTED)]
        PlanningException.objects.filter(pk__in=final).update(status=Status.CLOSED, closed_at=ctx.now)
        drafts = [_draft_po(pair, rows, ctx) for pair, rows in by_pair.items()]
        apply(drafts, [e for e in existing if e["id"] not in final], ctx)
        heads = dict(
            PlanningException.objects.filter(subject_key__in=keys, status__in=LIVE).values_list(
                "subject_key", "pk"
            )
        )
        for pair, rows in by_pair.items():
            PlanningException.objects.filter(pk__in=[r["id"] for r in rows]).update(
                parent_id=heads.get(f"po:{pair[0]}:{pair[1]}")
            )


# --- late shipments -------------------------------------------------------------------------------------------------


def _shipment_line(row: dict) -> dict:
    """A late ASN line of a chunk, JSON-ready (the finish of the refresh assembles the shipments from them)."""
    return {
        "shipment_id": int(row["shipment_id"]),
        "item_location_id": row["item_location_id"],
        "location_id": row["location_id"],
        "supplier_id": row["supplier_id"],
        "buyer_id": row["buyer_id"],
        "owner_id": row["owner_id"],
        "category": row["category"],
        "due_by": row["due_by"].isoformat() if isinstance(row["due_by"], date) else row["due_by"],
        "stockout_date": row["stockout_date"].isoformat()
        if isinstance(row["stockout_date"], date)
        else row["stockout_date"],
        "value_at_stake": str(row["value_at_stake"]),
        "delay_rate": row.get("_delay_rate", 0.0),
        "value_parts": row["value_parts"],
        "confidence": row["confidence"],
        "summary": row["explanation"].get("summary", ""),
        "facts": row["explanation"].get("facts", {}),
        "abc": str(row.get("_abc") or ""),
        "xyz": str(row.get("_xyz") or ""),
        "flags": [str(f) for f in (row.get("_flags") or [])],
    }


def _dated(line: dict) -> dict:
    out = dict(line)
    for name in ("due_by", "stockout_date"):
        out[name] = date.fromisoformat(out[name]) if out.get(name) else None
    return out


def _shipment(shipment_id: int, lines: list[dict], ctx) -> dict:
    lines.sort(key=lambda line: -Decimal(line["value_at_stake"]))
    row = _header(f"asn:{shipment_id}", ExceptionType.INBOUND_LATE.value, [_dated(x) for x in lines], ctx)
    facts = lines[0]["facts"]
    late = max(float(x["facts"].get("days_late") or 0) for x in lines)
    code, name = ctx.suppliers.get(row["supplier_id"], ("", ""))
    proposal = chase_proposal(
        supplier_id=row["supplier_id"],
        lines=[x["facts"] for x in lines],
        ctx=ctx,
        asn_number=facts.get("asn_number", ""),
    )
    row.update(
        # the automation policies judge a shipment by its most important line (ABC) and its least predictable
        # (XYZ), with every line's data-quality flags: a chase is then executed like any other action
        _no_automation=False,
        _abc=min((x.get("abc") or "C" for x in lines), default="C"),
        _xyz=max((x.get("xyz") or "Z" for x in lines), default="Z"),
        _flags=sorted({f for x in lines for f in x.get("flags") or []}),
        shipment_id=shipment_id,
        owner_team=Team.TRANSPORTATION_PLANNING.value,
        owner_id=None,
        proposal=proposal,
        explanation={
            "summary": f"ASN {facts.get('asn_number', '')} from {name or code} to "
            f"{ctx.locations.get(row['location_id'], '')}: {len(lines)} late PO line{'s' if len(lines) != 1 else ''}, "
            f"up to {late:,.0f} days after they are needed.",
            "as_of": ctx.as_of.isoformat(),
            "facts": {"lines": lines, "asn_number": facts.get("asn_number", ""), "days_late": late},
            "signals": [],
        },
    )
    return row


def shipments_refresh(ctx, *, touched: set[int] | None, apply, existing_rows) -> None:
    """One task per late shipment, from its late lines. A partial refresh (touched SKU-locations) replaces the lines
    of those SKU-locations and keeps the others as stored; a full refresh closes the shipments no longer late."""
    fresh: dict[int, list[dict]] = defaultdict(list)
    for line in ctx.asn_lines:  # _shipment_line dicts recorded by the chunks
        fresh[int(line["shipment_id"])].append(line)
    with transaction.atomic():
        refresh_lock()
        existing = existing_rows(
            PlanningException.objects.filter(subject_key__startswith="asn:", status__in=LIVE)
        )
        stored = PlanningException.objects.filter(pk__in=[e["id"] for e in existing]).values_list(
            "shipment_id", "explanation"
        )
        lines = {sid: list(fresh.get(sid, [])) for sid in set(fresh) | {e["shipment_id"] for e in existing}}
        for sid, explanation in stored:
            if touched is not None:
                kept = [
                    x
                    for x in (explanation or {}).get("facts", {}).get("lines", [])
                    if x["item_location_id"] not in touched
                ]
                lines.setdefault(sid, []).extend(kept)
        apply([_shipment(sid, rows, ctx) for sid, rows in lines.items() if rows], existing, ctx)
