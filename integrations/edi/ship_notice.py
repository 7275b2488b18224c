"""856 advance ship notice parser, with HL hierarchy checks."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from .common import PartyReader, header_segment, pseudo_segment, read_count, read_dtm, read_po4, read_ref
from .documents import Asn, AsnLine, AsnOrder, AsnPackage, PackInfo
from .elements import Segment, SetReader
from .errors import AK304_DATA_ELEMENT_ERRORS, AK304_UNEXPECTED_SEGMENT, AK403_INVALID_CODE, ErrorCode

HL_LEVELS = {"S": "shipment", "O": "order", "T": "tare", "P": "pack", "I": "item"}
# level -> levels allowed as its parent
ALLOWED_PARENTS: dict[str, frozenset[str]] = {
    "S": frozenset(),
    "O": frozenset({"S"}),
    "T": frozenset({"S", "O"}),
    "P": frozenset({"S", "O", "T"}),
    "I": frozenset({"O", "P", "T"}),
}
# BSN05 0002 = Shipment, Order, Item, Packaging: packs hang under items
STRUCTURE_SOIP = "0002"
# DTM qualifiers for the expected arrival, by preference: estimated delivery, current schedule delivery, arrival
EXPECTED_ARRIVAL_QUALIFIERS = ("017", "067", "371")


@dataclass
class _Node:
    hl: Segment
    hl_id: str
    parent_id: str | None
    level: str | None
    segments: list[Segment] = field(default_factory=list)

    def first(self, segment_id: str) -> Segment | None:
        return next((s for s in self.segments if s.id == segment_id), None)


def _hl_error(r: SetReader, code: ErrorCode, hl: Segment, n: int, detail: str) -> None:
    r.element_error(code, hl, n, detail, AK403_INVALID_CODE)


def _read_hierarchy(segments: list[Segment], r: SetReader, structure: str | None) -> list[_Node]:
    nodes: list[_Node] = []
    by_id: dict[str, _Node] = {}
    for hl in segments:
        expected = str(len(nodes) + 1)
        hl_id = r.text(hl, 1, required=True) or expected
        if hl.get(1) and (not hl_id.isdigit() or hl_id != expected):
            _hl_error(
                r,
                ErrorCode.HL_SEQUENCE,
                hl,
                1,
                f"HL01 is '{hl_id}' but hierarchical ids must run 1, 2, 3 ... in order: expected '{expected}'",
            )
        parent_id = hl.get(2) or None
        level = r.text(hl, 3, required=True)
        if level is not None and level not in HL_LEVELS:
            _hl_error(
                r,
                ErrorCode.HL_LEVEL_INVALID,
                hl,
                3,
                f"'{level}' is not a supported hierarchical level code (S shipment, O order, T tare, P pack, I item)",
            )
            level = None
        if not nodes and level is not None and level != "S":
            _hl_error(
                r, ErrorCode.HL_LEVEL_ORDER, hl, 3, f"the first HL must be at shipment level S, not {level}"
            )
        if parent_id is None:
            if nodes:
                _hl_error(
                    r,
                    ErrorCode.HL_LEVEL_ORDER,
                    hl,
                    2,
                    "HL02 (parent) is empty: only the first HL, at shipment level S, may be without a parent",
                )
        elif parent_id not in by_id:
            _hl_error(
                r,
                ErrorCode.HL_PARENT_UNKNOWN,
                hl,
                2,
                f"HL02 parent '{parent_id}' is not the id of an HL that appears before this one",
            )
        else:
            parent = by_id[parent_id]
            allowed = ALLOWED_PARENTS.get(level or "", frozenset())
            if level == "P" and structure == STRUCTURE_SOIP:
                allowed = allowed | {"I"}
            if level is not None and parent.level is not None and parent.level not in allowed:
                _hl_error(
                    r,
                    ErrorCode.HL_LEVEL_ORDER,
                    hl,
                    3,
                    f"a {HL_LEVELS[level]} level ({level}) HL cannot be under HL {parent_id}, which is at "
                    f"{HL_LEVELS[parent.level]} level ({parent.level}); allowed parent levels: "
                    f"{', '.join(sorted(allowed)) or 'none'}",
                )
        node = _Node(hl, hl_id, parent_id, level)
        nodes.append(node)
        by_id.setdefault(hl_id, node)
    return nodes


def _single(node: _Node, segment_id: str, r: SetReader, *, required: bool, what: str) -> Segment | None:
    found = [s for s in node.segments if s.id == segment_id]
    if not found:
        if required:
            r.missing_segment(
                pseudo_segment(segment_id, node.hl, after=True),
                f"the {what} level HL {node.hl_id} (segment {node.hl.position} of the file) has no {segment_id} "
                f"segment",
            )
        return None
    for extra in found[1:]:
        r.scope.report(
            ErrorCode.SEGMENT_UNEXPECTED,
            f"a second {segment_id} in the {what} level HL {node.hl_id} (only one is allowed)",
            segment=extra,
            segment_syntax_code=AK304_UNEXPECTED_SEGMENT,
        )
    return found[0]


def _marks(node: _Node, r: SetReader) -> dict[str, str]:
    marks: dict[str, str] = {}
    for man in (s for s in node.segments if s.id == "MAN"):
        qualifier = r.text(man, 1, required=True)
        value = r.text(man, 2, required=True)
        if qualifier is not None and value is not None:
            marks.setdefault(qualifier, value)
    return marks


@dataclass
class _Body:
    """The set's body cut at the HL segments: header segments, the segments of each HL, the CTT."""

    header: list[Segment] = field(default_factory=list)
    hl_segments: list[Segment] = field(default_factory=list)
    node_segments: list[list[Segment]] = field(default_factory=list)
    ctt: Segment | None = None


