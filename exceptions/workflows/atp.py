"""Order-line ATP and the customer-service queue: at-risk open order lines of tiered customers, with a new promise
date and substitutes, updated for the SKU-locations an event touched."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta
from decimal import Decimal
from typing import NamedTuple

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from replenish import models as m
from replenish.bulk import bulk_update_copied
from replenish.core.audit import AuditEntry, audit_records
from replenish.engine.value import money, order_line_parts

from . import engine
from .models import CustomerServiceTask, DomainEvent
from .substitutes import substitutes_for_many

OPEN_SO_LINE = (m.SalesOrderLine.Status.OPEN, m.SalesOrderLine.Status.BACKORDERED)
OPEN_SO = (m.SalesOrder.Status.OPEN, m.SalesOrder.Status.PARTIAL)
OPEN_PO_LINE = (
    m.PurchaseOrderLine.Status.OPEN,
    m.PurchaseOrderLine.Status.ACCEPTED,
    m.PurchaseOrderLine.Status.CHANGED,
    m.PurchaseOrderLine.Status.PARTIAL,
)
OPEN_PO = (m.PurchaseOrder.Status.OPEN, m.PurchaseOrder.Status.ACKNOWLEDGED, m.PurchaseOrder.Status.PARTIAL)
# A PO line whose promised date passed without an ASN: assume it arrives this many days from today (ASN missing).
ASN_MISSING_GRACE_DAYS = 3
CENT = Decimal("0.01")


def _items_q(pairs: set[tuple[int, int]], item_range: tuple[int, int] | None, path: str = "item_id") -> Q:
    """The items of these pairs: an id range [lo, hi) that holds them all when given (a refresh chunk's: one short
    condition instead of an IN list of thousands of ids; the rows of other items are dropped by the pair checks)."""
    if item_range is not None:
        return Q(**{f"{path}__gte": item_range[0], f"{path}__lt": item_range[1]})
    return Q(**{f"{path}__in": {i for i, _ in pairs}})


def inbound_by_pair(
    pairs: set[tuple[int, int]], today: date, *, item_range: tuple[int, int] | None = None
) -> tuple[dict, dict, dict]:
    """Inbound (date, units) per (item, location): ASN quantities at the shipment's expected arrival, the rest of an
    open PO line at its promised date (overdue without ASN -> today + grace, flagged), transfers in transit. Also
    per pair the notes and the sources in words: (date, units, what, the date it was promised when it slipped).
    `item_range`: an item id range holding every pair's item (read by range, see _items_q)."""
    locations = {loc for _, loc in pairs}
    inbound: dict[tuple[int, int], list[tuple[date, int]]] = defaultdict(list)
    notes: dict[tuple[int, int], list[str]] = defaultdict(list)
    sources: dict[tuple[int, int], list[tuple[date, int, str, date | None]]] = defaultdict(list)
    po_lines = list(
        m.PurchaseOrderLine.objects.filter(
            _items_q(pairs, item_range),
            order__location_id__in=locations,
            status__in=OPEN_PO_LINE,
            order__status__in=OPEN_PO,
        ).values_list(
            "pk",
            "item_id",
            "order__location_id",
            "quantity_ordered",
            "quantity_received",
            "promised_date",
            "order__number",
        )
    )
    shipped: dict[int, list[tuple[date, int, str]]] = defaultdict(list)
    by_line = (
        _items_q(pairs, item_range, "po_line__item_id")
        if item_range is not None
        else Q(po_line_id__in=[r[0] for r in po_lines])
    )
    for po_line_id, arrival, qty, shipment in m.ShipmentLine.objects.filter(
        by_line, shipment__status=m.Shipment.Status.IN_TRANSIT
    ).values_list("po_line_id", "shipment__expected_arrival", "quantity_shipped", "shipment__number"):
        shipped[po_line_id].append((arrival, qty, shipment))
    for pk, item_id, loc, ordered, received, promised, number in po_lines:
        key = (item_id, loc)
        if key not in pairs:
            continue
        open_qty = max(ordered - received, 0)
        on_asn = 0
        for arrival, qty, shipment in shipped.get(pk, []):
            take = min(qty, open_qty - on_asn)
            if take > 0:
                inbound[key].append((arrival, take))
                sources[key].append(
                    (arrival, take, f"ASN {shipment} (PO {number})", promised if arrival > promised else None)
                )
                on_asn += take
                if arrival < today:
                    notes[key].append(
                        f"ASN for PO {number} shows arrival {arrival}, already past: counted as today"
                    )
        rest = open_qty - on_asn
        if rest > 0:
            day = promised
            if promised < today:
                day = today + timedelta(days=ASN_MISSING_GRACE_DAYS)
                notes[key].append(f"PO {number}: promised {promised}, no ASN arrived: assumed {day}")
            inbound[key].append((day, rest))
            sources[key].append((day, rest, f"PO {number}", promised if day > promised else None))
    for item_id, loc, qty, arrival in m.TransferOrder.objects.filter(
        _items_q(pairs, item_range),
        to_location_id__in=locations,
        status__in=(m.TransferOrder.Status.PLANNED, m.TransferOrder.Status.IN_TRANSIT),
    ).values_list("item_id", "to_location_id", "quantity", "expected_arrival"):
        if (item_id, loc) in pairs:
            inbound[(item_id, loc)].append((arrival, qty))
            sources[(item_id, loc)].append((arrival, qty, "transfer", None))
    return inbound, notes, sources


