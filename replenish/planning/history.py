"""Plan runs of past weeks, computed as they would have been on those Mondays (the demo's history; KPI backfill).

One read of the network with the extra weeks of demand, then for each past Monday the engine plans on the demand
and receipts known then. The mirror keeps no history of stock or open orders, so every past run starts from today's
on hand and today's pipeline of open supply, due the same number of days after that Monday as after today: the
figures that depend on demand and lead times (forecasts, backtest errors, policies) are those of the day, the
positions are today's. The runs are stored
complete but never current, stamped on their Monday, so the KPIs that read "the plan run in force that day"
(stockout frequency, forecast error and bias) have a history.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, time, timedelta

import pandas as pd
from django.db import transaction
from django.utils import timezone

from replenish import models as m
from replenish.bulk import bulk_insert_frame
from replenish.engine import LeadTimeSettings, PlanOptions, run_plan
from replenish.engine.plan_record import plan_options_snapshot

from .inputs import HISTORY_WEEKS, LoadedInputs, load_plan_inputs
from .refresh import POLICY_STORED_COLUMNS, _plan_rows, _recommendation_rows, model_version

PLANNED_AT = time(5, 0)  # the nightly plan's hour: runs of past Mondays are stamped at it, local time


def _monday(day: date) -> date:
    return day - timedelta(days=day.weekday())


def _past_inputs(loaded: LoadedInputs, weeks_back: int, extra_weeks: int) -> LoadedInputs:
    """The inputs as of `weeks_back` Mondays ago, cut from a read that holds `extra_weeks` more weeks of demand."""
    as_of = _monday(loaded.as_of) - timedelta(weeks=weeks_back)
    window = slice(extra_weeks - weeks_back, extra_weeks - weeks_back + HISTORY_WEEKS)
    inputs = loaded.inputs
    receipts = inputs.receipts
    if receipts is not None and len(receipts):
        receipts = receipts[receipts["received_date"] < pd.Timestamp(as_of)].reset_index(drop=True)
    past = replace(
        inputs,
        demand=inputs.demand[:, window],
        promo=None if inputs.promo is None else inputs.promo[:, window],
        receipts=receipts,
        options=PlanOptions(lead_time=LeadTimeSettings(as_of=pd.Timestamp(as_of))),
    )
    return replace(loaded, inputs=past, as_of=as_of)


@transaction.atomic
def _record_run(loaded: LoadedInputs, result) -> m.PlanRun:
    at = timezone.make_aware(datetime.combine(loaded.as_of, PLANNED_AT))
    run = m.PlanRun.objects.create(
        status=m.PlanRun.Status.COMPLETE,
        scope=m.PlanRun.Scope.FULL,
        filters={"as_of": loaded.as_of.isoformat(), "history": True},
        model_version=model_version(),
        options=plan_options_snapshot(PlanOptions()),
        input_snapshot=loaded.snapshot | {"as_of": loaded.as_of.isoformat(), "positions": "today's"},
        timings=result.timings,
        finished_at=at,
    )
    # the figures the KPIs and the acceptance model read; the explain inputs of a past run are not kept (half the
    # write, and the page explains the current plan)
    plans = _plan_rows(run, loaded, result).drop(columns=[*POLICY_STORED_COLUMNS, "backtest"])
    recommendations = _recommendation_rows(run, loaded, result)
    if len(recommendations):
        recommendations["created_at"] = at
    bulk_insert_frame(m.SkuPlan, plans)
    bulk_insert_frame(m.Recommendation, recommendations)
    m.PlanRun.objects.filter(pk=run.pk).update(
        started_at=at,
        chunks_total=1,
        chunks_done=1,
        series_count=len(plans),
        recommendation_count=len(recommendations),
    )
    run.refresh_from_db()
    return run


def plan_history_backfill(*, weeks: int, as_of: date | None = None) -> list[m.PlanRun]:
    """Plan runs for each of the `weeks` Mondays before `as_of` (oldest first), skipping Mondays that have one."""
    as_of = as_of or timezone.localdate()
    if weeks < 1 or not m.ItemLocation.objects.exists():
        return []
    existing = {
        date.fromisoformat(f["as_of"])
        for f in m.PlanRun.objects.filter(status=m.PlanRun.Status.COMPLETE).values_list("filters", flat=True)
        if f and f.get("as_of")
    }
    wanted = [k for k in range(weeks, 0, -1) if _monday(as_of) - timedelta(weeks=k) not in existing]
    if not wanted:
        return []
    loaded = load_plan_inputs(as_of=as_of, history_weeks=HISTORY_WEEKS + weeks)
    runs = []
    for weeks_back in wanted:
        past = _past_inputs(loaded, weeks_back, weeks)
        runs.append(_record_run(past, run_plan(past.inputs)))
    return runs
