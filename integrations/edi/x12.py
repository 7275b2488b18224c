"""Public entry point of the X12 layer: `parse_x12` and the generators.

    result = parse_x12(path.read_bytes())
    for ts in result.transaction_sets:
        if ts.is_accepted:
            ...  # ts.document is an Asn, PurchaseOrder, PurchaseOrderAcknowledgement, InventoryAdvice, ...
        else:
            ...  # ts.errors (+ ts.envelope_errors): EdiError with code, message and location
    ack = generate_997(result.groups[0], reply_envelope(...))

Pure Python (stdlib only); the Django side applies the documents to the database.
"""

from __future__ import annotations

from collections.abc import Mapping

from .envelope import ContentParser, parse_envelopes
from .functional_ack import parse_997
from .generate import (
    Envelope,
    OutboundPurchaseOrder,
    OutboundPurchaseOrderLine,
    generate_850,
    generate_997,
    reply_envelope,
)
from .inventory import parse_846
from .orders import parse_850, parse_855
from .results import FunctionalGroup, Interchange, ParseResult, SetStatus, TransactionSet
from .ship_notice import parse_856

PARSERS: Mapping[str, ContentParser] = {
    "846": parse_846,
    "850": parse_850,
    "855": parse_855,
    "856": parse_856,
    "997": parse_997,
}


def parse_x12(data: str | bytes, *, encoding: str = "utf-8") -> ParseResult:
    """Parse every interchange in `data`; never raises on bad input (problems are `EdiError`s in the result)."""
    return parse_envelopes(data, PARSERS, encoding=encoding)


__all__ = [
    "PARSERS",
    "Envelope",
    "FunctionalGroup",
    "Interchange",
    "OutboundPurchaseOrder",
    "OutboundPurchaseOrderLine",
    "ParseResult",
    "SetStatus",
    "TransactionSet",
    "generate_850",
    "generate_997",
    "parse_x12",
    "reply_envelope",
]