def _split(body: list[Segment]) -> _Body:
    cut = _Body()
    for segment in body[1:]:
        if segment.id == "HL":
            cut.hl_segments.append(segment)
            cut.node_segments.append([])
        elif segment.id == "CTT":
            cut.ctt = segment
        elif cut.ctt is not None:
            continue  # summary area: nothing we use
        elif cut.node_segments:
            cut.node_segments[-1].append(segment)
        else:
            cut.header.append(segment)
    return cut


@dataclass
class _Shipment:
    """What the shipment level says: dates, references, parties, TD1 and TD5."""

    dates: dict[str, date] = field(default_factory=dict)
    references: dict[str, str] = field(default_factory=dict)
    td1: Segment | None = None
    td5: Segment | None = None


def _read_shipment(segments: list[Segment], r: SetReader, parties: PartyReader) -> _Shipment:
    shipment = _Shipment()
    for segment in segments:
        if parties.feed(segment):
            continue
        if segment.id == "DTM":
            read_dtm(segment, r, shipment.dates)
        elif segment.id == "REF":
            read_ref(segment, r, shipment.references)
        elif segment.id == "TD1" and shipment.td1 is None:
            shipment.td1 = segment
        elif segment.id == "TD5" and shipment.td5 is None:
            shipment.td5 = segment
    return shipment


def _read_order(node: _Node, r: SetReader) -> AsnOrder:
    prf = _single(node, "PRF", r, required=True, what="order")
    order_refs: dict[str, str] = {}
    for ref in (s for s in node.segments if s.id == "REF"):
        read_ref(ref, r, order_refs)
    po_number = r.text(prf, 1, required=True) if prf is not None else None
    po_date = r.date(prf, 4) if prf is not None else None
    return AsnOrder(
        po_number=po_number or "", po_date=po_date, hl_id=node.hl_id, lines=[], references=order_refs
    )


def _read_package(node: _Node, r: SetReader) -> AsnPackage:
    po4 = node.first("PO4")
    return AsnPackage(
        hl_id=node.hl_id,
        level=node.level or "",
        parent_hl_id=node.parent_id or "",
        marks=_marks(node, r),
        pack=read_po4(po4, r) if po4 is not None else None,
    )


def _attach_item(node: _Node, by_id: dict[str, _Node], orders: dict[str, AsnOrder], r: SetReader) -> None:
    line = _read_item(node, by_id, r)
    order_node = _ancestor(node, by_id, "O")
    if order_node is None:
        r.scope.report(
            ErrorCode.ASN_ITEM_WITHOUT_ORDER,
            f"the item level HL {node.hl_id} is not under any order level (O) HL, so its purchase "
            f"order is unknown",
            segment=node.hl,
            segment_syntax_code=AK304_DATA_ELEMENT_ERRORS,
        )
        return
    if order_node.hl_id in orders and line is not None:
        orders[order_node.hl_id].lines.append(line)


def _read_levels(nodes: list[_Node], r: SetReader) -> tuple[dict[str, AsnOrder], list[AsnPackage]]:
    by_id = {node.hl_id: node for node in nodes}
    orders: dict[str, AsnOrder] = {}
    packages: list[AsnPackage] = []
    for node in nodes:
        if node.level == "O":
            orders[node.hl_id] = _read_order(node, r)
        elif node.level in ("P", "T"):
            packages.append(_read_package(node, r))
        elif node.level == "I":
            _attach_item(node, by_id, orders, r)
    return orders, packages


