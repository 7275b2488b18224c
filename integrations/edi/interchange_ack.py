"""TA1 interchange acknowledgement: the answer about an interchange envelope (ISA/IEA), which a 997 cannot give.

    TA1*<ISA13>*<ISA09>*<ISA10>*<A|E|R>*<note code>

TA104: A accepted, E accepted with errors noted (warnings only), R rejected (nothing in the interchange was
applied). TA105 is the X12 interchange note code of the first problem (000 when there is none). The TA1 travels
alone in an interchange of its own (ISA, TA1, IEA with IEA01 = 0 groups).
"""

from __future__ import annotations

from datetime import datetime

from .errors import EdiError, ErrorCode
from .generate import Envelope, _isa
from .results import Interchange

# X12 TA105 interchange note codes (004010)
TA105_NO_ERROR = "000"
TA105_CONTROL_NUMBER_MISMATCH = "001"
TA105_INVALID_DATE = "014"
TA105_INVALID_TIME = "015"
TA105_INVALID_VERSION = "017"
TA105_INVALID_CONTROL_NUMBER = "018"
TA105_INVALID_ACK_REQUESTED = "019"
TA105_INVALID_TEST_INDICATOR = "020"
TA105_INVALID_GROUP_COUNT = "021"
TA105_PREMATURE_END = "023"
TA105_INVALID_CONTENT = "024"
TA105_DUPLICATE_CONTROL_NUMBER = "025"

_BY_CODE = {
    ErrorCode.IEA02_MISMATCH: TA105_CONTROL_NUMBER_MISMATCH,
    ErrorCode.IEA01_MISMATCH: TA105_INVALID_GROUP_COUNT,
    ErrorCode.IEA_MISSING: TA105_PREMATURE_END,
    ErrorCode.SEGMENT_OUTSIDE_GROUP: TA105_INVALID_CONTENT,
}
_BY_ISA_ELEMENT = {
    9: TA105_INVALID_DATE,
    10: TA105_INVALID_TIME,
    12: TA105_INVALID_VERSION,
    13: TA105_INVALID_CONTROL_NUMBER,
    14: TA105_INVALID_ACK_REQUESTED,
    15: TA105_INVALID_TEST_INDICATOR,
}


def note_code(error: EdiError) -> str:
    """The TA105 code for one interchange-level problem (024, invalid interchange content, by default)."""
    if error.code is ErrorCode.ISA_ELEMENT_INVALID and error.element_position in _BY_ISA_ELEMENT:
        return _BY_ISA_ELEMENT[error.element_position]
    return _BY_CODE.get(error.code, TA105_INVALID_CONTENT)


def ta1_verdict(interchange: Interchange, *, duplicate: bool = False) -> tuple[str, str]:
    """(TA104, TA105) for an interchange; `duplicate` when its ISA13 was already used for other content."""
    if duplicate:
        return "R", TA105_DUPLICATE_CONTROL_NUMBER
    errors = [e for e in interchange.errors if e.is_error]
    if errors:
        return "R", note_code(errors[0])
    warnings = list(interchange.errors)
    if warnings:
        return "E", note_code(warnings[0])
    return "A", TA105_NO_ERROR


def ta1_envelope(
    interchange: Interchange, *, interchange_control_number: int, created_at: datetime
) -> Envelope:
    """The envelope of a TA1 answering `interchange`: sender and receiver swapped, same usage indicator."""
    return Envelope(
        sender_qualifier=interchange.receiver_qualifier,
        sender_id=interchange.receiver_id,
        receiver_qualifier=interchange.sender_qualifier,
        receiver_id=interchange.sender_id,
        interchange_control_number=interchange_control_number,
        group_control_number=interchange_control_number,  # no group: unused
        transaction_set_control_number=interchange_control_number,  # no set: unused
        created_at=created_at,
        usage_indicator=interchange.usage_indicator if interchange.usage_indicator in ("P", "T") else "T",
    )


def generate_ta1(interchange: Interchange, envelope: Envelope, *, duplicate: bool = False) -> str:
    """The TA1 for `interchange`, in an interchange of its own."""
    status, code = ta1_verdict(interchange, duplicate=duplicate)
    writer, icn = _isa(envelope)
    writer.add("TA1", interchange.control_number, interchange.date_text, interchange.time_text, status, code)
    writer.add("IEA", "0", f"{icn:09d}")
    return writer.render(envelope.line_break)