class AtpLine(NamedTuple):
    """What the order-line ATP reads of an open order line and its order, customer, tier and item (order_risk_refresh,
    _reason, line_value_at_stake): a chunk of a refresh reads tens of thousands of lines, read as tuples."""

    pk: int
    item_id: int
    location_id: int
    quantity_open: int
    requested_ship_date: date
    unit_price: Decimal
    order_number: str
    customer_id: int
    customer_code: str
    tier_rank: int
    penalty_per_late_line: Decimal
    penalty_rate: Decimal
    item_unit_cost: Decimal

    @property
    def tiered(self) -> bool:
        """The contract carries a late-line penalty (is_tiered's rule)."""
        return self.penalty_per_late_line > 0 or self.penalty_rate > 0


ATP_LINE_VALUES = (
    "id",
    "item_id",
    "order__location_id",
    "quantity_ordered",
    "quantity_shipped",
    "requested_ship_date",
    "unit_price",
    "order__number",
    "order__customer_id",
    "order__customer__code",
    "order__customer__service_tier__rank",
    "order__customer__service_tier__penalty_per_late_line",
    "order__customer__service_tier__penalty_rate",
    "item__unit_cost",
)


# ... and of the SKU-locations (substitutes_for reads the item's family and attributes, on a change only)
ATP_ITEM_LOCATION_FIELDS = ("id", "item", "location_id", "on_hand", "item__family", "item__attributes")


# ... the fields a changed task rewrites (with its substitutes, event, version and updated_at)
UPDATED_FIELDS = (
    "short_units",
    "value_at_stake",
    "requested_date",
    "new_promise_date",
    "reason",
    "tier_rank",
)


class AtpItemLocation(NamedTuple):
    pk: int
    item_id: int
    location_id: int
    on_hand: int


def _open_atp_lines(
    pairs: set[tuple[int, int]], item_range: tuple[int, int] | None = None
) -> dict[tuple[int, int], list[AtpLine]]:
    """open_lines_by_pair's lines (the same query and rule), as AtpLine tuples."""
    out: dict[tuple[int, int], list[AtpLine]] = defaultdict(list)
    for pk, item_id, loc, ordered, shipped, *rest in _open_lines(pairs, item_range).values_list(
        *ATP_LINE_VALUES
    ):
        key = (item_id, loc)
        open_qty = max(ordered - shipped, 0)
        if key in pairs and open_qty > 0:
            out[key].append(AtpLine(pk, item_id, loc, open_qty, *rest))
    return out


