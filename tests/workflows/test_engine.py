"""Pure calculations, checked against hand-computed values and a brute-force optimum (no database)."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta

import pytest
from scipy.stats import norm

from exceptions.workflows import engine

T = date(2026, 11, 27)


def d(n: int) -> date:
    return T + timedelta(days=n)


def test_atp_commits_by_requested_date_then_tier():
    # on hand 10; inbound 5 on day 4 and 20 on day 9
    lines = [
        engine.DemandLine(1, d(2), 3, 6),  # cum 6 <= 10 on day 2 -> covered
        engine.DemandLine(2, d(3), 1, 6),  # cum 12 > 10 on day 3 -> short 2; 15 by day 4 -> promise day 4
        engine.DemandLine(
            3, d(3), 2, 4
        ),  # same day, lower tier: after line 2 -> cum 16 > 15 on day 4 -> day 9
        engine.DemandLine(4, d(12), 1, 20),  # cum 36 > 35 -> never
    ]
    got = {
        p.line_id: p
        for p in engine.atp_promises(on_hand=10, inbound=[(d(4), 5), (d(9), 20)], lines=lines, today=T)
    }
    assert (got[1].short_units, got[1].promise_date) == (0, d(2))
    assert (got[2].short_units, got[2].promise_date) == (2, d(4))
    assert (got[3].cumulative_demand, got[3].short_units, got[3].promise_date) == (16, 4, d(9))
    assert (got[4].short_units, got[4].promise_date) == (1, None)


def test_atp_counts_overdue_inbound_as_today():
    got = engine.atp_promises(
        on_hand=0, inbound=[(d(-3), 5)], lines=[engine.DemandLine(1, d(0), 1, 5)], today=T
    )
    assert got[0].short_units == 0 and got[0].promise_date == T


def _random_instance(rng: random.Random):
    supply = {loc: rng.randint(0, 4) for loc in range(1, rng.randint(1, 2) + 1)}
    demands = []
    for k in range(rng.randint(1, 3)):
        q = rng.randint(1, 3)
        demands.append(
            engine.AllocDemand(
                key=k,
                location=rng.choice(list(supply)),
                quantity=q,
                contractual_minimum=rng.choice([0, 0, 1, q]),
                unit_margin=rng.choice([1.0, 2.5, 4.0, 4.0]),
                velocity=rng.choice([0.0, 1.0, 3.0]),
            )
        )
    return supply, demands


@pytest.mark.parametrize("seed", range(40))
def test_allocation_matches_brute_force_optimum(seed):
    rng = random.Random(seed)
    supply, demands = _random_instance(rng)
    cost = rng.choice([0.0, 0.5, 3.0])
    result = engine.allocate(supply=supply, demands=demands, transfer_cost=cost)
    (short, neg_margin, neg_velocity), _x = engine.allocate_brute_force(
        supply=supply, demands=demands, transfer_cost=cost
    )
    assert result.shortfall == pytest.approx(short)
    assert result.margin == pytest.approx(-neg_margin)
    assert result.velocity == pytest.approx(-neg_velocity)
    for loc, units in supply.items():  # feasibility
        assert sum(result.allocated[dm.key].get(loc, 0) for dm in demands) <= units
    for dm in demands:
        assert result.total(dm.key) <= dm.quantity
        assert result.rationale[dm.key].startswith(f"{result.total(dm.key)} of {dm.quantity} allocated")


def test_allocation_honours_contract_before_margin():
    # 5 units; a contract line (min 4, margin 1) and a high-margin spot line (margin 9)
    demands = [engine.AllocDemand(1, 1, 5, 4, 1.0, 0.0), engine.AllocDemand(2, 1, 5, 0, 9.0, 0.0)]
    result = engine.allocate(supply={1: 5}, demands=demands)
    assert result.total(1) == 4 and result.total(2) == 1
    assert "contract minimum 4: 4 met first" in result.rationale[1]
    assert "4 short" in result.rationale[2]


def test_allocation_velocity_breaks_margin_ties():
    demands = [engine.AllocDemand(1, 1, 3, 0, 2.0, 1.0), engine.AllocDemand(2, 1, 3, 0, 2.0, 5.0)]
    result = engine.allocate(supply={1: 3}, demands=demands)
    assert result.total(2) == 3 and result.total(1) == 0


def _dt(hour: int) -> datetime:
    return datetime(2026, 11, 27, hour, tzinfo=UTC)


def test_labor_resequence_ranks_urgent_tiered_picks_and_defers_low_priority_replenishment():
    cutoff = _dt(15)
    tasks = [
        engine.WmsTaskIn(1, "pick", 10, 40, _dt(14), 5, 100.0),  # urgent, low exposure
        engine.WmsTaskIn(2, "pick", 11, 40, _dt(14), 5, 900.0),  # urgent, high exposure -> first among picks
        engine.WmsTaskIn(
            3, "replenishment", 11, 100, _dt(18), 7, 0.0
        ),  # feeds urgent pick of item 11 -> first
        engine.WmsTaskIn(
            4, "replenishment", 12, 100, _dt(12), 6, 0.0
        ),  # low priority, feeds nothing -> deferred
        engine.WmsTaskIn(5, "pick", 12, 40, _dt(20), 5, 50.0),  # after cut-off
    ]
    backlog = sum(engine.task_hours(t.kind, t.quantity) for t in tasks)
    out = engine.labor_resequence(tasks=tasks, capacity_hours=backlog / 2, cutoff=cutoff)
    order = [s.task_id for s in out if not s.deferred]
    assert order == [3, 2, 1, 5]
    deferred = [s for s in out if s.deferred]
    assert [s.task_id for s in deferred] == [4] and deferred[0].rank is None
    # hours: replenishment 6 min + 0.1 x 100 = 16 min; pick 2 + 0.25 x 40 = 12 min
    assert out[0].hours == pytest.approx(16 / 60)
    assert out[1].cumulative_hours == pytest.approx(28 / 60)


def test_labor_no_bottleneck_defers_nothing():
    tasks = [engine.WmsTaskIn(4, "replenishment", 12, 10, _dt(12), 9, 0.0)]
    assert not any(
        s.deferred for s in engine.labor_resequence(tasks=tasks, capacity_hours=10, cutoff=_dt(15))
    )


def test_safety_stock_and_service_after_drift_match_textbook():
    # d = 10/day, sd_d = 3, L = 9 days, sd_L = 2: sd_LTD = sqrt(9*9 + 100*4) = sqrt(481)
    sd = 481**0.5
    z = norm.ppf(0.95)
    assert engine.safety_stock(
        z=z, daily_demand=10, daily_sd=3, lead_time=9, lead_time_sd=2
    ) == pytest.approx(z * sd)
    assert engine.service_after_drift(
        safety_stock_units=30, daily_demand=10, daily_sd=3, lead_time=9, lead_time_sd=2
    ) == pytest.approx(norm.cdf(30 / sd))
