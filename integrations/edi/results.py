"""What `parse_x12` returns: interchanges, functional groups and transaction sets with their errors."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, time
from enum import StrEnum

from .elements import Delimiters, Segment
from .errors import EdiError


class SetStatus(StrEnum):
    ACCEPTED = "accepted"
    ACCEPTED_WITH_ERRORS = "accepted_with_errors"  # warnings only
    REJECTED = "rejected"


@dataclass(frozen=True)
class TransactionSet:
    transaction_set_id: str  # ST01
    control_number: str  # ST02
    functional_id_code: str  # GS01 of the enclosing group
    group_control_number: str
    interchange_control_number: str
    segments: tuple[Segment, ...]  # ST .. SE inclusive (SE absent when missing)
    delimiters: Delimiters
    document: object | None
    errors: tuple[EdiError, ...]  # this set's own errors and warnings (what its 997 AK2 loop reports)
    envelope_errors: tuple[EdiError, ...]  # errors of the enclosing functional group or interchange

    @property
    def status(self) -> SetStatus:
        """The set's own verdict, as reported in the 997 AK5."""
        if any(e.is_error for e in self.errors):
            return SetStatus.REJECTED
        if self.errors:
            return SetStatus.ACCEPTED_WITH_ERRORS
        return SetStatus.ACCEPTED

    @property
    def is_accepted(self) -> bool:
        """Safe to apply: the set itself is not rejected and its group and interchange envelopes are sound."""
        return (
            self.status is not SetStatus.REJECTED and not self.envelope_errors and self.document is not None
        )


@dataclass(frozen=True)
class FunctionalGroup:
    functional_id_code: str  # GS01
    application_sender_code: str  # GS02
    application_receiver_code: str  # GS03
    date: date | None  # GS04
    time: time | None  # GS05
    control_number: str  # GS06
    responsible_agency: str  # GS07
    version: str  # GS08
    declared_set_count: int | None  # GE01 (None when GE is missing or GE01 is not a number)
    transaction_sets: tuple[TransactionSet, ...]
    errors: tuple[EdiError, ...]
    interchange_control_number: str
    position: int  # file position of the GS segment
    interchange_errors: tuple[EdiError, ...] = ()  # the enclosing interchange's errors (IEA02 mismatch ...)


@dataclass(frozen=True)
class Interchange:
    control_number: str  # ISA13
    sender_qualifier: str  # ISA05
    sender_id: str  # ISA06, trailing blanks removed
    receiver_qualifier: str  # ISA07
    receiver_id: str  # ISA08, trailing blanks removed
    date: date | None  # ISA09
    time: time | None  # ISA10
    version: str  # ISA12
    acknowledgment_requested: bool  # ISA14
    usage_indicator: str  # ISA15
    delimiters: Delimiters
    groups: tuple[FunctionalGroup, ...]
    errors: tuple[EdiError, ...]
    declared_group_count: int | None  # IEA01
    position: int
    date_text: str = ""  # ISA09 as written (echoed in a TA1)
    time_text: str = ""  # ISA10 as written


@dataclass(frozen=True)
class ParseResult:
    interchanges: tuple[Interchange, ...]
    errors: tuple[EdiError, ...]  # file-level: no/corrupt ISA, undecodable bytes, garbage after an IEA

    @property
    def groups(self) -> list[FunctionalGroup]:
        return [g for ic in self.interchanges for g in ic.groups]

    @property
    def transaction_sets(self) -> list[TransactionSet]:
        return [ts for g in self.groups for ts in g.transaction_sets]

    @property
    def all_errors(self) -> list[EdiError]:
        found = list(self.errors)
        for ic in self.interchanges:
            found.extend(ic.errors)
            for group in ic.groups:
                found.extend(group.errors)
                for ts in group.transaction_sets:
                    found.extend(ts.errors)
        return found

    @property
    def ok(self) -> bool:
        """True when nothing anywhere in the file is an error (warnings allowed)."""
        return not any(e.is_error for e in self.all_errors) and bool(self.interchanges)

    def accepted_documents(self) -> list[object]:
        return [ts.document for ts in self.transaction_sets if ts.is_accepted]
