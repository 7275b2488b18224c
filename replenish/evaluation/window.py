"""The evaluation window read from the database: the planner's training history, the simulated periods' demand,
the true lead-time distributions, the starting stock and the ERP's static min-max.

Two sources of the simulated demand:
- "generated": the database holds a generated scenario (`ScenarioRun`); the plan sees all its history and the
  simulated weeks are new draws from the scenario's generating process (`ScenarioGenerator.demand_matrix` on the
  weeks after the history, seeded), with supplier lead times from each supplier's true distribution;
- "actuals": the last periods of the stored history are held out; the plan sees only the periods before, and the
  held-out actual demand is replayed. Works on imported demand files too (monthly periods when the items were
  imported with --format wide-monthly), with lead times bootstrapped from each supplier's recorded receipts.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass, field
from datetime import date, timedelta

import numpy as np
import pandas as pd

from replenish import models as m
from replenish.engine import LeadTimeSettings, PlanInputs
from replenish.engine.simulate import OpenOrders
from replenish.planning.inputs import HISTORY_WEEKS, LoadedInputs, load_plan_inputs, read_frame
from replenish.scenario.generate import ITEM_CHUNK, ScenarioGenerator, ScenarioSpec, monday_of, rng_for

from .days import DAYS_PER_WEEK, Quantile, empirical_quantile, erp_min_max, gamma_quantile

GENERATED = "generated"
ACTUALS = "actuals"
PLAN = "plan"  # the nightly plan's own history (its service calibration)
WEEK = "week"
MONTH = "month"
DAYS_PER_MONTH = 365.25 / 12
HISTORY_MONTHS = 60  # monthly training history read at most (5 years)
LINE_SIZE_CAP = 50.0  # the generator's sales-order line: 1 + Poisson(min(weekly rate, 50) / 2 - 0.5) units


class EvaluationError(ValueError):
    """The database cannot support the evaluation asked for (the message says why and what to do)."""


@dataclass
class EvaluationWindow:
    mode: str
    period: str  # "week" or "month": the unit of the demand columns
    plan_as_of: date  # the planner's today: the first simulated day
    inputs: PlanInputs  # the plan's inputs on the training history, capacity removed (see planning)
    item_location_ids: np.ndarray
    future: np.ndarray  # (n, P) demand of the simulated periods (warm-up first)
    future_promo: np.ndarray  # (n, P) bool
    period_days: np.ndarray  # (P,) days in each simulated period
    warmup_periods: int
    lead_time_quantile: Quantile  # each series' true lead-time distribution, in days
    capacity: np.ndarray  # (n,) storage capacity in units, NaN = none
    static_min: np.ndarray
    static_max: np.ndarray
    initial_on_hand: np.ndarray | None = None  # None: every policy starts at its own level
    open_orders: OpenOrders | None = None
    # per open order: a purchase order line not yet shipped (no ASN), which DistOps may cancel (None: none may)
    open_order_cancellable: np.ndarray | None = None
    line_size: np.ndarray | None = None  # mean units per order line (None: one line per day with demand)
    notes: list[str] = field(default_factory=list)
    description: dict = field(default_factory=dict)

    @property
    def n_series(self) -> int:
        return len(self.item_location_ids)

    @property
    def measured_periods(self) -> int:
        return self.future.shape[1] - self.warmup_periods


def evaluation_window(
    *,
    mode: str,
    weeks: int,
    warmup_weeks: int,
    seed: int,
    location: str | None = None,
) -> EvaluationWindow:
    if weeks < 1:
        raise EvaluationError(f"--weeks must be at least 1 (got {weeks}).")
    if warmup_weeks < 0:
        raise EvaluationError(f"--warmup-weeks cannot be negative (got {warmup_weeks}).")
    location_id = None
    if location:
        location_id = m.Location.objects.filter(code=location).values_list("pk", flat=True).first()
        if location_id is None:
            raise EvaluationError(f"Unknown location code {location!r}.")
    if mode == GENERATED:
        return _generated_window(weeks, warmup_weeks, seed, location_id)
    if mode == ACTUALS:
        return _actuals_window(weeks, warmup_weeks, location_id)
    raise EvaluationError(f"--demand must be '{GENERATED}' or '{ACTUALS}' (got {mode!r}).")


# --- generated ------------------------------------------------------------------------------------------------


def _generated_window(weeks: int, warmup_weeks: int, seed: int, location_id: int | None) -> EvaluationWindow:
    run = m.ScenarioRun.objects.order_by("-created_at").first()
    if run is None:
        raise EvaluationError(
            "The database holds no generated scenario (run generate_scenario first), or replay stored demand "
            "with --demand actuals."
        )
    spec = ScenarioSpec(
        skus=run.skus, locations=run.locations, weeks=run.weeks, seed=run.seed, as_of=run.as_of
    )
    loaded = load_plan_inputs(as_of=run.as_of, item_range=(1, run.skus), location_id=location_id)
    series = loaded.inputs.series
    n = len(series)
    if n == 0:
        raise EvaluationError("No SKU-locations of the generated scenario in this scope.")
    item_index = series["item_id"].to_numpy(dtype=np.int64) - 1
    location_index = series["location_id"].to_numpy(dtype=np.int64) - 1
    if location_index.max() >= run.locations:
        raise EvaluationError("The network does not match the recorded scenario (unknown location ids).")

    total = warmup_weeks + weeks
    generator = ScenarioGenerator(spec, future_weeks=total)
    future = np.zeros((n, total), dtype=np.float32)
    promo = np.zeros((n, total), dtype=bool)
    line_size = np.full(n, np.inf)
    for chunk, start in enumerate(range(0, spec.skus, ITEM_CHUNK)):
        stop = min(start + ITEM_CHUNK, spec.skus)
        rows = np.flatnonzero((item_index >= start) & (item_index < stop))
        if rows.size == 0:
            continue
        params = generator.demand_parameters(chunk, start, stop)
        demand, chunk_promo = generator.demand_matrix(
            params, spec.weeks, spec.weeks + total, rng_for(spec.seed, f"simulation-{seed}", chunk)
        )
        local = item_index[rows] - start
        future[rows] = demand[local, location_index[rows]]
        promo[rows] = chunk_promo[local]
        rate = params["weekly_rate"][local, location_index[rows]]
        regular = params["velocity"][local] > 0
        # the generator's sales-order lines of regular movers; a slow mover's occurrence is one line
        line_size[rows] = np.where(regular, np.minimum(rate, LINE_SIZE_CAP) / 2 + 0.5, np.inf)

    truth = generator.truth
    supplier = series["supplier_id"].to_numpy(dtype=np.int64) - 1
    known = (supplier >= 0) & (supplier < len(truth.supplier_lead_time_mean))
    supplier = np.where(known, supplier, 0)
    # Unstable suppliers have drifted over the last quarter of the history; the drift persists.
    mean = np.where(known, truth.supplier_lead_time_mean[supplier] * truth.supplier_drift[supplier], 14.0)
    sd = np.where(known, truth.supplier_lead_time_sd[supplier], 3.5)

    open_supply = loaded.inputs.open_supply
    open_orders = cancellable = None
    if open_supply is not None and len(open_supply):
        open_orders = OpenOrders(
            series=open_supply["series"].to_numpy(dtype=np.int64),
            available_day=np.ceil(open_supply["arrival_day"].to_numpy(dtype=float)).astype(np.int64),
            quantity=open_supply["quantity"].to_numpy(dtype=float),
        )
        cancellable = (open_supply["kind"].to_numpy() == "po") & ~open_supply["shipped"].to_numpy(dtype=bool)
    inputs = _training_inputs(loaded.inputs, run.as_of, keep_stock=True)
    return EvaluationWindow(
        mode=GENERATED,
        period=WEEK,
        plan_as_of=run.as_of,
        inputs=inputs,
        item_location_ids=loaded.item_location_ids,
        future=future,
        future_promo=promo,
        period_days=np.full(total, DAYS_PER_WEEK),
        warmup_periods=warmup_weeks,
        lead_time_quantile=gamma_quantile(mean, sd),
        capacity=series["capacity"].to_numpy(dtype=float),
        static_min=series["static_min"].to_numpy(dtype=float),
        static_max=series["static_max"].to_numpy(dtype=float),
        initial_on_hand=(series["on_hand"] - series["backordered"]).to_numpy(dtype=float),
        open_orders=open_orders,
        open_order_cancellable=cancellable,
        line_size=line_size,
        notes=[
            f"Demand: {total} new weeks drawn from the scenario's generating process (seed {spec.seed}, "
            f"simulation seed {seed}); the plan saw the {spec.weeks} weeks of history only.",
            "Lead times: each supplier's true gamma distribution (drifted suppliers at their drifted mean).",
            "Start: the ERP's on hand minus backorders and its open purchase orders at their ASN or promised "
            "dates, the same for every policy, except the excess lines not yet shipped that DistOps cancels.",
        ],
        description={
            "scenario": str(run),
            "scenario_seed": spec.seed,
            "scenario_as_of": run.as_of.isoformat(),
        },
    )


# --- actuals --------------------------------------------------------------------------------------------------


def _actuals_window(weeks: int, warmup_weeks: int, location_id: int | None) -> EvaluationWindow:
    scope = m.ItemLocation.objects.all()
    if location_id is not None:
        scope = scope.filter(location_id=location_id)
    monthly_items = m.Item.objects.filter(
        item_locations__in=scope, attributes__demand_period=MONTH
    ).distinct()
    n_monthly = monthly_items.count()
    if n_monthly and n_monthly < m.Item.objects.filter(item_locations__in=scope).distinct().count():
        raise EvaluationError(
            "This scope mixes monthly (imported wide-monthly) and weekly demand: choose a location with "
            "--location."
        )
    period = MONTH if n_monthly else WEEK
    last = m.DemandHistory.objects.filter(item_location__in=scope).order_by("-period_start").first()
    if last is None:
        raise EvaluationError("No stored demand history in this scope to replay.")
    if period == WEEK:
        data_end = monday_of(last.period_start) + timedelta(weeks=1)
        held_out = warmup_weeks + weeks
        plan_as_of = data_end - timedelta(weeks=held_out)
        warmup_periods = warmup_weeks
        boundaries = [plan_as_of + timedelta(weeks=k) for k in range(held_out + 1)]
    else:
        data_end = _add_months(last.period_start.replace(day=1), 1)
        warmup_periods = round(warmup_weeks * DAYS_PER_WEEK / DAYS_PER_MONTH)
        held_out = warmup_periods + max(1, round(weeks * DAYS_PER_WEEK / DAYS_PER_MONTH))
        plan_as_of = _add_months(data_end, -held_out)
        boundaries = [_add_months(plan_as_of, k) for k in range(held_out + 1)]

    loaded = load_plan_inputs(as_of=plan_as_of, location_id=location_id)
    n = len(loaded.item_location_ids)
    if n == 0:
        raise EvaluationError("No SKU-locations in this scope.")
    ids = loaded.item_location_ids
    series = loaded.inputs.series
    inputs = _training_inputs(loaded.inputs, plan_as_of, keep_stock=False)
    if period == MONTH:
        inputs.demand, inputs.promo = _monthly_history(ids, plan_as_of, location_id)
    future, future_promo = _demand_by_period(ids, boundaries, location_id)
    period_days = np.array([(b - a).days for a, b in zip(boundaries[:-1], boundaries[1:])], dtype=np.int64)
    weeks_observed = np.isfinite(inputs.demand).sum(axis=1)
    period_length = DAYS_PER_WEEK if period == WEEK else DAYS_PER_MONTH
    average_weekly = (
        np.nansum(inputs.demand, axis=1) / np.maximum(weeks_observed, 1) * DAYS_PER_WEEK / period_length
    )

    settings = LeadTimeSettings()
    contracted = series["contracted_lead_time_days"].to_numpy(dtype=float)
    fallback_days = np.where(
        np.isfinite(contracted) & (contracted > 0), contracted, settings.default_lead_time_days
    )
    lead_time_quantile = recorded_lead_time_quantile(series, loaded.inputs.receipts)
    static_min = series["static_min"].to_numpy(dtype=float)
    static_max = series["static_max"].to_numpy(dtype=float)
    notes = [
        f"Demand: the last {held_out} {period}s of stored history ({plan_as_of} to {data_end}) held out and "
        f"replayed; the plan saw only the history before {plan_as_of}.",
        "Lead times: bootstrapped from each supplier's recorded receipts; without receipts, the contracted lead "
        f"time (or {settings.default_lead_time_days:g} days) with a {settings.contracted_sd_fraction:.0%} sd.",
        "Start: the stock on the first held-out day is not recorded, so every policy starts at its own reorder "
        "point plus half its order quantity, with nothing on order.",
    ]
    if not (np.nan_to_num(static_min) > 0).any() and not (np.nan_to_num(static_max) > 0).any():
        derived_min, derived_max = erp_min_max(average_weekly, fallback_days)
        static_min, static_max = derived_min, derived_max
        notes.append(
            "No ERP min-max is recorded for these SKU-locations: the static policy uses the ERP's rule (min = 1.5 x "
            "average daily demand of the training history x lead time, max = min + 8 weeks of average demand)."
        )
    if period == MONTH:
        notes.append("Monthly demand is spread uniformly at random over the days of each month.")
    return EvaluationWindow(
        mode=ACTUALS,
        period=period,
        plan_as_of=plan_as_of,
        inputs=inputs,
        item_location_ids=ids,
        future=future,
        future_promo=future_promo,
        period_days=period_days,
        warmup_periods=warmup_periods,
        lead_time_quantile=lead_time_quantile,
        capacity=series["capacity"].to_numpy(dtype=float),
        static_min=static_min,
        static_max=static_max,
        notes=notes,
        description={"data_end": data_end.isoformat(), "held_out_periods": held_out},
    )


def monthly_item_locations(ids: np.ndarray) -> np.ndarray:
    """(n,) bool: the SKU-locations whose item's demand is monthly (imported with --format wide-monthly)."""
    monthly = set(
        m.ItemLocation.objects.filter(
            pk__in=[int(i) for i in ids], item__attributes__demand_period=MONTH
        ).values_list("pk", flat=True)
    )
    return np.array([int(i) in monthly for i in ids], dtype=bool)


