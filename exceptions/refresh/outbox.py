"""The outbox message of a decided exception: its kind, idempotency key and payload."""

from __future__ import annotations

from ..models import (
    PlanningException,
)
from .rows import _clean

OUTBOX_KINDS = {
    "purchase_order": "create_po",
    "expedite": "expedite_request",
    "defer": "change_po",
    "cancel": "cancel_po",
    "transfer": "transfer_order",
    "reallocate": "reallocate",
    "chase": "chase_supplier",
    "repromise": "repromise_order",
}


def idempotency_key(exception_id: int, kind: str) -> str:
    """Outbox key: one per exception and ERP action (kind), whatever path decided it (the queue, the API, bulk
    approve, the approvals inbox, the automation policy) and however often it is decided again after the ERP
    refused it: the ERP never sees the same action twice (issue 13 item 4). A refused posting is re-armed with the
    new values under the same key (integrations.services.outbox_enqueue)."""
    return f"exception-{exception_id}-{kind}"


def outbox_payload(
    exception: PlanningException,
    proposal: dict,
    *,
    actor,
    action: str,
    reason_code: str = "",
    comment: str = "",
) -> dict:
    return _clean(
        {
            "exception_id": exception.pk,
            "exception_type": exception.type,
            "decision": action,
            "action": proposal.get("action"),
            "item_location_id": exception.item_location_id,
            "location_id": exception.location_id,
            "quantity": proposal.get("quantity"),
            "date": proposal.get("date"),
            "supplier_id": proposal.get("supplier_id"),
            "supplier_code": proposal.get("supplier_code"),
            "source_location_id": proposal.get("source_location_id"),
            "po_line_id": proposal.get("po_line_id"),
            "po_number": proposal.get("po_number"),
            "freight": proposal.get("freight") if proposal.get("freight") not in (None, "0.00") else None,
            "amount": proposal.get("amount"),
            "recommendation_id": exception.recommendation_id,
            "reason_code": reason_code,
            "comment": comment,
            "decided_by": getattr(actor, "username", None) or "automation",
            # a draft PO: its lines (CONTRACT.md create_po with lines), each for one SKU-location
            "lines": [
                {
                    "sku": line.get("sku"),
                    "quantity": line.get("quantity"),
                    "due_date": line.get("date"),
                    "unit_cost": line.get("unit_cost"),
                    "item_location_id": line.get("item_location_id"),
                    "exception_id": line.get("exception_id"),
                    "recommendation_id": line.get("recommendation_id"),
                }
                for line in proposal["lines"]
            ]
            if proposal.get("lines")
            else None,
            # a chase: the supplier's late PO lines, the ASN and the message; a re-promise: the order lines
            "po_lines": proposal.get("po_lines"),
            "asn_number": proposal.get("asn_number") or None,
            "message": proposal.get("message"),
            "order_lines": [
                {**line, "new_promise_date": proposal.get("date")} for line in proposal["order_lines"]
            ]
            if proposal.get("order_lines")
            else None,
        }
    )
