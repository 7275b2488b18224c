"""The public X12 samples in tests/fixtures/edi/ and helpers shared by the parser tests."""

from __future__ import annotations

from pathlib import Path

from integrations.edi.x12 import parse_x12

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "edi"


SAFEWAY_850 = "bots-plugins__850_004010VICS_safeway-canada.x12"
GROCERY_850 = "bots-plugins__850_004010_grocery-msg-segments.x12"
VONS_855 = "bots-plugins__855_004010UCS_safeway-vons_6tx.x12"
SOPI_856 = "bots-plugins__856_004010_SOPI-sscc.x12"
TEAM_846 = "dlhinkley-duanesrepo__846_004010_team-international-supplier.edi"
CORRUPT_ISA = "edifabric-X12.NET__850_CorruptIsa_BAD.txt"
WIDGETS_850 = "olmelabs-EdiEngine__850_004010_widgets.edi"
CROSSDOCK_856 = "olmelabs-EdiEngine__856_004010_crossdock_SOPI.edi"
MISMATCH_940 = "olmelabs-EdiEngine__940_ControlNumbersMismatch_BAD.edi"

CLEAN = [SAFEWAY_850, GROCERY_850, VONS_855, SOPI_856, TEAM_846, WIDGETS_850, CROSSDOCK_856]


def fixture(name: str) -> str:
    return (FIXTURES / name).read_bytes().decode("utf-8")  # keeps CR LF as they are in the file


def mutate(text: str, old: str, new: str) -> str:
    assert text.count(old) == 1, f"{old!r} must occur exactly once"
    return text.replace(old, new)


def only_set(text: str):
    result = parse_x12(text)
    assert len(result.transaction_sets) == 1
    return result, result.transaction_sets[0]


def error_codes(errors) -> list[str]:
    return [str(e.code) for e in errors]
