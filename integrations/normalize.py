"""Normalization: a sender's codes to our rows (cross-references) and quantities to base units (UoM conversions).

A code is looked up first in the sender's `CodeMapping` (their code -> our SKU / location / supplier / customer /
unit), then as our own code. Lookups are vectorized over a whole column (a 900,000-row balance file makes one
pass over distinct values, not one query per row).
"""

from __future__ import annotations

from collections.abc import Iterable

import pandas as pd

from replenish.models import Customer, Item, Location, ServiceTier, Supplier
from replenish.uom import UomTable

from .models import CodeMapping

LOOKUP_CHUNK = (
    5_000  # distinct codes per IN (...) query; above ~20,000 distinct codes the whole table is read
)
FULL_TABLE_ABOVE = 20_000


class Resolver:
    def __init__(self, source: str) -> None:
        self.source = source
        self._mappings: dict[str, dict[str, str]] | None = None
        self._cache: dict[str, dict[str, int]] = {}

    # -- code mappings ------------------------------------------------------------------------------------------
    def mapping(self, kind: str) -> dict[str, str]:
        if self._mappings is None:
            self._mappings = {}
            for kind_, external, internal in CodeMapping.objects.filter(source=self.source).values_list(
                "kind", "external_code", "internal_code"
            ):
                self._mappings.setdefault(kind_, {})[external] = internal
        return self._mappings.get(kind, {})

    def translate(self, values: pd.Series, kind: str) -> pd.Series:
        mapping = self.mapping(kind)
        return values.map(lambda v: mapping.get(v, v)) if mapping else values

    # -- code -> id -------------------------------------------------------------------------------------------
    def _ids(self, kind: str, model, field: str, codes: Iterable[str]) -> dict[str, int]:
        cache = self._cache.setdefault(kind, {})
        missing = {c for c in codes if isinstance(c, str) and c and c not in cache}  # an empty cell is NaN
        if not missing:
            return cache
        if len(missing) > FULL_TABLE_ABOVE:
            cache.update(dict(model.objects.values_list(field, "pk").iterator(chunk_size=50_000)))
        else:
            ordered = sorted(missing)
            for start in range(0, len(ordered), LOOKUP_CHUNK):
                chunk = ordered[start : start + LOOKUP_CHUNK]
                cache.update(dict(model.objects.filter(**{f"{field}__in": chunk}).values_list(field, "pk")))
        return cache

    def _resolve(self, values: pd.Series, kind: str, model, field: str) -> pd.Series:
        translated = self.translate(values, kind)
        ids = self._ids(kind, model, field, translated.unique())
        return translated.map(ids).astype("Int64")

    def item_ids(self, skus: pd.Series) -> pd.Series:
        return self._resolve(skus, CodeMapping.Kind.ITEM, Item, "sku")

    def location_ids(self, codes: pd.Series) -> pd.Series:
        return self._resolve(codes, CodeMapping.Kind.LOCATION, Location, "code")

    def supplier_ids(self, codes: pd.Series) -> pd.Series:
        return self._resolve(codes, CodeMapping.Kind.SUPPLIER, Supplier, "code")

    def customer_ids(self, codes: pd.Series) -> pd.Series:
        return self._resolve(codes, CodeMapping.Kind.CUSTOMER, Customer, "code")

    def service_tier_ids(self, codes: pd.Series) -> pd.Series:
        return self._resolve(codes, "service_tier", ServiceTier, "code")

    def forget(self, kind: str) -> None:
        """Drop cached ids of a kind (after rows of it were created)."""
        self._cache.pop(kind, None)

    # -- units of measure -------------------------------------------------------------------------------------
    def uom_factors(self, item_ids: pd.Series, uoms: pd.Series) -> pd.Series:
        """Base units per one `uom` of each row's item: 1 for the base unit or an empty uom, NaN when unknown."""
        uoms = self.translate(uoms.fillna("").astype(str).str.strip().str.upper(), CodeMapping.Kind.UOM)
        ids = [int(i) for i in pd.unique(item_ids.dropna())]
        units = UomTable.load(ids, uoms=set(pd.unique(uoms)) - {""})
        factors = []
        for item_id, uom in zip(item_ids.tolist(), uoms.tolist()):
            if item_id is pd.NA or item_id is None or (isinstance(item_id, float) and pd.isna(item_id)):
                factors.append(float("nan"))
                continue
            factor = units.factor(int(item_id), uom)
            factors.append(float(factor) if factor is not None else float("nan"))
        return pd.Series(factors, index=item_ids.index, dtype=float)