def plan_window(loaded: LoadedInputs, *, period: str = WEEK) -> EvaluationWindow:
    """The nightly plan's own history as a window, for its service calibration to replay (nothing is simulated
    after its today): weekly history, or with ``period`` MONTH the monthly history of complete months (its today
    the first of the month), recorded lead times, the ERP's min-max."""
    series = loaded.inputs.series
    n = len(series)
    inputs = _training_inputs(loaded.inputs, loaded.as_of, keep_stock=False)
    as_of = loaded.as_of
    if period == MONTH:
        as_of = loaded.as_of.replace(day=1)  # complete months only
        inputs.demand, inputs.promo = _monthly_history(loaded.item_location_ids, as_of, None)
    return EvaluationWindow(
        mode=PLAN,
        period=period,
        plan_as_of=as_of,
        inputs=inputs,
        item_location_ids=loaded.item_location_ids,
        future=np.zeros((n, 0), dtype=np.float32),
        future_promo=np.zeros((n, 0), dtype=bool),
        period_days=np.zeros(0, dtype=np.int64),
        warmup_periods=0,
        lead_time_quantile=recorded_lead_time_quantile(series, loaded.inputs.receipts),
        capacity=series["capacity"].to_numpy(dtype=float),
        static_min=series["static_min"].to_numpy(dtype=float),
        static_max=series["static_max"].to_numpy(dtype=float),
    )


