"""Inbound EDI X12 applied to the network: 856 -> shipments, 855 -> PO line acknowledgements, 846 -> supplier
availability, 997 -> status of the 850s we sent.

One inbox message per file (source "edi", external id = sender + ISA13: the identical file sent again is a replay;
other content under an ISA13 already received is a dead letter of its own, nothing applied or overwritten). Each
transaction set is applied on its own, all or nothing (a savepoint), and recorded as an `EdiTransaction` keyed by
partner and control numbers: a corrupt set is rejected with its segment-level errors while the other sets of the
file are still applied. A retry after a fix skips the sets already applied.

Acknowledgements tell what happened: a 997 per functional group, written after its sets were applied, says R for
every set that was not applied (its own errors, a broken group or interchange envelope, or refused by the
application), and a TA1 answers the interchange envelope when ISA14 asks for one (DISTOPS_EDI_TA1).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import Q

from replenish import models as m

from .edi import EdiError, ErrorCode
from .edi.x12 import Interchange, TransactionSet, parse_x12
from .edi_apply import EDI_SOURCE, EdiContext, apply_846, apply_856, apply_997
from .edi_apply_855 import apply_855
from .edi_outbound import acknowledge_group, acknowledge_interchange
from .files.guard import nul_in_edi
from .inbound import IssueSpec, Outcome, Rejected, register
from .inbox import inbox_ingest, payload_hash
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


# -- duplicates: the same ISA13 with other content ---------------------------------------------------------------


def _interchange_key(interchange: Interchange) -> str:
    return f"{interchange.sender_qualifier}:{interchange.sender_id}:{interchange.control_number}"


def _file_key(interchanges: tuple[Interchange, ...]) -> str:
    return "+".join(_interchange_key(ic) for ic in interchanges)[:200]


def _earlier_with_other_content(interchange: Interchange, message: InboxMessage) -> InboxMessage | None:
    """Another inbox message that already brought this sender's interchange control number with other content."""
    partner = f"{interchange.sender_qualifier}:{interchange.sender_id}"
    by_set = EdiTransaction.objects.filter(
        partner=partner, interchange_control_number=interchange.control_number
    ).values("message_id")
    return (
        InboxMessage.objects.filter(
            Q(pk__in=by_set) | Q(source=EDI_SOURCE, external_id=_interchange_key(interchange))
        )
        .exclude(pk=message.pk)
        .exclude(payload_hash=message.payload_hash)
        .order_by("received_at", "pk")
        .first()
    )


def _duplicate_outcome(message: InboxMessage, found: list[tuple[Interchange, InboxMessage]]) -> Outcome:
    """A changed file reusing control numbers: a dead letter naming sender and control number; nothing applied,
    the earlier message untouched (a TA1 with note 025, duplicate interchange control number, when asked for)."""
    errors = []
    notes = []
    for interchange, earlier in found:
        errors.append(
            {
                "code": DUPLICATE_CODE,
                "message": (
                    f"sender {interchange.sender_qualifier}:{interchange.sender_id} already sent interchange "
                    f"control number {interchange.control_number} (ISA13) with different content in inbox "
                    f"message {earlier.pk} ({earlier.status}, received "
                    f"{earlier.received_at:%Y-%m-%d %H:%M} UTC); a changed interchange needs a new control "
                    f"number. Nothing of this file was applied and the earlier message is unchanged"
                ),
                "segment": "ISA",
                "element": 13,
                "earlier_message": earlier.pk,
            }
        )
        ta1 = acknowledge_interchange(interchange=interchange, message=message, duplicate=True)
        if isinstance(ta1, str):
            notes.append(ta1)
    return Outcome(
        status=InboxMessage.Status.REJECTED,
        reason=f"duplicate control number: {errors[0]['message']}",
        errors=errors,
        summary={"sets": [], "acknowledgements": 0, "notes": notes, "duplicate_of": found[0][1].pk},
    )


DUPLICATE_CODE = "DUPLICATE_CONTROL_NUMBER"


# -- the inbox handler -----------------------------------------------------------------------------------------

# The segment that starts one line of a document, for naming the segment a refused line is at.
LINE_LOOP = {"855": "PO1", "846": "LIN", "850": "PO1"}


def _position_in_set(ts: TransactionSet, error: dict) -> int | None:
    """Where in the set (ST = 1) the segment an application error names is: after the HL it names, or in the
    n-th line loop, else the first segment with that id."""
    segment_id = error.get("segment")
    if not segment_id:
        return None
    segments = ts.segments
    start = 0
    if error.get("hl") is not None:
        start = next(
            (i for i, s in enumerate(segments) if s.id == "HL" and s.get(1) == str(error["hl"])),
            len(segments),
        )
    elif error.get("line") is not None and ts.transaction_set_id in LINE_LOOP:
        loop = LINE_LOOP[ts.transaction_set_id]
        starts = [i for i, s in enumerate(segments) if s.id == loop]
        n = int(error["line"])
        start = starts[n - 1] if 0 < n <= len(starts) else len(segments)
    return next((i + 1 for i in range(start, len(segments)) if segments[i].id == segment_id), None)