def _open_lines(pairs: set[tuple[int, int]], item_range: tuple[int, int] | None = None):
    """The open order lines of the items and locations of these (item, location) pairs (a superset of the pairs)."""
    return m.SalesOrderLine.objects.filter(
        _items_q(pairs, item_range),
        order__location_id__in={loc for _, loc in pairs},
        status__in=OPEN_SO_LINE,
        order__status__in=OPEN_SO,
    )


def open_lines_by_pair(pairs: set[tuple[int, int]]) -> dict[tuple[int, int], list[m.SalesOrderLine]]:
    """The open order lines of these (item, location) pairs, with their order, customer, tier and item."""
    out: dict[tuple[int, int], list[m.SalesOrderLine]] = defaultdict(list)
    for line in _open_lines(pairs).select_related("order__customer__service_tier", "item"):
        key = (line.item_id, line.order.location_id)
        if key in pairs and line.quantity_open > 0:
            out[key].append(line)
    return out


def is_tiered(tier: m.ServiceTier) -> bool:
    """Tiered = the contract carries a late-line penalty (the same rule as the exceptions app's order-at-risk)."""
    return tier.penalty_per_late_line > 0 or tier.penalty_rate > 0


def line_value_at_stake(line: AtpLine, short_units: int) -> Decimal:
    """The short units' margin at the line's own price plus the contract's tier penalties (engine value.py)."""
    parts = order_line_parts(
        units=short_units,
        unit_price=float(line.unit_price),
        unit_cost=float(line.item_unit_cost),
        penalty_per_line=float(line.penalty_per_late_line),
        penalty_rate=float(line.penalty_rate),
    )
    return money(float(parts["order_exposure"]) + float(parts["tier_penalties"]))


def order_risk_refresh(
    *,
    item_location_ids: list[int],
    event: DomainEvent | None = None,
    today: date | None = None,
    item_range: tuple[int, int] | None = None,
) -> dict:
    """Recompute ATP for every open order line of the touched SKU-locations and update the customer-service queue:
    a task per at-risk line of a tiered customer (created or updated in place), resolved when no longer at risk.
    `item_range`: an item id range [lo, hi) holding every touched SKU-location's item (an exceptions refresh
    chunk's): the rows are read by that range rather than by lists of thousands of ids, the same rows kept."""
    today = today or timezone.localdate()
    touched = (
        m.ItemLocation.objects.filter(item_id__gte=item_range[0], item_id__lt=item_range[1])
        if item_range is not None
        else m.ItemLocation.objects.filter(pk__in=item_location_ids)
    )
    wanted = set(item_location_ids)
    ils = {
        row[0]: AtpItemLocation(*row)
        for row in touched.values_list("pk", "item_id", "location_id", "on_hand")
        if row[0] in wanted
    }
    pairs = {(il.item_id, il.location_id): il for il in ils.values()}
    inbound, notes, sources = inbound_by_pair(set(pairs), today, item_range=item_range)
    lines = _open_atp_lines(set(pairs), item_range)
    at_risk_lines = []
    writes = _TaskWrites(event)
    with transaction.atomic():
        live = {
            t.sales_order_line_id: t
            for t in CustomerServiceTask.objects.select_for_update()
            .filter(
                Q(item_location__item_id__gte=item_range[0], item_location__item_id__lt=item_range[1])
                if item_range is not None
                else Q(item_location_id__in=list(ils)),
                status__in=[CustomerServiceTask.Status.OPEN, CustomerServiceTask.Status.CONTACTED],
            )
            .order_by("pk")
            if t.item_location_id in ils
        }
        for key, il in sorted(pairs.items(), key=lambda kv: kv[1].pk):
            so_lines = {ln.pk: ln for ln in lines.get(key, [])}
            promises = engine.atp_promises(
                on_hand=il.on_hand,
                inbound=inbound.get(key, []),
                today=today,
                lines=[
                    engine.DemandLine(ln.pk, ln.requested_ship_date, ln.tier_rank, ln.quantity_open)
                    for ln in so_lines.values()
                ],
            )
            for p in promises:
                line = so_lines[p.line_id]
                task = live.pop(line.pk, None)
                late = p.promise_date is None or p.promise_date > max(line.requested_ship_date, today)
                if not (p.at_risk and late and line.tiered):
                    if task is not None:
                        writes.resolve(task, {"line": line.pk, "event": writes.event_pk}, count_version=True)
                    continue
                at_risk_lines.append(line.pk)
                why = _reason(line, p, il, notes.get(key, []), sources.get(key, []), today)
                values = {
                    "short_units": p.short_units,
                    "value_at_stake": line_value_at_stake(line, p.short_units),
                    "requested_date": line.requested_ship_date,
                    "new_promise_date": p.promise_date,
                    "reason": why,
                    "tier_rank": line.tier_rank,
                }
                if task is not None:
                    changed = {k for k, v in values.items() if getattr(task, k) != v}
                    if not changed:
                        continue  # unchanged: nothing written (the substitutes are looked up only on a change)
                    if changed == {"reason"}:
                        writes.reword(task, why)
                        continue
                writes.change(task, line, il, p, values)
        for task in live.values():  # the line is no longer open
            writes.resolve(task, {"reason": "line no longer open"}, count_version=False)
        writes.flush()
    return {
        "service_tasks_created": len(writes.created),
        "service_tasks_updated": len(writes.updated),
        "service_tasks_reworded": len(writes.reworded),
        "service_tasks_resolved": len(writes.resolved),
        "at_risk_lines": at_risk_lines,
    }