def recorded_lead_time_quantile(series: pd.DataFrame, receipts: pd.DataFrame | None) -> Quantile:
    """Each series' lead time bootstrapped from its supplier's recorded receipts; without receipts, the contracted
    lead time (or the default) with the contracted sd fraction, as the engine assumes."""
    settings = LeadTimeSettings()
    contracted = series["contracted_lead_time_days"].to_numpy(dtype=float)
    fallback = np.where(
        np.isfinite(contracted) & (contracted > 0), contracted, settings.default_lead_time_days
    )
    return empirical_quantile(
        receipts["lead_time_days"].to_numpy(dtype=float) if receipts is not None else [],
        receipts["supplier_id"].to_numpy(dtype=np.int64) if receipts is not None else [],
        series["supplier_id"].to_numpy(dtype=np.int64),
        gamma_quantile(fallback, settings.contracted_sd_fraction * fallback),
    )


def _training_inputs(inputs: PlanInputs, as_of: date, *, keep_stock: bool) -> PlanInputs:
    """The plan's inputs for the simulation: receipts up to the planner's today only; no capacity (the simulated
    policy caps its order-up-to level at the capacity instead of capping the order quantity by today's room)."""
    series = inputs.series.assign(capacity=np.nan)
    if not keep_stock:
        series = series.assign(on_hand=0.0, allocated=0.0, backordered=0.0)
    receipts = inputs.receipts
    if receipts is not None and len(receipts):
        receipts = receipts[pd.to_datetime(receipts["received_date"]) < pd.Timestamp(as_of)].reset_index(
            drop=True
        )
    return PlanInputs(
        series=series,
        demand=inputs.demand,
        promo=inputs.promo,
        receipts=receipts,
        open_supply=inputs.open_supply if keep_stock else None,
        policy_table=inputs.policy_table,
        transfer_days=inputs.transfer_days,
        options=inputs.options,
    )


