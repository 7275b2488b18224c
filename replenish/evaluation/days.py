"""Pure numpy helpers of the evaluation: periods -> days, lead-time samplers, the ERP's naive min-max rule.

No Django here, so these are tested without a database.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import numpy.typing as npt
from scipy import stats

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
Quantile = Callable[[FloatArray, IntArray], FloatArray]

DAYS_PER_WEEK = 7
# The ERP's naive rule (replenish.scenario.generate, and what the buyers' ERP did): min = 1.5 x average daily demand
# x contracted lead time, max = min + 8 weeks of average demand, never revisited.
ERP_MIN_LEAD_TIME_MULTIPLE = 1.5
ERP_MAX_WEEKS_ABOVE_MIN = 8.0


def spread_periods_to_days(
    quantity: npt.ArrayLike,
    period_days: npt.ArrayLike,
    *,
    rng: np.random.Generator,
    line_size: npt.ArrayLike | None = None,
    even: bool = False,
) -> tuple[FloatArray, FloatArray | None]:
    """Spread period demand (n, P) over the days of each period, keeping every period's total exactly.

    Each period's units arrive in order lines: with `line_size` (mean units per line, per series; inf = one line
    per period) a period with D > 0 units has L = clip(round(D / line_size), 1, D) lines, each line falls on a
    day drawn uniformly from the period's days, every line carries one unit and the other D - L units go to the
    lines at random (multinomial). Without `line_size` the units are spread uniformly and no line counts are
    returned (the simulator then counts one line per day with demand). `even` spreads each period's units as
    evenly as whole units allow instead (evenly spaced: unit k of D falls in the middle of the period's k-th of D
    equal parts): no randomness, no line counts.
    Returns (daily units, daily lines or None), both (n, sum(period_days)).
    """
    units = np.rint(np.nan_to_num(np.asarray(quantity, dtype=np.float64))).astype(np.int64)
    if (units < 0).any():
        raise ValueError("demand must be >= 0")
    n, n_periods = units.shape
    lengths = np.asarray(period_days, dtype=np.int64)
    if lengths.shape != (n_periods,) or (lengths < 1).any():
        raise ValueError("period_days must give a positive length for every period")
    size = None
    if line_size is not None and not even:
        size = np.broadcast_to(np.asarray(line_size, dtype=np.float64), (n,))
        if (size <= 0).any() or np.isnan(size).any():
            raise ValueError("line_size must be > 0 (inf = one line per period)")
    daily = np.zeros((n, int(lengths.sum())))
    lines = None if size is None else np.zeros_like(daily)
    starts = np.concatenate([[0], np.cumsum(lengths)[:-1]])
    for period, (start, length) in enumerate(zip(starts, lengths)):
        demand = units[:, period]
        uniform = np.full(int(length), 1.0 / length)
        if even:
            # unit k of D in the middle of the period's k-th of D equal parts: a part selling 2 in a 30-day month
            # sells on its 8th and 23rd days, not on its first two (which made every month a lump at its start)
            through = np.floor(demand[:, None] * np.arange(length + 1)[None, :] / length + 0.5)
            daily[:, start : start + length] = np.diff(through, axis=1)
            continue
        if size is None:
            daily[:, start : start + length] = rng.multinomial(demand, uniform)
            continue
        with np.errstate(divide="ignore", invalid="ignore"):
            wanted = np.where(np.isfinite(size), np.rint(demand / size), 1.0)
        period_lines = np.where(demand > 0, np.clip(wanted, 1, np.maximum(demand, 1)), 0).astype(np.int64)
        lines_by_day = rng.multinomial(period_lines, uniform)  # (n, length)
        share = np.where(
            period_lines[:, None] > 0, lines_by_day / np.maximum(period_lines, 1)[:, None], uniform[None, :]
        )
        extra = rng.multinomial(demand - period_lines, share)
        daily[:, start : start + length] = lines_by_day + extra
        assert lines is not None
        lines[:, start : start + length] = lines_by_day
    return daily, lines


def gamma_quantile(mean: npt.ArrayLike, sd: npt.ArrayLike, *, minimum_days: float = 1.0) -> Quantile:
    """Lead-time quantile function per series: gamma with this mean and sd (the generator's supplier
    distribution), rounded by the simulator, at least `minimum_days`; sd = 0 is the constant mean."""
    mean = np.maximum(np.asarray(mean, dtype=np.float64), minimum_days)
    sd = np.maximum(np.asarray(sd, dtype=np.float64), 0.0)
    random = sd > 1e-9
    shape = np.where(random, (mean / np.where(random, sd, 1.0)) ** 2, 1.0)
    scale = np.where(random, mean / shape, 1.0)

    def quantile(u: FloatArray, series: IntArray) -> FloatArray:
        draws = np.where(random[series], stats.gamma.ppf(u, shape[series], scale=scale[series]), mean[series])
        return np.maximum(draws, minimum_days)

    return quantile


def empirical_quantile(
    samples: npt.ArrayLike, sample_group: npt.ArrayLike, series_group: npt.ArrayLike, fallback: Quantile
) -> Quantile:
    """Lead-time quantile per series from the recorded lead times of its group (e.g. its supplier): the
    empirical distribution (a bootstrap of the receipts). Series whose group has no sample use `fallback`."""
    values = np.asarray(samples, dtype=np.float64)
    groups = np.asarray(sample_group, dtype=np.int64)
    wanted = np.asarray(series_group, dtype=np.int64)
    if values.size == 0:
        return fallback
    order = np.lexsort((values, groups))
    values, groups = values[order], groups[order]
    group_ids, first, count = np.unique(groups, return_index=True, return_counts=True)
    position = np.minimum(np.searchsorted(group_ids, wanted), group_ids.size - 1)
    found = group_ids[position] == wanted
    start = np.where(found, first[position], 0)
    size = np.where(found, count[position], 1)

    def quantile(u: FloatArray, series: IntArray) -> FloatArray:
        own = found[series]
        index = start[series] + np.minimum((u * size[series]).astype(np.int64), size[series] - 1)
        drawn = values[index]
        if own.all():
            return drawn
        return np.where(own, drawn, fallback(u, series))

    return quantile


def erp_min_max(
    average_weekly_demand: npt.ArrayLike, lead_time_days: npt.ArrayLike
) -> tuple[FloatArray, FloatArray]:
    """The ERP's naive min-max, for SKU-locations that have no ERP min/max (e.g. an imported demand file)."""
    weekly = np.maximum(np.nan_to_num(np.asarray(average_weekly_demand, dtype=np.float64)), 0.0)
    lead = np.maximum(np.nan_to_num(np.asarray(lead_time_days, dtype=np.float64)), 0.0)
    minimum = np.ceil(ERP_MIN_LEAD_TIME_MULTIPLE * weekly / DAYS_PER_WEEK * lead - 1e-9)
    maximum = minimum + np.ceil(ERP_MAX_WEEKS_ABOVE_MIN * weekly - 1e-9)
    return minimum, maximum
