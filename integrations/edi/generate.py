"""Outbound X12: 850 purchase orders and 997 functional acknowledgements.

The caller passes every control number and the creation time (nothing here reads a clock or a sequence), so the
output is deterministic; storing and incrementing control numbers is the Django side's job.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from .documents import Party
from .elements import Delimiters
from .errors import AK502_SEGMENTS_IN_ERROR, EdiError, EdiGenerationError, ErrorCode
from .results import FunctionalGroup, Interchange, SetStatus, TransactionSet

MAX_CONTROL_NUMBER = 999_999_999
_NAMEABLE_SEGMENT_ID = re.compile(r"[A-Z0-9]{2,3}\Z")


@dataclass(frozen=True)
class Envelope:
    sender_qualifier: str  # ISA05, e.g. ZZ, 01 (DUNS), 12 (phone)
    sender_id: str  # ISA06, at most 15 characters
    receiver_qualifier: str  # ISA07
    receiver_id: str  # ISA08
    interchange_control_number: int  # ISA13 / IEA02
    group_control_number: int  # GS06 / GE02
    transaction_set_control_number: int  # ST02 / SE02 (written with at least 4 digits)
    created_at: datetime  # ISA09/ISA10 and GS04/GS05, written as given
    application_sender_code: str | None = None  # GS02, defaults to sender_id
    application_receiver_code: str | None = None  # GS03, defaults to receiver_id
    usage_indicator: str = "P"  # ISA15: P production, T test
    acknowledgment_requested: bool = False  # ISA14
    interchange_version: str = "00401"  # ISA12
    group_version: str = "004010"  # GS08
    delimiters: Delimiters = field(default_factory=Delimiters)
    line_break: str = "\n"  # written after each segment terminator; "" for a single line


@dataclass(frozen=True)
class OutboundPurchaseOrderLine:
    line_ref: str  # PO101
    quantity: Decimal  # PO102, > 0
    uom: str  # PO103, e.g. EA, CA
    unit_price: Decimal | None  # PO104
    buyer_part: str | None  # PO106/PO107 with buyer_part_qualifier
    vendor_part: str | None  # PO108/PO109 with vendor_part_qualifier
    requested_delivery: date | None = None  # DTM*002 in the PO1 loop
    price_basis: str | None = None  # PO105, e.g. PE price per each
    description: str | None = None  # PID*F****description
    buyer_part_qualifier: str = "BP"
    vendor_part_qualifier: str = "VP"


@dataclass(frozen=True)
class OutboundPurchaseOrder:
    po_number: str  # BEG03
    po_date: date  # BEG05
    lines: Sequence[OutboundPurchaseOrderLine]
    purpose: str = "00"  # BEG01 original
    order_type: str = "SA"  # BEG02 stand-alone order
    requested_delivery: date | None = None  # header DTM*002
    currency: str | None = None  # CUR*BY*<currency>
    parties: Sequence[Party] = ()  # N1/N3/N4 loops (ST ship-to, BY buyer, VN vendor ...)


# ---------------------------------------------------------------------------------------------------------------


def _number(value: Decimal | int, what: str) -> str:
    if isinstance(value, bool) or not isinstance(value, Decimal | int):
        raise EdiGenerationError(f"{what} must be a Decimal or an int, not {type(value).__name__}")
    decimal = Decimal(value)
    if not decimal.is_finite():
        raise EdiGenerationError(f"{what} must be a finite number, not {value}")
    text = format(decimal.normalize(), "f")
    return "0" if text in ("-0", "0") else text


def _date(value: date) -> str:
    return value.strftime("%Y%m%d")


class _Writer:
    def __init__(self, delimiters: Delimiters) -> None:
        chars = delimiters.all()
        if len(set(chars)) != len(chars) or any(len(c) != 1 or c.isalnum() or c == " " for c in chars):
            raise EdiGenerationError(
                f"delimiters must be distinct single non-alphanumeric characters: {chars}"
            )
        self.delimiters = delimiters
        self.segments: list[str] = []

    def add(self, segment_id: str, *elements: str | None, delimiter_elements: tuple[int, ...] = ()) -> None:
        """Append a segment; `delimiter_elements` (ISA11, ISA16) hold delimiters on purpose."""
        values = ["" if e is None else e for e in elements]
        for n, value in enumerate(values, start=1):
            if n in delimiter_elements:
                continue
            bad = [c for c in self.delimiters.all() if c in value] + [c for c in "\r\n" if c in value]
            if bad:
                raise EdiGenerationError(
                    f"{segment_id}{n:02d} '{value}' contains the character {bad[0]!r}, which is a delimiter "
                    f"or a line break and cannot appear in data"
                )
        while values and values[-1] == "":
            values.pop()
        self.segments.append(self.delimiters.element.join([segment_id, *values]))

    def render(self, line_break: str) -> str:
        return "".join(s + self.delimiters.segment + line_break for s in self.segments)


def _check_control(value: int, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_CONTROL_NUMBER:
        raise EdiGenerationError(f"{what} must be an integer from 1 to {MAX_CONTROL_NUMBER}, not {value!r}")
    return value


def _fixed(value: str, width: int, what: str) -> str:
    if not value or len(value) > width:
        raise EdiGenerationError(f"{what} '{value}' must have 1 to {width} characters")
    return value.ljust(width)


def _isa(envelope: Envelope) -> tuple[_Writer, int]:
    """A writer holding the ISA segment of `envelope`, and the interchange control number."""
    d = envelope.delimiters
    icn = _check_control(envelope.interchange_control_number, "interchange control number")
    version = envelope.interchange_version
    if not (len(version) == 5 and version.isdigit()):
        raise EdiGenerationError(f"interchange version '{version}' must be 5 digits (e.g. 00401)")
    if version >= "00402":
        if d.repetition is None:
            raise EdiGenerationError(f"interchange version {version} needs a repetition separator (ISA11)")
        isa11 = d.repetition
    else:
        if d.repetition is not None:
            raise EdiGenerationError(
                f"interchange version {version} has no repetition separator; ISA11 is 'U'"
            )
        isa11 = "U"
    if envelope.usage_indicator not in ("P", "T"):
        raise EdiGenerationError(f"usage indicator must be P or T, not '{envelope.usage_indicator}'")
    for what, qualifier in (("sender", envelope.sender_qualifier), ("receiver", envelope.receiver_qualifier)):
        if len(qualifier) != 2:
            raise EdiGenerationError(f"{what} qualifier '{qualifier}' must have 2 characters")
    created = envelope.created_at
    writer = _Writer(d)
    writer.add(
        "ISA",
        "00",
        " " * 10,
        "00",
        " " * 10,
        envelope.sender_qualifier,
        _fixed(envelope.sender_id, 15, "sender id"),
        envelope.receiver_qualifier,
        _fixed(envelope.receiver_id, 15, "receiver id"),
        created.strftime("%y%m%d"),
        created.strftime("%H%M"),
        isa11,
        version,
        f"{icn:09d}",
        "1" if envelope.acknowledgment_requested else "0",
        envelope.usage_indicator,
        d.component,
        delimiter_elements=(11, 16),
    )
    return writer, icn


def _interchange(
    envelope: Envelope, functional_id: str, body: list[tuple[str, tuple[str | None, ...]]]
) -> str:
    """ISA/GS/ST + body + SE/GE/IEA as text."""
    writer, icn = _isa(envelope)
    gcn = _check_control(envelope.group_control_number, "group control number")
    tcn = _check_control(envelope.transaction_set_control_number, "transaction set control number")
    created = envelope.created_at
    writer.add(
        "GS",
        functional_id,
        envelope.application_sender_code or envelope.sender_id,
        envelope.application_receiver_code or envelope.receiver_id,
        created.strftime("%Y%m%d"),
        created.strftime("%H%M"),
        str(gcn),
        "X",
        envelope.group_version,
    )
    control = f"{tcn:04d}"
    start = len(writer.segments)
    writer.add("ST", body[0][0], control)
    for segment_id, elements in body[1:]:
        writer.add(segment_id, *elements)
    writer.add("SE", str(len(writer.segments) - start + 1), control)
    writer.add("GE", "1", str(gcn))
    writer.add("IEA", "1", f"{icn:09d}")
    return writer.render(envelope.line_break)


def generate_850(order: OutboundPurchaseOrder, envelope: Envelope) -> str:
    """One interchange holding one functional group (PO) with one 850 transaction set."""
    if not order.po_number or len(order.po_number) > 22:
        raise EdiGenerationError(f"PO number '{order.po_number}' must have 1 to 22 characters")
    if not order.lines:
        raise EdiGenerationError(f"purchase order {order.po_number} has no lines")
    body: list[tuple[str, tuple[str | None, ...]]] = [("850", ())]
    body.append(("BEG", (order.purpose, order.order_type, order.po_number, None, _date(order.po_date))))
    if order.currency:
        body.append(("CUR", ("BY", order.currency)))
    if order.requested_delivery:
        body.append(("DTM", ("002", _date(order.requested_delivery))))
    for party in order.parties:
        body.append(("N1", (party.entity_code, party.name, party.id_qualifier, party.id)))
        if party.address_lines:
            body.append(("N3", tuple(party.address_lines[:2])))
        if party.city or party.state or party.postal_code or party.country:
            body.append(("N4", (party.city, party.state, party.postal_code, party.country)))
    for line in order.lines:
        where = f"purchase order {order.po_number} line {line.line_ref}"
        if line.quantity is None or Decimal(line.quantity) <= 0:
            raise EdiGenerationError(f"{where}: quantity must be positive, not {line.quantity}")
        if line.unit_price is not None and Decimal(line.unit_price) < 0:
            raise EdiGenerationError(f"{where}: unit price must not be negative, not {line.unit_price}")
        if not line.uom:
            raise EdiGenerationError(f"{where}: unit of measure is missing")
        ids: list[str | None] = []
        if line.buyer_part:
            ids += [line.buyer_part_qualifier, line.buyer_part]
        if line.vendor_part:
            ids += [line.vendor_part_qualifier, line.vendor_part]
        if not ids:
            raise EdiGenerationError(f"{where}: a line needs a buyer part or a vendor part number")
        price = _number(line.unit_price, f"{where} unit price") if line.unit_price is not None else None
        body.append(
            (
                "PO1",
                (
                    line.line_ref,
                    _number(line.quantity, f"{where} quantity"),
                    line.uom,
                    price,
                    line.price_basis if price is not None else None,
                    *ids,
                ),
            )
        )
        if line.description:
            body.append(("PID", ("F", None, None, None, line.description)))
        if line.requested_delivery:
            body.append(("DTM", ("002", _date(line.requested_delivery))))
    body.append(("CTT", (str(len(order.lines)),)))
    return _interchange(envelope, "PO", body)


# -- 997 ---------------------------------------------------------------------------------------------------------


def reply_envelope(
    interchange: Interchange,
    group: FunctionalGroup,
    *,
    interchange_control_number: int,
    group_control_number: int,
    transaction_set_control_number: int,
    created_at: datetime,
) -> Envelope:
    """Envelope for answering `group` (a 997): sender and receiver swapped, same usage indicator."""
    return Envelope(
        sender_qualifier=interchange.receiver_qualifier,
        sender_id=interchange.receiver_id,
        receiver_qualifier=interchange.sender_qualifier,
        receiver_id=interchange.sender_id,
        interchange_control_number=interchange_control_number,
        group_control_number=group_control_number,
        transaction_set_control_number=transaction_set_control_number,
        created_at=created_at,
        application_sender_code=group.application_receiver_code or None,
        application_receiver_code=group.application_sender_code or None,
        usage_indicator=interchange.usage_indicator if interchange.usage_indicator in ("P", "T") else "T",
    )


def _dedupe(codes: Sequence[str | None], limit: int) -> list[str]:
    seen: list[str] = []
    for code in codes:
        if code and code not in seen:
            seen.append(code)
    return seen[:limit]


def _safe(value: str | None, delimiters: Delimiters, limit: int = 99) -> str | None:
    if value is None or any(c in value for c in (*delimiters.all(), "\r", "\n")):
        return None
    return value[:limit]


def _set_errors(ts: TransactionSet, application_errors: Sequence[EdiError]) -> list[EdiError]:
    """What the 997 reports for one set: its own errors, then what the application refused in it."""
    return [*ts.errors, *application_errors]


def set_verdict(ts: TransactionSet, application_errors: Sequence[EdiError] = ()) -> SetStatus:
    """The set's verdict as the 997 reports it: rejected when the set itself, its functional group, its
    interchange envelope or the application refused it; accepted with errors for warnings only."""
    errors = _set_errors(ts, application_errors)
    if any(e.is_error for e in errors) or any(e.is_error for e in ts.envelope_errors):
        return SetStatus.REJECTED
    return SetStatus.ACCEPTED_WITH_ERRORS if errors else SetStatus.ACCEPTED


def _nameable(error: EdiError) -> bool:
    if error.segment_id is None or error.segment_position_in_set is None:
        return False
    if not _NAMEABLE_SEGMENT_ID.match(error.segment_id):
        return False  # an unreadable segment id cannot be named in AK301; AK5 code 5 still reports it
    # envelope problems (SE01, SE02 ...) are reported by AK5 codes, not by an AK3
    return error.segment_syntax_code is not None or not error.is_error or error.code is ErrorCode.NOT_APPLIED


def _set_loop(
    ts: TransactionSet, d: Delimiters, application_errors: Sequence[EdiError] = ()
) -> list[tuple[str, tuple[str | None, ...]]]:
    out: list[tuple[str, tuple[str | None, ...]]] = [("AK2", (ts.transaction_set_id, ts.control_number))]
    errors = _set_errors(ts, application_errors)
    noted: dict[tuple[str, int], list[EdiError]] = {}
    for error in errors:
        if _nameable(error):
            assert error.segment_id is not None and error.segment_position_in_set is not None
            noted.setdefault((error.segment_id, error.segment_position_in_set), []).append(error)
    for (segment_id, position), found in sorted(noted.items(), key=lambda item: item[0][1]):
        segment_code = next((e.segment_syntax_code for e in found if e.segment_syntax_code), None)
        out.append(("AK3", (segment_id, str(position), None, segment_code)))
        for error in found:
            if error.element_syntax_code is None or error.element_position is None:
                continue
            position_text = str(error.element_position)
            if error.component_position is not None:
                position_text += d.component + str(error.component_position)
            out.append(
                ("AK4", (position_text, None, error.element_syntax_code, _safe(error.element_value, d)))
            )
    status = set_verdict(ts, application_errors)
    if status is SetStatus.ACCEPTED:
        out.append(("AK5", ("A",)))
    else:
        codes = [e.set_syntax_code for e in errors if e.set_syntax_code]
        if noted and any(e.is_error for found in noted.values() for e in found):
            codes.append(AK502_SEGMENTS_IN_ERROR)
        letter = "R" if status is SetStatus.REJECTED else "E"
        out.append(("AK5", (letter, *_dedupe(codes, 5))))
    return out


def generate_997(
    group: FunctionalGroup,
    envelope: Envelope,
    *,
    application_errors: Mapping[str, Sequence[EdiError]] | None = None,
) -> str:
    """Functional acknowledgement of one received functional group.

    AK5 per transaction set: A accepted, E accepted with warnings, R rejected. A set is rejected for its own
    errors (AK3/AK4 name segments and elements where known, AK502 gives the codes), for an error of its group or
    interchange envelope (GE01/GE02, IEA01/IEA02 ...: nothing in it was applied), or because the application
    refused it (`application_errors`, by ST02: an unknown purchase order, an absurd quantity; AK3 names the
    segment, AK502 5). AK9: R when the group or interchange envelope is broken (then no set counts as accepted),
    otherwise A, E, P (some sets rejected) or R (all rejected). The interchange's own problems are named in a TA1.
    """
    d = envelope.delimiters
    refused = application_errors or {}
    if not group.functional_id_code or not group.control_number.isdigit():
        raise EdiGenerationError(
            f"functional group at segment {group.position} has GS01 '{group.functional_id_code}' and GS06 "
            f"'{group.control_number}': a 997 cannot identify it (answer the interchange with a TA1 instead)"
        )
    body: list[tuple[str, tuple[str | None, ...]]] = [("997", ())]
    body.append(("AK1", (group.functional_id_code, group.control_number)))
    for ts in group.transaction_sets:
        if ts.transaction_set_id and ts.control_number:
            body.extend(_set_loop(ts, d, refused.get(ts.control_number, ())))
        # a set without ST01/ST02 cannot be named in an AK2: it is only counted in AK9 (received, not accepted)
    received = len(group.transaction_sets)
    statuses = [set_verdict(ts, refused.get(ts.control_number, ())) for ts in group.transaction_sets]
    accepted = sum(1 for s in statuses if s is not SetStatus.REJECTED)
    group_errors = [e for e in group.errors if e.is_error]
    envelope_broken = group_errors or any(e.is_error for e in group.interchange_errors)
    if envelope_broken:
        group_status, accepted = "R", 0
    elif accepted == received and all(s is SetStatus.ACCEPTED for s in statuses):
        group_status = "A"
    elif accepted == received:
        group_status = "E"
    elif accepted == 0:
        group_status = "R"
    else:
        group_status = "P"
    included = group.declared_set_count if group.declared_set_count is not None else received
    group_codes = _dedupe([e.group_syntax_code for e in group_errors], 5)
    body.append(("AK9", (group_status, str(included), str(received), str(accepted), *group_codes)))
    return _interchange(envelope, "FA", body)
