"""Business documents read from (and written to) X12: plain dataclasses, no Django.

Quantities, prices and amounts are `Decimal`; dates are `datetime.date`. Part numbers are keyed by their X12
product/service ID qualifier (BP buyer's part, VP vendor's part, VN vendor's item, UP UPC, IN buyer's item,
SK SKU, EN EAN, UA UPC case code, CB buyer's catalog ...), exactly as sent.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, time
from decimal import Decimal


@dataclass(frozen=True)
class Party:  # N1 loop
    entity_code: str  # N101: ST ship to, BT bill to, BY buyer, VN vendor, SU supplier, SF ship from ...
    name: str | None  # N102
    id_qualifier: str | None  # N103
    id: str | None  # N104
    extra_names: list[str] = field(default_factory=list)  # N2
    address_lines: list[str] = field(default_factory=list)  # N3
    city: str | None = None  # N401
    state: str | None = None  # N402
    postal_code: str | None = None  # N403
    country: str | None = None  # N404


@dataclass(frozen=True)
class PackInfo:  # PO4
    pack: Decimal | None  # PO401 inner units per outer pack
    size: Decimal | None  # PO402
    uom: str | None  # PO403
    packaging_code: str | None  # PO404
    gross_weight: Decimal | None  # PO406
    weight_uom: str | None  # PO407


# -- 850 purchase order ------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class PurchaseOrderLine:
    line_ref: str | None  # PO101
    quantity: Decimal  # PO102
    uom: str  # PO103
    unit_price: Decimal | None  # PO104
    price_basis: str | None  # PO105
    part_numbers: dict[str, str]  # PO106/PO107 ...
    description: str | None = None  # PID05
    dates: dict[str, date] = field(default_factory=dict)  # line DTM by qualifier (002 requested delivery ...)
    pack: PackInfo | None = None

    @property
    def requested_delivery(self) -> date | None:
        return self.dates.get("002")


@dataclass(frozen=True)
class PurchaseOrder:
    purpose: str  # BEG01: 00 original, 01 cancellation, 05 replace ...
    order_type: str  # BEG02: SA stand-alone, NE new order, RL release ...
    po_number: str  # BEG03
    release_number: str | None  # BEG04
    po_date: date  # BEG05
    dates: dict[str, date]  # header DTM by qualifier
    references: dict[str, str]  # header REF by qualifier
    parties: list[Party]
    lines: list[PurchaseOrderLine]
    amounts: dict[str, Decimal]  # AMT by qualifier
    declared_line_count: int | None  # CTT01

    @property
    def requested_delivery(self) -> date | None:
        return self.dates.get("002")


# -- 855 purchase order acknowledgement --------------------------------------------------------------------------
@dataclass(frozen=True)
class LineAcknowledgement:  # ACK
    status: str  # ACK01: IA accepted, IC changed, IR rejected, IB backordered, DR date rescheduled ...
    quantity: Decimal | None  # ACK02
    uom: str | None  # ACK03
    date_qualifier: str | None  # ACK04: 067 current schedule delivery, 068 current schedule ship ...
    date: date | None  # ACK05


@dataclass(frozen=True)
class AcknowledgedLine:
    line_ref: str | None  # PO101
    quantity_ordered: Decimal  # PO102
    uom: str  # PO103
    unit_price: Decimal | None  # PO104
    part_numbers: dict[str, str]
    acknowledgements: list[LineAcknowledgement]
    dates: dict[str, date] = field(default_factory=dict)

    @property
    def status(self) -> str | None:
        return self.acknowledgements[0].status if self.acknowledgements else None

    @property
    def new_date(self) -> date | None:
        for ack in self.acknowledgements:
            if ack.date is not None:
                return ack.date
        return None


@dataclass(frozen=True)
class PurchaseOrderAcknowledgement:
    purpose: str  # BAK01
    acknowledgment_type: str  # BAK02: AC, AD, AE, AK, AP, RD, RJ ...
    po_number: str  # BAK03
    po_date: date  # BAK04
    release_number: str | None  # BAK05
    seller_order_number: str | None  # BAK08
    acknowledgment_date: date | None  # BAK09
    dates: dict[str, date]  # header DTM (067 current schedule delivery, 068 current schedule ship ...)
    references: dict[str, str]
    parties: list[Party]
    lines: list[AcknowledgedLine]
    declared_line_count: int | None


# -- 856 advance ship notice -------------------------------------------------------------------------------------
@dataclass(frozen=True)
class AsnLine:  # HL level I
    line_ref: str | None  # LIN01
    part_numbers: dict[str, str]  # LIN02/LIN03 ...
    quantity: Decimal  # SN102
    uom: str  # SN103
    hl_id: str
    sscc: str | None = None  # MAN*GM of the item or its nearest package
    pack: PackInfo | None = None  # PO4 at item level
    description: str | None = None
    dates: dict[str, date] = field(default_factory=dict)


@dataclass(frozen=True)
class AsnOrder:  # HL level O
    po_number: str  # PRF01
    po_date: date | None  # PRF04
    hl_id: str
    lines: list[AsnLine]
    references: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class AsnPackage:  # HL level T (tare/pallet) or P (pack/carton)
    hl_id: str
    level: str  # "T" or "P"
    parent_hl_id: str
    marks: dict[str, str]  # MAN01 qualifier -> MAN02 (GM = SSCC-18 with application identifier)
    pack: PackInfo | None

    @property
    def sscc(self) -> str | None:
        return self.marks.get("GM")


@dataclass(frozen=True)
class Asn:
    purpose: str  # BSN01
    shipment_id: str  # BSN02
    document_date: date  # BSN03
    document_time: time | None  # BSN04
    hierarchical_structure: str | None  # BSN05: 0001 S/O/P/I, 0002 S/O/I/P, 0004 S/O/I ...
    ship_date: date | None  # DTM*011
    expected_arrival: date | None  # DTM*017, else 067, else 371
    dates: dict[str, date]  # all shipment-level DTMs by qualifier
    carrier: str | None  # TD503 (SCAC when TD502 = 2)
    carrier_qualifier: str | None  # TD502
    transport_method: str | None  # TD504
    routing: str | None  # TD505
    bill_of_lading: str | None  # REF*BM
    references: dict[str, str]  # shipment-level REF by qualifier
    lading_quantity: Decimal | None  # TD102
    packaging_code: str | None  # TD101
    gross_weight: Decimal | None  # TD107
    weight_uom: str | None  # TD108
    parties: list[Party]
    orders: list[AsnOrder]
    packages: list[AsnPackage]
    declared_count: int | None  # CTT01 (senders disagree whether it counts HL or LIN segments)

    @property
    def lines(self) -> list[AsnLine]:
        return [line for order in self.orders for line in order.lines]


# -- 846 inventory inquiry/advice --------------------------------------------------------------------------------
@dataclass(frozen=True)
class InventoryRecord:  # one LIN + QTY pair
    line_ref: str | None  # LIN01
    part_numbers: dict[str, str]
    quantity_qualifier: str  # QTY01: 33 available, 17 on hand, 02 cumulative ...
    quantity: Decimal  # QTY02
    uom: str | None  # QTY03 (first component)
    date_qualifier: str | None  # DTM01 within the LIN loop
    date: date | None  # DTM02 within the LIN loop


@dataclass(frozen=True)
class InventoryAdvice:
    purpose: str  # BIA01
    report_type: str  # BIA02: DD distributor inventory report, MM ...
    reference: str  # BIA03
    report_date: date  # BIA04
    report_time: time | None  # BIA05
    dates: dict[str, date]
    parties: list[Party]
    records: list[InventoryRecord]
    declared_line_count: int | None  # CTT01


# -- 997 functional acknowledgement ------------------------------------------------------------------------------
@dataclass(frozen=True)
class ElementNote:  # AK4
    position: int  # AK401-1
    component_position: int | None  # AK401-2
    reference_number: str | None  # AK402
    error_code: str  # AK403
    bad_value: str | None  # AK404


@dataclass(frozen=True)
class SegmentNote:  # AK3
    segment_id: str  # AK301
    position: int  # AK302, position in the transaction set
    loop_id: str | None  # AK303
    error_code: str | None  # AK304
    elements: list[ElementNote]


@dataclass(frozen=True)
class SetAcknowledgement:  # AK2 loop
    transaction_set_id: str  # AK201
    control_number: str  # AK202
    status: str  # AK501: A, E, R (also M, W, X)
    error_codes: list[str]  # AK502..AK506
    segment_notes: list[SegmentNote]


@dataclass(frozen=True)
class FunctionalAcknowledgement:
    functional_id_code: str  # AK101
    group_control_number: str  # AK102
    sets: list[SetAcknowledgement]
    group_status: str  # AK901: A, E, P, R
    sets_included: int  # AK902
    sets_received: int  # AK903
    sets_accepted: int  # AK904
    group_error_codes: list[str]  # AK905..AK909
