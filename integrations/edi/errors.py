"""How the EDI layer reports problems.

The parser never raises on bad input: every problem becomes an `EdiError` attached to the file, the
interchange, the functional group or the transaction set it belongs to. An error carries where it happened
(control numbers, segment positions, element position), a stable machine-readable `code`, a sentence for
people (`message`), and the X12 997 codes the functional acknowledgement needs (AK304, AK403, AK502, AK905).

Generators do raise: `EdiGenerationError` (a `ValueError`) for data that cannot be written as valid X12.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Severity(StrEnum):
    ERROR = "error"  # the enclosing transaction set / group / interchange is rejected
    WARNING = "warning"  # reported (997 AK5 "E"), the data is still accepted


class ErrorCode(StrEnum):
    # file level
    EMPTY_FILE = "EMPTY_FILE"
    UNDECODABLE = "UNDECODABLE"
    ISA_MISSING = "ISA_MISSING"
    ISA_INVALID = "ISA_INVALID"
    DATA_AFTER_IEA = "DATA_AFTER_IEA"
    # interchange level
    ISA_ELEMENT_INVALID = "ISA_ELEMENT_INVALID"
    IEA_MISSING = "IEA_MISSING"
    IEA01_MISMATCH = "IEA01_MISMATCH"
    IEA02_MISMATCH = "IEA02_MISMATCH"
    SEGMENT_OUTSIDE_GROUP = "SEGMENT_OUTSIDE_GROUP"
    SEGMENT_UNTERMINATED = "SEGMENT_UNTERMINATED"
    # functional group level
    GS_ELEMENT_INVALID = "GS_ELEMENT_INVALID"
    GE_MISSING = "GE_MISSING"
    GE01_MISMATCH = "GE01_MISMATCH"
    GE02_MISMATCH = "GE02_MISMATCH"
    SEGMENT_OUTSIDE_SET = "SEGMENT_OUTSIDE_SET"
    # transaction set envelope
    SE_MISSING = "SE_MISSING"
    SE01_MISMATCH = "SE01_MISMATCH"
    SE02_MISMATCH = "SE02_MISMATCH"
    ST_ELEMENT_INVALID = "ST_ELEMENT_INVALID"
    SET_NOT_SUPPORTED = "SET_NOT_SUPPORTED"
    SET_NOT_IN_GROUP_TYPE = "SET_NOT_IN_GROUP_TYPE"
    # transaction set content
    SEGMENT_ID_INVALID = "SEGMENT_ID_INVALID"
    SEGMENT_MISSING = "SEGMENT_MISSING"
    SEGMENT_OUT_OF_ORDER = "SEGMENT_OUT_OF_ORDER"
    SEGMENT_UNEXPECTED = "SEGMENT_UNEXPECTED"
    ELEMENT_MISSING = "ELEMENT_MISSING"
    DATE_INVALID = "DATE_INVALID"
    TIME_INVALID = "TIME_INVALID"
    NUMBER_INVALID = "NUMBER_INVALID"
    NUMBER_NEGATIVE = "NUMBER_NEGATIVE"
    CODE_INVALID = "CODE_INVALID"
    CONFLICTING_VALUES = "CONFLICTING_VALUES"
    HL_SEQUENCE = "HL_SEQUENCE"
    HL_PARENT_UNKNOWN = "HL_PARENT_UNKNOWN"
    HL_LEVEL_INVALID = "HL_LEVEL_INVALID"
    HL_LEVEL_ORDER = "HL_LEVEL_ORDER"
    ASN_ITEM_WITHOUT_ORDER = "ASN_ITEM_WITHOUT_ORDER"
    COUNT_MISMATCH = "COUNT_MISMATCH"
    # the application refused a syntactically sound set (unknown purchase order, absurd quantity ...)
    NOT_APPLIED = "NOT_APPLIED"
    # EDIFACT
    EDIFACT_NOT_SUPPORTED = "EDIFACT_NOT_SUPPORTED"


# X12 997 AK304 segment syntax error codes (004010)
AK304_UNRECOGNIZED_SEGMENT = "1"
AK304_UNEXPECTED_SEGMENT = "2"
AK304_MANDATORY_SEGMENT_MISSING = "3"
AK304_OUT_OF_ORDER = "7"
AK304_DATA_ELEMENT_ERRORS = "8"

# X12 997 AK403 data element syntax error codes (004010)
AK403_MANDATORY_MISSING = "1"
AK403_INVALID_CHARACTER = "6"
AK403_INVALID_CODE = "7"
AK403_INVALID_DATE = "8"
AK403_INVALID_TIME = "9"

# X12 997 AK502 transaction set syntax error codes (004010)
AK502_NOT_SUPPORTED = "1"
AK502_TRAILER_MISSING = "2"
AK502_CONTROL_NUMBER_MISMATCH = "3"
AK502_SEGMENT_COUNT_MISMATCH = "4"
AK502_SEGMENTS_IN_ERROR = "5"
AK502_INVALID_SET_ID = "6"
AK502_INVALID_CONTROL_NUMBER = "7"

# X12 997 AK905 functional group syntax error codes (004010)
AK905_TRAILER_MISSING = "3"
AK905_CONTROL_NUMBER_MISMATCH = "4"
AK905_SET_COUNT_MISMATCH = "5"
AK905_INVALID_CONTROL_NUMBER = "6"


@dataclass(frozen=True, slots=True)
class EdiError:
    code: ErrorCode
    message: str
    severity: Severity = Severity.ERROR
    interchange_control_number: str | None = None
    group_control_number: str | None = None
    transaction_set_control_number: str | None = None
    transaction_set_id: str | None = None
    segment_id: str | None = None
    segment_position: int | None = None  # 1-based index of the segment in the file (ISA = 1)
    segment_position_in_set: int | None = None  # 1-based index inside the transaction set (ST = 1)
    element_position: int | None = None  # 1-based (DTM02 -> 2)
    component_position: int | None = None
    element_value: str | None = None
    segment_syntax_code: str | None = None  # AK304
    element_syntax_code: str | None = None  # AK403
    set_syntax_code: str | None = None  # AK502
    group_syntax_code: str | None = None  # AK905

    @property
    def is_error(self) -> bool:
        return self.severity is Severity.ERROR

    def __str__(self) -> str:
        return self.message


class EdiGenerationError(ValueError):
    """Raised by the generators for input that cannot be written as valid X12."""
