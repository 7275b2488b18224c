"""Carriers and their pickup cut-offs per location (master data of warehouse control)."""

from __future__ import annotations

import re

from django.utils import timezone

from replenish.shipping.models import Carrier, CarrierCutoff

from .apply import _counts, _ext, _parse_time, _rows, _upsert, resolve_locations

WEEKDAYS_RE = re.compile(r"^[1-7]{1,7}$")


def prepare_carrier_cutoffs(frame, ctx, problems):
    resolve_locations(frame, ctx, problems)
    for row in frame.index:
        days = str(frame.loc[row, "weekdays"] or "12345")
        if not WEEKDAYS_RE.match(days) or len(set(days)) != len(days):
            problems.add(
                row, "weekdays", "weekdays are ISO day numbers 1-7 written once each, e.g. 12345", days
            )
    frame["service_tier"] = frame["service_tier"].fillna("").astype(str)
    frame["service"] = frame["service"].fillna("ground").astype(str)


def apply_carrier_cutoffs(frame, ctx):
    now = timezone.now()
    names = {}
    for r in _rows(frame):
        names.setdefault(r["carrier"], r.get("carrier_name") or names.get(r["carrier"]) or r["carrier"])
    existing_carriers = dict(Carrier.objects.filter(code__in=list(names)).values_list("code", "name"))
    _upsert(
        Carrier,
        [
            Carrier(
                code=code,
                name=name or existing_carriers.get(code) or code,
                source=ctx.source,
                external_id=code,
                updated_at=now,
            )
            for code, name in names.items()
        ],
        unique=["code"],
        update=["name", "source"],
    )
    carrier_ids = dict(Carrier.objects.filter(code__in=list(names)).values_list("code", "pk"))
    rows = [
        CarrierCutoff(
            location_id=int(r["location_id"]),
            carrier_id=carrier_ids[r["carrier"]],
            service=r["service"],
            service_tier=r["service_tier"],
            cutoff_time=_parse_time(str(r["cutoff"])) if not hasattr(r["cutoff"], "hour") else r["cutoff"],
            pick_lead_minutes=int(r["pick_lead_minutes"]),
            weekdays=str(r["weekdays"] or "12345"),
            source=ctx.source,
            external_id=_ext(r, f"{r['location']}:{r['carrier']}:{r['service']}:{r['service_tier']}"),
            updated_at=now,
        )
        for r in _rows(frame)
    ]
    before = CarrierCutoff.objects.count()
    _upsert(
        CarrierCutoff,
        rows,
        unique=["location", "carrier", "service", "service_tier"],
        update=["cutoff_time", "pick_lead_minutes", "weekdays", "source", "external_id"],
    )
    created = CarrierCutoff.objects.count() - before
    return {**_counts(len(rows), len(rows) - created), "carriers": len(names)}
