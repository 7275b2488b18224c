"""Inbound EDI X12 applied to the network: 856 -> shipments, 855 -> PO line acknowledgements, 846 -> supplier
availability, 997 -> status of the 850s we sent. A 997 is written for every functional group received.

One inbox message per file (source "edi", external id = sender + ISA13: a resent interchange is a replay). Each
transaction set is applied on its own, all or nothing (a savepoint), and recorded as an `EdiTransaction` keyed by
partner and control numbers: a corrupt set is rejected with its segment-level errors (and an R in the 997) while
the other sets of the file are still applied. A retry after a fix skips the sets already applied.
"""

from __future__ import annotations

import hashlib

from django.db import transaction

from replenish import models as m

from .edi import EdiError
from .edi.x12 import Interchange, TransactionSet, parse_x12
from .edi_apply import APPLIERS, EDI_SOURCE, EdiContext
from .edi_outbound import acknowledge_group
from .inbound import IssueSpec, Outcome, Rejected, register
from .inbox import inbox_ingest
from .models import EdiTransaction, InboxMessage

__all__ = ["EDI_SOURCE", "edi_ingest", "handle_x12"]


def _error_dict(error: EdiError) -> dict:
    found = {"code": str(error.code), "message": error.message, "severity": str(error.severity)}
    if error.segment_id:
        found["segment"] = error.segment_id
    if error.segment_position is not None:
        found["position"] = error.segment_position
    if error.segment_position_in_set is not None:
        found["position_in_set"] = error.segment_position_in_set
    if error.element_position is not None:
        found["element"] = error.element_position
    return found


def _identify_supplier(interchange: Interchange) -> m.Supplier | None:
    candidates = list(m.Supplier.objects.filter(edi_interchange_id=interchange.sender_id))
    exact = [s for s in candidates if s.edi_qualifier == interchange.sender_qualifier]
    if exact or candidates:
        return (exact or candidates)[0]
    codes = {g.application_sender_code for g in interchange.groups if g.application_sender_code}
    return (
        m.Supplier.objects.filter(edi_group_id__in=codes).exclude(edi_group_id="").first() if codes else None
    )


# -- the inbox handler -----------------------------------------------------------------------------------------


@register("edi.x12")
def handle_x12(message: InboxMessage, _context) -> Outcome:
    data = message.payload.encode("latin-1") if message.meta.get("encoding") == "latin-1" else message.payload
    result = parse_x12(data)
    file_errors = [_error_dict(e) for e in result.errors]
    if not result.interchanges:
        first = file_errors[0]["message"] if file_errors else "no interchange found"
        raise Rejected(f"the EDI file was rejected, nothing was applied: {first}", file_errors)
    sets: list[dict] = []
    notes: list[str] = []
    issues: list[IssueSpec] = []
    touched: set[int] = set()
    for interchange in result.interchanges:
        partner = f"{interchange.sender_qualifier}:{interchange.sender_id}"
        supplier = _identify_supplier(interchange)
        for group in interchange.groups:
            ack = acknowledge_group(interchange=interchange, group=group, message=message)
            if isinstance(ack, str):
                notes.append(ack)
            for ts in group.transaction_sets:
                ctx = EdiContext(message=message, partner=partner, interchange=interchange, supplier=supplier)
                sets.append(_apply_set(ts, ctx, interchange))
                issues += ctx.issues
                touched |= ctx.item_location_ids
        if interchange.errors:
            file_errors += [_error_dict(e) for e in interchange.errors]
    statuses = {s["status"] for s in sets}
    rejected = [s for s in sets if s["status"] == EdiTransaction.Status.REJECTED]
    if not rejected and not file_errors:
        status, reason = InboxMessage.Status.APPLIED, ""
    elif rejected and statuses <= {EdiTransaction.Status.REJECTED}:
        status = InboxMessage.Status.REJECTED
        reason = f"every transaction set was rejected; first: {rejected[0]['reason']}"
    else:
        status = InboxMessage.Status.PARTIAL
        first = rejected[0]["reason"] if rejected else file_errors[0]["message"]
        reason = f"{len(rejected)} of {len(sets)} transaction set(s) rejected; first: {first}"
    errors = file_errors + [
        {**e, "transaction_set": f"{s['set']} {s['control_number']}"} for s in rejected for e in s["errors"]
    ]
    summary = {
        "sets": sets,
        "acknowledgements": message.edi_documents.filter(transaction_set_id="997").count(),
        "notes": notes,
    }
    return Outcome(
        status=status, summary=summary, reason=reason, errors=errors, issues=issues, item_location_ids=touched
    )


