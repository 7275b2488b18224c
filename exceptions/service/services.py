"""Customer service's actions on an at-risk order line, each posted to the ERP through the outbox and audited in the
same transaction: re-promise (repromise_order), offer a substitute (change_order_line), split / partial ship
(split_order_line), reallocate constrained stock from lower tiers (the milp allocation of
exceptions.workflows.allocation; reallocate), mark contacted. Each checks the line's version (a newer event that
re-scored the line makes the action stale) and leaves the line in the list, handled ("contacted"), until the ATP
no longer finds it at risk."""

from __future__ import annotations

from datetime import date

from django.db import transaction
from django.utils import timezone

from integrations.services import outbox_enqueue
from replenish.core.audit import audit_record
from replenish.core.errors import NotAllowed, StaleVersion

from ..workflows.allocation import allocation_run
from ..workflows.models import AllocationLine, CustomerServiceTask
from .models import ServiceAction
from .selectors import ACT_PERMISSION, LIVE


def _locked(task: CustomerServiceTask, actor, version: int) -> CustomerServiceTask:
    if not actor.has_perm(ACT_PERMISSION):
        raise NotAllowed("only customer service and managers act on customer order lines")
    locked = (
        CustomerServiceTask.objects.select_for_update()
        .select_related(
            "sales_order_line__order__customer", "sales_order_line__item", "item_location__location"
        )
        .get(pk=task.pk)
    )
    if locked.version != int(version):
        raise StaleVersion("this line changed since you opened it (a newer event re-scored it): reload")
    if locked.status not in LIVE:
        raise NotAllowed("this line is no longer at risk")
    return locked


def _line_ref(task: CustomerServiceTask) -> dict:
    line = task.sales_order_line
    return {
        "order_number": line.order.number,
        "line": line.line_number,
        "sku": line.item.sku,
        "customer": line.order.customer.code,
        "quantity": line.quantity_open,
        "location": task.item_location.location.code,
    }


def _record(
    task: CustomerServiceTask, *, actor, kind: str, outbox_kind: str | None, details: dict
) -> ServiceAction:
    key = ""
    if outbox_kind:
        key = f"service-{task.pk}-v{task.version}-{kind}"
        outbox_enqueue(
            kind=outbox_kind,
            idempotency_key=key,
            payload={**details, "decided_by": actor.username, "reference": f"service_task:{task.pk}"},
            subject_type="service_task",
            subject_id=task.pk,
        )
    action = ServiceAction.objects.create(
        kind=kind,
        sales_order_line_id=task.sales_order_line_id,
        task=task,
        actor=actor,
        details=details,
        outbox_key=key,
    )
    task.status = CustomerServiceTask.Status.CONTACTED
    task.handled_by = actor
    task.version += 1
    task.save(update_fields=["status", "handled_by", "version", "updated_at"])
    audit_record(
        kind="decision",
        action=f"order_line_{kind}",
        actor=actor,
        subject_type="service_task",
        subject_id=task.pk,
        payload={**details, "outbox": key or None, "service_action": action.pk},
    )
    return action


@transaction.atomic
def order_line_repromise(
    *, task: CustomerServiceTask, actor, version: int, promise_date: date
) -> ServiceAction:
    """Write a new promise date to the ERP's order line (by default the line's available-to-promise date)."""
    task = _locked(task, actor, version)
    if promise_date < timezone.localdate():
        raise NotAllowed(f"the new promise date {promise_date} is in the past")
    if task.new_promise_date and promise_date < task.new_promise_date:
        raise NotAllowed(
            f"{promise_date} is before the available-to-promise date {task.new_promise_date}: the line cannot ship then"
        )
    ref = _line_ref(task)
    details = {
        "order_lines": [{**ref, "new_promise_date": str(promise_date)}],
        "date": str(promise_date),
        "previous_promise": str(task.sales_order_line.promised_ship_date or task.requested_date),
    }
    return _record(
        task, actor=actor, kind=ServiceAction.Kind.REPROMISE, outbox_kind="repromise_order", details=details
    )


@transaction.atomic
def order_line_substitute(*, task: CustomerServiceTask, actor, version: int, sku: str) -> ServiceAction:
    """Change the order line to a substitute SKU (one the line's substitutes list offers)."""
    task = _locked(task, actor, version)
    offered = {s.get("sku"): s for s in task.substitutes or []}
    if sku not in offered:
        raise NotAllowed(
            f"{sku or 'no SKU'} is not a substitute offered for this line ({', '.join(offered) or 'none'})"
        )
    sub = offered[sku]
    details = {
        **_line_ref(task),
        "new_sku": sku,
        "basis": sub.get("basis"),
        "transfer_from": sub.get("transfer_from"),
    }
    return _record(
        task,
        actor=actor,
        kind=ServiceAction.Kind.SUBSTITUTE,
        outbox_kind="change_order_line",
        details=details,
    )


@transaction.atomic
def order_line_split(*, task: CustomerServiceTask, actor, version: int) -> ServiceAction:
    """Ship what is available now; the short units become a backorder line promised at the ATP date."""
    task = _locked(task, actor, version)
    open_units = task.sales_order_line.quantity_open
    ship_now = open_units - task.short_units
    if ship_now <= 0:
        raise NotAllowed("nothing of this line is available to ship now: re-promise or substitute instead")
    details = {
        **_line_ref(task),
        "ship_now_quantity": ship_now,
        "backorder_quantity": task.short_units,
        "backorder_date": str(task.new_promise_date) if task.new_promise_date else None,
    }
    return _record(
        task, actor=actor, kind=ServiceAction.Kind.SPLIT, outbox_kind="split_order_line", details=details
    )


@transaction.atomic
def order_line_reallocate(*, task: CustomerServiceTask, actor, version: int) -> ServiceAction:
    """Re-run the constrained-supply allocation of the line's item (scipy milp: contract minimums first, then
    margin) over all its stock, allocated stock included, so lower tiers give way; post the changed allocations."""
    task = _locked(task, actor, version)
    item_id = task.sales_order_line.item_id
    result = allocation_run(item_id=item_id, actor=actor, include_allocated=True)
    if not result.get("constrained"):
        raise NotAllowed(
            f"no constraint to allocate: {result.get('supply', 0)} units available cover the "
            f"{result.get('demand', 0)} demanded within the horizon"
        )
    rows = AllocationLine.objects.filter(allocation_key=result["allocation"]).select_related(
        "sales_order_line__order", "supply_location", "item"
    )
    changes = [
        {
            "order_number": r.sales_order_line.order.number,
            "line": r.sales_order_line.line_number,
            "sku": r.item.sku,
            "allocated_before": r.sales_order_line.quantity_allocated,
            "allocated": r.allocated,
            "from_location": r.supply_location.code,
        }
        for r in rows
        if r.sales_order_line is not None and r.allocated != r.sales_order_line.quantity_allocated
    ]
    task.refresh_from_db()
    details = {
        **_line_ref(task),
        "allocation": result["allocation"],
        "allocations": changes,
        "shortfall": result.get("shortfall"),
    }
    return _record(
        task, actor=actor, kind=ServiceAction.Kind.REALLOCATE, outbox_kind="reallocate", details=details
    )


@transaction.atomic
def order_line_contact(*, task: CustomerServiceTask, actor, version: int, note: str = "") -> ServiceAction:
    task = _locked(task, actor, version)
    details = {**_line_ref(task), "note": note[:500], "promise": str(task.new_promise_date)}
    return _record(task, actor=actor, kind=ServiceAction.Kind.CONTACT, outbox_kind=None, details=details)
