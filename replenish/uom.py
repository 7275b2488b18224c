"""Units of measure: each item's base unit and its conversions, read once for a set of items. The one converter
every inbound path uses (EDI documents, CSV/XLSX imports)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from .models import Item, UomConversion

LOOKUP_CHUNK = 5_000  # item ids per query: under SQLite's and PostgreSQL's parameter limits


@dataclass(frozen=True)
class UomTable:
    base: dict[int, str]  # item id -> base unit
    conversions: dict[tuple[int, str], Decimal]  # (item id, UNIT) -> base units per one unit

    @classmethod
    def load(cls, item_ids: Iterable[int], *, uoms: Iterable[str] | None = None) -> UomTable:
        """The base units of these items and their conversions (only to `uoms` when given)."""
        ids = sorted({int(i) for i in item_ids})
        wanted = None if uoms is None else sorted(set(uoms))
        base: dict[int, str] = {}
        conversions: dict[tuple[int, str], Decimal] = {}
        for start in range(0, len(ids), LOOKUP_CHUNK):
            chunk = ids[start : start + LOOKUP_CHUNK]
            base.update(Item.objects.filter(pk__in=chunk).values_list("pk", "base_uom"))
            if wanted == []:
                continue
            rows = UomConversion.objects.filter(item_id__in=chunk)
            if wanted is not None:
                rows = rows.filter(uom__in=wanted)
            for item_id, uom, factor in rows.values_list("item_id", "uom", "factor"):
                conversions[(item_id, uom.upper())] = factor
        return cls(base, conversions)

    def factor(self, item_id: int, uom: str | None) -> Decimal | None:
        """Base units per one `uom` of the item: 1 for its base unit or no unit, None when no conversion is known."""
        uom = (uom or "").upper()
        if uom in ("", str(self.base.get(item_id, "")).upper()):
            return Decimal(1)
        return self.conversions.get((item_id, uom))

    def to_base(self, quantity: Decimal, uom: str | None, item_id: int) -> Decimal | None:
        """The quantity in the item's base unit (None when the unit cannot be converted)."""
        factor = self.factor(item_id, uom)
        if factor is None:
            return None
        return (
            quantity
            if (uom or "").upper() in ("", str(self.base.get(item_id, "")).upper())
            else quantity * factor
        )