def _td(segment: Segment | None, r: SetReader, n: int) -> str | None:
    return r.text(segment, n) if segment is not None else None


def parse_856(body: list[Segment], r: SetReader) -> Asn | None:
    bsn = header_segment(body, "BSN", r)
    if bsn is None:
        return None
    purpose = r.text(bsn, 1, required=True)
    shipment_id = r.text(bsn, 2, required=True)
    document_date = r.date(bsn, 3, required=True)
    document_time = r.time(bsn, 4, required=True)
    structure = r.text(bsn, 5)

    cut = _split(body)
    if not cut.hl_segments:
        r.missing_segment(pseudo_segment("HL", bsn, after=True), "the ship notice has no HL segment")
        return None
    nodes = _read_hierarchy(cut.hl_segments, r, structure)
    for node, segments in zip(nodes, cut.node_segments, strict=True):
        node.segments = segments

    parties = PartyReader(r)
    shipment = _read_shipment(cut.header + (nodes[0].segments if nodes[0].level == "S" else []), r, parties)
    orders, packages = _read_levels(nodes, r)
    declared = read_count(cut.ctt, r) if cut.ctt is not None else None
    if r.scope.has_errors:
        return None
    dates, td1, td5 = shipment.dates, shipment.td1, shipment.td5
    return Asn(
        purpose=purpose or "",
        shipment_id=shipment_id or "",
        document_date=document_date,  # type: ignore[arg-type]  # checked: no errors
        document_time=document_time,
        hierarchical_structure=structure,
        ship_date=dates.get("011"),
        expected_arrival=next((dates[q] for q in EXPECTED_ARRIVAL_QUALIFIERS if q in dates), None),
        dates=dates,
        carrier=_td(td5, r, 3),
        carrier_qualifier=_td(td5, r, 2),
        transport_method=_td(td5, r, 4),
        routing=_td(td5, r, 5),
        bill_of_lading=shipment.references.get("BM"),
        references=shipment.references,
        lading_quantity=r.decimal(td1, 2, what="lading quantity") if td1 is not None else None,
        packaging_code=_td(td1, r, 1),
        gross_weight=r.decimal(td1, 7, what="weight") if td1 is not None else None,
        weight_uom=_td(td1, r, 8),
        parties=parties.build(),
        orders=list(orders.values()),
        packages=packages,
        declared_count=declared,
    )


def _ancestor(node: _Node, by_id: dict[str, _Node], level: str) -> _Node | None:
    seen: set[str] = set()
    current: _Node | None = node
    while current is not None and current.hl_id not in seen:
        if current.level == level:
            return current
        seen.add(current.hl_id)
        current = by_id.get(current.parent_id) if current.parent_id else None
    return None


def _nearest_sscc(node: _Node, by_id: dict[str, _Node]) -> str | None:
    seen: set[str] = set()
    current: _Node | None = node
    while current is not None and current.hl_id not in seen:
        for man in (s for s in current.segments if s.id == "MAN"):
            if man.get(1) == "GM" and man.get(2):
                return man.get(2)
        seen.add(current.hl_id)
        current = by_id.get(current.parent_id) if current.parent_id else None
    return None


def _read_item(node: _Node, by_id: dict[str, _Node], r: SetReader) -> AsnLine | None:
    lin = _single(node, "LIN", r, required=True, what="item")
    sn1 = _single(node, "SN1", r, required=True, what="item")
    if lin is None or sn1 is None:
        return None
    parts = r.qualified_ids(lin, 2, 30)
    if not parts and not lin.get(2) and not lin.get(3):
        r.text(lin, 2, required=True)  # reports the missing product id
    quantity: Decimal | None = r.decimal(sn1, 2, required=True, what="quantity shipped")
    uom = r.text(sn1, 3, required=True)
    po4 = node.first("PO4")
    pack: PackInfo | None = read_po4(po4, r) if po4 is not None else None
    pid = next((s for s in node.segments if s.id == "PID" and s.get(1) == "F"), None)
    item_dates: dict[str, date] = {}
    for dtm in (s for s in node.segments if s.id == "DTM"):
        read_dtm(dtm, r, item_dates)
    if quantity is None or uom is None:
        return None
    return AsnLine(
        line_ref=r.text(lin, 1),
        part_numbers=parts,
        quantity=quantity,
        uom=uom,
        hl_id=node.hl_id,
        sscc=_nearest_sscc(node, by_id),
        pack=pack,
        description=r.text(pid, 5) if pid is not None else None,
        dates=item_dates,
    )