class _TaskWrites:
    """The customer-service queue's changes of one order_risk_refresh, collected and then written in bulk: the tasks
    created, updated and resolved, their audit events in the order the tasks were decided (one each; a created task's
    takes its id after the insert), the substitutes looked up once per changed SKU-location, for its first changed
    line's short units; and the tasks only reworded.

    A task's values (short units, value at stake, dates, tier) are what customer service acts on: a change of them is
    a new version (an action taken on the old one is refused as stale), an audit event with the new values and fresh
    substitutes. When only the reason's words change, as on the first refresh of a day for every overdue line ("short
    on <today>": its need date is today), the task is reworded in place, the reason and updated_at in one UPDATE: no
    version, event or audit event (its payload would repeat the last one's values) and no substitutes lookup."""

    def __init__(self, event: DomainEvent | None) -> None:
        self.event = event
        self.event_pk = getattr(event, "pk", None)
        self.now = timezone.now()
        self.created: list[CustomerServiceTask] = []
        self.updated: list[CustomerServiceTask] = []
        self.resolved: list[CustomerServiceTask] = []
        self.reworded: list[CustomerServiceTask] = []
        self.audits: list[tuple[str, str, CustomerServiceTask, dict]] = []
        self.subs_units: dict[int, int] = {}
        self.subs_tasks: dict[int, list[CustomerServiceTask]] = defaultdict(list)

    def resolve(self, task: CustomerServiceTask, payload: dict, *, count_version: bool) -> None:
        task.status, task.resolved_at, task.updated_at = (
            CustomerServiceTask.Status.RESOLVED,
            self.now,
            self.now,
        )
        if count_version:
            task.version += 1
        self.resolved.append(task)
        self.audits.append(("system", "service_task_resolved", task, payload))

    def reword(self, task: CustomerServiceTask, reason: str) -> None:
        task.reason, task.updated_at = reason, self.now
        self.reworded.append(task)

    def change(
        self,
        task: CustomerServiceTask | None,
        line: AtpLine,
        il: AtpItemLocation,
        p: engine.LinePromise,
        values: dict,
    ) -> None:
        """A new task for an at-risk line, or its live task with changed values."""
        self.subs_units.setdefault(il.pk, p.short_units)
        if task is None:
            task = CustomerServiceTask(
                sales_order_line_id=line.pk,
                item_location_id=il.pk,
                customer_id=line.customer_id,
                event=self.event,
                **values,
            )
            self.created.append(task)
            action = "service_task_created"
        else:
            for k, v in values.items():
                setattr(task, k, v)
            task.event = self.event
            task.version += 1
            task.updated_at = self.now
            self.updated.append(task)
            action = "service_task_updated"
        self.subs_tasks[il.pk].append(task)
        payload = {
            "line": line.pk,
            "order": line.order_number,
            "customer": line.customer_code,
            "short_units": p.short_units,
            "value_at_stake": str(values["value_at_stake"]),
            "requested": str(line.requested_ship_date),
            "promise": str(p.promise_date),
            "event": self.event_pk,
        }
        self.audits.append(("recommendation", action, task, payload))

    def flush(self) -> None:
        """The substitutes (the changed SKU-locations' items read at once, looked up together), then the tasks and their
        audit events."""
        if self.subs_units:
            item_locations = m.ItemLocation.objects.select_related("item").only(*ATP_ITEM_LOCATION_FIELDS)
            found = substitutes_for_many(
                {
                    il.pk: (il, self.subs_units[il.pk])
                    for il in item_locations.filter(pk__in=list(self.subs_units))
                }
            )
            for pk, subs in found.items():
                for task in self.subs_tasks[pk]:
                    task.substitutes = subs
        bulk_update_copied(self.resolved, ["status", "resolved_at", "version", "updated_at"])
        bulk_update_copied(self.reworded, ["reason", "updated_at"])
        bulk_update_copied(self.updated, [*UPDATED_FIELDS, "substitutes", "event", "version", "updated_at"])
        if self.created:
            CustomerServiceTask.objects.bulk_create(self.created, batch_size=1_000)
        audit_records(
            [
                AuditEntry(kind, action, "service_task", task.pk, payload)
                for kind, action, task, payload in self.audits
            ]
        )