def _monthly_history(ids: np.ndarray, as_of: date, location_id: int | None) -> tuple[np.ndarray, np.ndarray]:
    """The HISTORY_MONTHS months before `as_of` (a first of the month), NaN before each series' history start."""
    months = [_add_months(as_of, -k) for k in range(HISTORY_MONTHS, 0, -1)]
    history, history_promo = _demand_by_period(ids, [*months, as_of], location_id)
    first_observed = np.array([_month_index(months, start) for start in _history_start(ids)], dtype=np.int64)
    history[np.arange(len(months))[None, :] < first_observed.reshape(-1, 1)] = np.nan
    return history, history_promo


def _history_start(ids: np.ndarray) -> list[date | None]:
    starts = dict(m.ItemLocation.objects.filter(pk__in=ids.tolist()).values_list("pk", "history_start"))
    return [starts.get(int(i)) for i in ids]


def _demand_by_period(
    ids: np.ndarray, boundaries: list[date], location_id: int | None
) -> tuple[np.ndarray, np.ndarray]:
    """Stored demand summed into the periods [boundaries[k], boundaries[k + 1]), (n, len(boundaries) - 1)."""
    n, n_periods = len(ids), len(boundaries) - 1
    demand = np.zeros((n, n_periods), dtype=np.float32)
    promo = np.zeros((n, n_periods), dtype=bool)
    in_location = "1=1" if location_id is None else f"il.location_id = {int(location_id)}"
    if location_id is None:  # the SKU-locations asked for only (ints: no injection)
        in_location = f"il.id IN ({','.join(str(int(i)) for i in ids)})" if n else "1=0"
    rows = read_frame(
        "SELECT d.item_location_id, d.period_start, d.quantity, d.promotion FROM replenish_demandhistory d "
        "JOIN replenish_itemlocation il ON il.id = d.item_location_id "
        f"WHERE {in_location} AND d.period_start >= '{boundaries[0].isoformat()}' "
        f"AND d.period_start < '{boundaries[-1].isoformat()}'",
        ["item_location_id", "period_start", "quantity", "promotion"],
    )
    if len(rows) == 0:
        return demand, promo
    row_of = pd.Series(np.arange(n), index=ids)
    rows = rows[rows["item_location_id"].isin(row_of.index)]
    series_row = row_of[rows["item_location_id"].to_numpy()].to_numpy()
    edges = pd.to_datetime(pd.Series(boundaries)).to_numpy()
    column = np.searchsorted(edges, pd.to_datetime(rows["period_start"]).to_numpy(), side="right") - 1
    np.add.at(demand, (series_row, column), rows["quantity"].to_numpy(dtype=np.float32))
    flags = rows["promotion"].astype(str).isin(["True", "true", "t", "1"]).to_numpy()
    promo[series_row[flags], column[flags]] = True
    return demand, promo


def _add_months(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    return date(year, month + 1, min(day.day, calendar.monthrange(year, month + 1)[1]))


def _month_index(months: list[date], start: date | None) -> int:
    """Index of the first observed month of a series (len(months) = none observed)."""
    if start is None:
        return len(months)
    first = start.replace(day=1)
    for k, month in enumerate(months):
        if month >= first:
            return k
    return len(months)


__all__ = ["ACTUALS", "GENERATED", "HISTORY_WEEKS", "MONTH", "WEEK", "EvaluationError", "EvaluationWindow"]