def _application_errors(ts: TransactionSet, record: dict) -> list[EdiError]:
    """What the application refused in a syntactically sound set, located for the 997's AK3."""
    found = []
    for error in record["errors"] or [{"message": record["reason"]}]:
        position = _position_in_set(ts, error)
        found.append(
            EdiError(
                code=ErrorCode.NOT_APPLIED,
                message=error.get("message", record["reason"]),
                transaction_set_control_number=ts.control_number,
                transaction_set_id=ts.transaction_set_id,
                segment_id=error.get("segment") if position is not None else None,
                segment_position_in_set=position,
            )
        )
    return found


@dataclass
class _Run:
    """One pass over a file: the sets applied, the acknowledgements written, what to report."""

    message: InboxMessage
    sets: list[dict] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    issues: list[IssueSpec] = field(default_factory=list)
    touched: set[int] = field(default_factory=set)

    def interchange(self, interchange: Interchange) -> None:
        partner = f"{interchange.sender_qualifier}:{interchange.sender_id}"
        supplier = _identify_supplier(interchange)
        for group in interchange.groups:
            refused: dict[str, list[EdiError]] = {}
            for ts in group.transaction_sets:
                ctx = EdiContext(
                    message=self.message, partner=partner, interchange=interchange, supplier=supplier
                )
                record = _apply_set(ts, ctx, interchange)
                self.sets.append(record)
                self.issues += ctx.issues
                self.touched |= ctx.item_location_ids
                if ts.is_accepted and record["status"] == EdiTransaction.Status.REJECTED:
                    refused[ts.control_number] = _application_errors(ts, record)
            ack = acknowledge_group(
                interchange=interchange, group=group, message=self.message, application_errors=refused
            )
            if isinstance(ack, str):
                self.notes.append(ack)
        ta1 = acknowledge_interchange(interchange=interchange, message=self.message)
        if isinstance(ta1, str):
            self.notes.append(ta1)

    def outcome(self, file_errors: list[dict]) -> Outcome:
        sets = self.sets
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
            {**e, "transaction_set": f"{s['set']} {s['control_number']}"}
            for s in rejected
            for e in s["errors"]
        ]
        documents = self.message.edi_documents
        summary = {
            "sets": sets,
            "acknowledgements": documents.filter(transaction_set_id="997").count(),
            "interchange_acknowledgements": documents.filter(transaction_set_id="TA1").count(),
            "notes": self.notes,
        }
        return Outcome(
            status=status,
            summary=summary,
            reason=reason,
            errors=errors,
            issues=self.issues,
            item_location_ids=self.touched,
        )


@register("edi.x12")
def handle_x12(message: InboxMessage, _context) -> Outcome:
    data = message.payload.encode("latin-1") if message.meta.get("encoding") == "latin-1" else message.payload
    result = parse_x12(data)
    file_errors = [_error_dict(e) for e in result.errors]
    if not result.interchanges:
        first = file_errors[0]["message"] if file_errors else "no interchange found"
        raise Rejected(f"the EDI file was rejected, nothing was applied: {first}", file_errors)
    duplicates = [
        (ic, earlier) for ic in result.interchanges if (earlier := _earlier_with_other_content(ic, message))
    ]
    if duplicates:
        return _duplicate_outcome(message, duplicates)
    run = _Run(message)
    for interchange in result.interchanges:
        run.interchange(interchange)
        file_errors += [_error_dict(e) for e in interchange.errors]
    return run.outcome(file_errors)


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


APPLIERS = {"856": apply_856, "855": apply_855, "846": apply_846, "997": apply_997}
IGNORED_REASONS = {
    "850": "purchase orders are sent by us, not received: nothing to apply",
}


# -- the service -----------------------------------------------------------------------------------------------


class EdiRefused(ValueError):
    """The file cannot be received at all (a NUL byte): nothing is stored, the reason names the segment."""


def edi_ingest(*, data: bytes | str, filename: str = "", actor=None) -> InboxMessage:
    """Receive an EDI file through the inbox and apply what it holds.

    Keyed by sender and ISA13: the identical file sent again is a replay (nothing changes). A file with other
    content under control numbers already received becomes a dead letter of its own (keyed by its content hash
    too, so sending it again is a replay of that dead letter); the earlier message is never overwritten."""
    raw = data.encode("utf-8") if isinstance(data, str) else data
    problem = nul_in_edi(raw)
    if problem:  # a NUL cannot be stored (PostgreSQL text) nor parsed: refused whole, naming where it is
        raise EdiRefused(problem)
    try:
        text, encoding = raw.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        text, encoding = raw.decode("latin-1"), "latin-1"
    result = parse_x12(raw)
    meta: dict = {"filename": filename, "encoding": encoding, "bytes": len(raw)}
    digest = payload_hash(text)
    if result.interchanges:
        external_id = _file_key(result.interchanges)
        earlier = (
            InboxMessage.objects.filter(source=EDI_SOURCE, external_id=external_id)
            .exclude(payload_hash=digest)
            .first()
        )
        if earlier is not None:
            external_id = f"{external_id[:183]}#{digest[:16]}"
            meta["same_control_numbers_as"] = earlier.pk
    else:
        external_id = f"sha256:{hashlib.sha256(raw).hexdigest()}"
    message, _processed = inbox_ingest(
        source=EDI_SOURCE, external_id=external_id, kind="edi.x12", payload=text, meta=meta, actor=actor
    )
    return message