def _reason(
    line: AtpLine,
    p: engine.LinePromise,
    il: AtpItemLocation,
    notes: list[str],
    sources: list[tuple[date, int, str, date | None]],
    today: date,
) -> str:
    """Why the line is late, from the data (the same words whichever event or refresh computed it): the stock that is
    short, the inbound that slipped past the date the line needs, the supply its ATP date comes from."""
    need = max(line.requested_ship_date, today)
    why = (
        f"{p.short_units} of {line.quantity_open} short on {need}: on hand {il.on_hand} plus inbound by then makes "
        f"{p.supply_at_request}, against {p.cumulative_demand} committed up to this line."
    )
    slipped = sorted(
        (s for s in sources if s[3] is not None and s[3] <= need < s[0]), key=lambda s: (s[0], s[2])
    )
    if slipped:
        day, units, what, promised = slipped[0]
        why += f" Cause: {what} ({units} units) slipped from {promised} to {day}."
    elif p.supply_at_request <= il.on_hand:
        why += " Cause: stock short, no inbound before then."
    if p.promise_date:
        covering = [s for s in sources if max(s[0], today) == p.promise_date]
        source = f" ({covering[0][2]})" if covering else ""
        why += f" Available to promise {p.promise_date}{source}."
    else:
        why += " No inbound covers it: source it or offer a substitute."
    if notes:
        why += " " + " ".join(notes[:2])
    return why


def lines_q(pairs: set[tuple[int, int]]) -> Q:
    q = Q()
    for item_id, loc in pairs:
        q |= Q(item_id=item_id, order__location_id=loc)
    return q