def _apply_set(ts: TransactionSet, ctx: EdiContext, interchange: Interchange) -> dict:
    key = {
        "partner": ctx.partner,
        "interchange_control_number": interchange.control_number,
        "group_control_number": ts.group_control_number,
        "control_number": ts.control_number,
    }
    record = {
        "set": ts.transaction_set_id,
        "control_number": ts.control_number,
        "group": ts.group_control_number,
        "interchange": interchange.control_number,
    }
    done = EdiTransaction.objects.filter(**key).first()
    if done is not None and done.status == EdiTransaction.Status.APPLIED:
        return {
            **record,
            "status": EdiTransaction.Status.APPLIED,
            "reason": "already applied before",
            "summary": done.summary,
            "errors": [],
        }
    status, reason, errors, summary = EdiTransaction.Status.APPLIED, "", [], {}
    if not ts.is_accepted:
        own = [e for e in ts.errors if e.is_error]
        enclosing = list(ts.envelope_errors)
        problems = own + enclosing or list(ts.errors)
        status = EdiTransaction.Status.REJECTED
        reason = problems[0].message if problems else "the transaction set could not be read"
        if not own and enclosing:
            reason = f"its envelope is broken: {enclosing[0].message}"
        errors = [_error_dict(e) for e in problems]
    else:
        applier = APPLIERS.get(ts.transaction_set_id)
        if applier is None:
            status, reason = (
                EdiTransaction.Status.IGNORED,
                IGNORED_REASONS.get(
                    ts.transaction_set_id, f"{ts.transaction_set_id} documents are not applied"
                ),
            )
        else:
            try:
                with transaction.atomic():
                    summary = applier(ts.document, ctx)
            except Rejected as rejection:
                status, reason = EdiTransaction.Status.REJECTED, rejection.reason
                errors = rejection.errors or [{"message": rejection.reason}]
                ctx.issues += rejection.issues
                ctx.item_location_ids.clear()
    warnings = [_error_dict(e) for e in ts.errors if not e.is_error]
    if warnings:
        summary = {**summary, "warnings": warnings}
    EdiTransaction.objects.update_or_create(
        **key,
        defaults={
            "message": ctx.message,
            "transaction_set_id": ts.transaction_set_id,
            "status": status,
            "reason": reason,
            "errors": errors,
            "summary": summary,
        },
    )
    return {**record, "status": status, "reason": reason, "summary": summary, "errors": errors}


IGNORED_REASONS = {
    "850": "purchase orders are sent by us, not received: nothing to apply",
}


# -- the service -----------------------------------------------------------------------------------------------


def edi_ingest(*, data: bytes | str, filename: str = "", actor=None) -> InboxMessage:
    """Receive an EDI file through the inbox (a resent interchange is a replay) and apply what it holds."""
    raw = data.encode("utf-8") if isinstance(data, str) else data
    try:
        text, encoding = raw.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        text, encoding = raw.decode("latin-1"), "latin-1"
    result = parse_x12(raw)
    if result.interchanges:
        external_id = "+".join(
            f"{ic.sender_qualifier}:{ic.sender_id}:{ic.control_number}" for ic in result.interchanges
        )[:200]
    else:
        external_id = f"sha256:{hashlib.sha256(raw).hexdigest()}"
    message, _processed = inbox_ingest(
        source=EDI_SOURCE,
        external_id=external_id,
        kind="edi.x12",
        payload=text,
        meta={"filename": filename, "encoding": encoding, "bytes": len(raw)},
        actor=actor,
    )
    return message
