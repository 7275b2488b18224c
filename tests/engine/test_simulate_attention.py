"""Limited attention in the simulator (replenish/engine/simulate/attention.py): planners execute only the top K
tasks a day each; unlimited attention is the plain policy, no attention is doing nothing, the queue's order holds.

Expected values are worked out by hand or come from an independent run (the plain policy, a policy that never
orders), never pasted back from the attention run's own output.
"""

from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

from replenish.engine import attention
from replenish.engine import value as v
from replenish.engine.simulate import (
    OLDEST,
    RANDOM,
    SUM_COLUMNS,
    UNLIMITED,
    VALUE,
    AttentionOption,
    ExpediteOption,
    InventoryPolicy,
    Scenario,
    SimulationOptions,
    TransferOption,
    simulate,
)
from replenish.engine.simulate.attention import days_to_stockout, select
from replenish.engine.simulate.model import _FREE

TASK_COLUMNS = {"tasks", "tasks_by_people", "tasks_automatic", "task_wait_days", "decisions_by_people"}
N, DAYS = 60, 120


def _network(seed: int = 3):
    """60 series (20 items x 3 locations), Poisson demand, random lead times, an (s, S) policy near its lead-time
    demand, three planners."""
    rng = np.random.default_rng(seed)
    rate = rng.uniform(0.5, 12.0, N)
    demand = rng.poisson(rate[:, None], (N, DAYS)).astype(float)
    lead = rng.integers(3, 15, (N, DAYS))
    scenario = Scenario(
        demand=demand,
        lead_times=lead,
        initial_on_hand=np.ceil(rate * 10),
        unit_cost=rng.uniform(2, 40, N),
        unit_price=rng.uniform(45, 90, N),
        item_group=np.repeat(np.arange(20), 3),
        planning_daily_demand=rate,
        planning_lead_time_days=np.full(N, 9.0),
    )
    policy = InventoryPolicy(reorder_point=np.ceil(rate * 9), order_up_to=np.ceil(rate * 16))
    return scenario, policy, rate


def _attention(rate, ordering, capacity, **kwargs):
    mean, sd = v.horizon_demand(rate * 7, np.sqrt(rate * 7), 9.0, 2.0)
    return AttentionOption(
        capacity=capacity,
        planner=np.arange(N) % 3,
        ordering=ordering,
        horizon_mean=mean,
        horizon_sd=sd,
        unit_margin=30.0,
        lead_time_days=9.0,
        lead_time_sd_days=2.0,
        seed=7,
        **kwargs,
    )


PLUS = SimulationOptions(
    warmup_days=10,
    expedite=ExpediteOption(days_saved=3, fee=20.0, freight_rate=0.05),
    transfers=TransferOption(lead_time_days=2, cost_per_transfer=10.0),
)


def _measures(result):
    return result.per_series[[c for c in SUM_COLUMNS if c not in TASK_COLUMNS]]


def test_unlimited_attention_equals_the_plain_policy():
    scenario, policy, rate = _network()
    plain = simulate(scenario, policy, PLUS)
    unlimited = simulate(scenario, policy, replace(PLUS, attention=_attention(rate, UNLIMITED, 0)))
    pd.testing.assert_frame_equal(_measures(unlimited), _measures(plain))
    assert plain.total["orders"].iloc[0] > 50 and plain.total["expedites"].iloc[0] > 0  # the test has teeth
    total = unlimited.total.iloc[0]
    # every task was executed by a person the day it was proposed
    assert total["tasks"] == total["tasks_by_people"] > 0 and total["task_wait_days"] == 0


def test_no_attention_and_no_automation_is_doing_nothing():
    scenario, policy, rate = _network()
    never = InventoryPolicy(reorder_point=-1e12, order_up_to=-1e12)  # a policy that never acts
    nothing = simulate(scenario, never, PLUS)
    options = replace(PLUS, attention=_attention(rate, VALUE, 0))
    idle = simulate(scenario, policy, options)
    pd.testing.assert_frame_equal(_measures(idle), _measures(nothing))
    assert nothing.total["orders"].iloc[0] == 0 and idle.total["tasks"].iloc[0] > 0
    assert idle.total["tasks_by_people"].iloc[0] == 0


def _task_log(ordering, capacity=2, **kwargs):
    scenario, policy, rate = _network()
    options = SimulationOptions(
        warmup_days=0, record_orders=True, attention=_attention(rate, ordering, capacity, **kwargs)
    )
    result = simulate(scenario, policy, options)
    return result, result.tasks


def test_value_ordering_executes_tasks_in_descending_value_per_planner_and_day():
    result, log = _task_log(VALUE)
    assert (log["outcome"] == "waited").sum() > 100 and (log["outcome"] == "person").sum() > 100
    for _, tasks in log.groupby(["day", "planner"]):
        done = tasks[tasks["outcome"] == "person"]
        waited = tasks[tasks["outcome"] == "waited"]
        assert len(done) <= 2
        if len(waited):
            assert len(done) == 2  # capacity is used before anything waits
            # the queue's rank: more value first; of equal value, the more units short per day of delay; then the
            # earlier work-by day
            for _, w in waited.iterrows():
                same = done["value"] == w["value"]
                assert (
                    (done["value"] > w["value"])
                    | (same & (done["delay"] > w["delay"]))
                    | (same & (done["delay"] == w["delay"]) & (done["work_by"] <= w["work_by"]))
                ).all()
    # a task's work-by day is at most 28 days after it first appeared (day - age)
    assert (log["work_by"] <= log["day"] - log["age"] + attention.MAX_WAIT_DAYS).all()
    assert (
        log["work_by"] < log["day"] - log["age"] + attention.MAX_WAIT_DAYS
    ).any()  # some by their stockout
    # orders placed are exactly the executed tasks (no automation here)
    assert result.total["orders"].iloc[0] == result.total["tasks_by_people"].iloc[0]


def test_oldest_first_executes_the_longest_waiting_tasks():
    _, log = _task_log(OLDEST)
    checked = 0
    for _, tasks in log.groupby(["day", "planner"]):
        done = tasks[tasks["outcome"] == "person"]
        waited = tasks[tasks["outcome"] == "waited"]
        if len(waited):
            assert done["age"].min() >= waited["age"].max()
            checked += 1
    assert checked > 20
    # a task waits until it is executed: its age grows one a day
    series = log[log["series"] == log.loc[log["outcome"] == "waited", "series"].iloc[0]].sort_values("day")
    run = series["age"].to_numpy()
    assert (np.diff(run)[np.diff(series["day"].to_numpy()) == 1] <= 1).all() and run.max() >= 1


def test_automation_executes_small_eligible_supplier_orders_without_capacity():
    # every series eligible, a value limit above every task: all orders are automatic, people do nothing
    result, log = _task_log(RANDOM, capacity=0, auto_eligible=True, auto_max_value=1e12)
    assert (log["outcome"] == "automatic").all() and len(log) > 100
    scenario, policy, _ = _network()
    plain = simulate(scenario, policy, SimulationOptions(warmup_days=0))
    pd.testing.assert_frame_equal(_measures(result), _measures(plain))
    # a zero limit automates only the tasks worth nothing (cost above benefit)
    _, log = _task_log(RANDOM, capacity=0, auto_eligible=True, auto_max_value=0.0)
    automatic = log[log["outcome"] == "automatic"]
    assert len(automatic) and (automatic["value"] == 0).all()
    assert (log.loc[log["outcome"] == "waited", "value"] > 0).all()


def test_select_takes_the_first_k_per_planner_in_the_orderings_order():
    planner = np.array([0, 0, 0, 1, 1, 1, 1])
    value = np.array([5.0, 9.0, 1.0, 3.0, 3.0, 8.0, 0.0])
    age = np.array([0, 0, 4, 1, 2, 0, 9])
    rng = np.random.default_rng(0)
    assert select(planner, value, age, VALUE, 2, rng).tolist() == [
        1,
        1,
        0,
        0,
        1,
        1,
        0,
    ]  # ties by age: 4 before 3
    # of equal value the earlier work-by day first, whatever the age: 3 (work by 2) before 4 (work by 7)
    work_by = np.array([0, 0, 0, 2, 7, 0, 0])
    assert select(planner, value, age, VALUE, 2, rng, work_by).tolist() == [1, 1, 0, 1, 0, 1, 0]
    assert select(planner, value, age, OLDEST, 1, rng).tolist() == [0, 0, 1, 0, 0, 0, 1]
    assert select(planner, value, age, UNLIMITED, 0, rng).all()
    picked = select(planner, value, age, RANDOM, 2, rng)
    assert picked[:3].sum() == 2 and picked[3:].sum() == 2


def test_the_simulators_value_ordering_is_the_queues_rank():
    # one planner, 40 tasks, most worth 0 (ties), work-by days with ties, distinct ages: the k executed are the first
    # k of the queue's rank (engine.attention.rank_order), the id being the creation order (the oldest first)
    gen = np.random.default_rng(7)
    n = 40
    value = np.where(gen.random(n) < 0.6, 0.0, gen.integers(1, 5, n).astype(float))
    work_by = gen.integers(0, 6, n).astype(float)
    age = gen.permutation(n)
    ids = np.argsort(np.argsort(-age))  # the oldest task has the smallest id
    queue = attention.rank_order(value, work_by, ids)
    for k in (1, 5, 17, 39):
        picked = select(np.zeros(n, dtype=np.int64), value, age, VALUE, k, np.random.default_rng(k), work_by)
        assert set(np.flatnonzero(picked)) == set(queue[:k].tolist())


def test_days_to_stockout_walks_the_receipts_in_arrival_order():
    # day 10; net 12 units, 4 a day: runs out after 3 days unless a receipt lands before. Series 0: receipt of 20 on
    # day 12 (1 day of demand before it: 12 - 4 = 8 left), then 28 units = 7 days -> 3 + ... computed on the level
    # before each receipt: before day 12 cover 3 days >= 1 day wait; before the free slot 32 / 4 = 8 days: 8.
    # Series 1: the receipt lands on day 16 (5 days away) after the 3 days of cover: 3.
    # Series 2: already short (net -5): 0. Series 3: no demand: never (inf).
    net = np.array([12.0, 12.0, -5.0, 10.0])
    daily = np.array([4.0, 4.0, 1.0, 0.0])
    available = np.array([[12, _FREE], [16, _FREE], [_FREE, _FREE], [_FREE, _FREE]], dtype=np.int64)
    quantity = np.array([[20.0, 0.0], [20.0, 0.0], [0.0, 0.0], [0.0, 0.0]])
    got = days_to_stockout(np.arange(4), net, daily, available, quantity, 10)
    assert got[0] == pytest.approx(8.0) and got[1] == pytest.approx(3.0)
    assert got[2] == 0.0 and np.isinf(got[3])


def test_bad_attention_options_are_clear_errors():
    scenario, policy, rate = _network()
    with pytest.raises(ValueError, match="ordering must be one of"):
        simulate(scenario, policy, SimulationOptions(attention=_attention(rate, "alphabetical", 5)))
    with pytest.raises(ValueError, match="planner must be a scalar or have shape"):
        bad = AttentionOption(capacity=5, planner=[0, 1])
        simulate(scenario, policy, SimulationOptions(attention=bad))


def test_the_automation_rule_judges_each_task_by_its_action_value_and_spend():
    seen = []

    def rule(rows, actions, values, amounts):
        seen.append((rows.copy(), actions.copy(), values.copy(), amounts.copy()))
        return (actions == v.PURCHASE_ORDER) & (values <= 40.0)

    result, log = _task_log(RANDOM, capacity=0, automation=rule)
    automatic = log[log["outcome"] == "automatic"]
    assert len(automatic) > 20 and (automatic["value"] <= 40.0).all()
    assert (log.loc[log["outcome"] == "waited", "value"] > 40.0).all()  # nobody works: the rest waits
    rows, actions, values, amounts = (np.concatenate(x) for x in zip(*seen))
    assert set(actions) == {v.PURCHASE_ORDER}  # no hub, no expedite in this network
    # what an order spends: its quantity x unit cost (no freight), at least the ordering policy's minimum
    scenario, policy, _ = _network()
    assert (amounts > 0).all() and (amounts + 1e-9 >= scenario.unit_cost[rows]).all()
    assert result.total["tasks_automatic"].iloc[0] == len(automatic)


def test_a_hub_with_nothing_on_hand_gives_no_pull_task():
    # series 0 is the hub (its own supplier), series 1 and 2 pull from it; the hub starts empty and its supplier
    # takes 30 days, so for the first 30 days a pull would ship nothing: no task (production transfers only from a
    # donor with stock). Once the hub holds stock its spokes' pulls are tasks again.
    days = 60
    demand = np.zeros((3, days))
    demand[1:, :] = 2.0
    scenario = Scenario(
        demand=demand,
        lead_times=np.full((3, days), 30),
        initial_on_hand=np.array([0.0, 4.0, 4.0]),
        unit_cost=np.full(3, 10.0),
        unit_price=np.full(3, 30.0),
        planning_daily_demand=np.array([4.0, 2.0, 2.0]),
        planning_lead_time_days=np.array([30.0, 2.0, 2.0]),
    )
    policy = InventoryPolicy(
        reorder_point=np.array([120.0, 8.0, 8.0]),
        order_up_to=np.array([300.0, 20.0, 20.0]),
        supply_from=np.array([-1, 0, 0]),
    )
    option = AttentionOption(
        capacity=5, planner=0, ordering=VALUE, unit_margin=20.0, lead_time_days=30.0, seed=1
    )
    log = simulate(
        scenario, policy, SimulationOptions(warmup_days=0, record_orders=True, attention=option)
    ).tasks
    spokes = log[log["series"] > 0]
    hub_orders = log[(log["series"] == 0) & (log["outcome"] == "person")]
    assert hub_orders["day"].min() == 0  # the hub's own order is a task at once; it lands on day 31
    assert len(spokes) and spokes["day"].min() > 30  # no spoke task while the hub is empty
    # the same network with stock at the hub: the spokes' pulls are tasks from the first day their position is low
    stocked = replace(scenario, initial_on_hand=np.array([100.0, 4.0, 4.0]))
    log = simulate(
        stocked, policy, SimulationOptions(warmup_days=0, record_orders=True, attention=option)
    ).tasks
    assert log.loc[log["series"] > 0, "day"].min() == 0


def test_of_equal_value_the_task_that_loses_more_per_day_of_delay_comes_first():
    # three tasks worth 0: a fast mover's order already too late to land before its stockout (6 units a day, P(late)
    # 0.9: 5.4 units short per day it waits), a slow mover's late order (0.1 a day: 0.1) with an earlier work-by
    # day, and a task that can still land in time (P(late) 0: 0), earliest work-by of all
    delay = v.delay_short_units([6.0, 0.1, 3.0], [0.1, 0.0, 1.0])
    assert delay.tolist() == [5.4, 0.1, 0.0]
    # unknown arrival (nan feasibility): nothing is lost by waiting; negative demand counts as none
    assert v.delay_short_units([2.0, -1.0], [np.nan, 0.0]).tolist() == [0.0, 0.0]
    values, work_by, ids = [0.0, 0.0, 0.0, 25.0], [30, 20, 10, 40], [1, 2, 3, 4]
    delay = np.r_[delay, 0.0]
    # money first (25), then 5.4, 0.1, 0 units a day; without the delay the work-by day decides
    assert attention.rank_order(values, work_by, ids, delay=delay).tolist() == [3, 0, 1, 2]
    assert attention.rank_order(values, work_by, ids).tolist() == [3, 2, 1, 0]
    # the split sizes the day in that order: capacity 2 -> the 25 and the fast mover
    split = attention.day_split(values, work_by, ids, 0.0, capacity=2, delay=delay)
    assert list(split) == ["todo", "later", "later", "todo"]
    # the simulator's value ordering is the same rule
    picked = select(np.zeros(4, dtype=np.int64), np.array(values), np.array([0, 1, 2, 3]), VALUE, 2,
                    np.random.default_rng(0), np.array(work_by, dtype=float), delay)  # fmt: skip
    assert picked.tolist() == [True, False, False, True]


def test_the_orders_of_one_draft_po_are_one_decision():
    # one planner, capacity 1: series 0-2 order from one supplier at one location (one draft PO), series 3 and 4 from
    # others (drafts of their own); values 10 + 10 + 10 = 30 for the draft against 25 and 5: the person approves the
    # draft (all three lines) in their one decision of the day
    from replenish.engine.simulate.attention import attention_inputs, decisions

    option = AttentionOption(capacity=1, planner=[0, 0, 1, 0, 0], draft_group=[7, 7, 7, 8, -1])
    att = attention_inputs(option, 5, hub_lead_time_days=2)
    rows = np.arange(5)
    action = np.array([v.PURCHASE_ORDER] * 4 + [v.TRANSFER], dtype=object)
    value = np.array([10.0, 10.0, 10.0, 25.0, 5.0])
    age = np.array([0, 3, 1, 0, 9])
    work_by = np.array([40.0, 35.0, 50.0, 20.0, 10.0])
    delay = np.array([0.5, 0.25, 0.125, 0.0, 1.0])
    unit, planner, worth, unit_age, unit_work_by, unit_delay = decisions(
        att, rows, action, value, age, work_by, delay
    )
    assert unit.tolist() == [0, 0, 0, 1, 2]  # the transfer is no draft line, group -1 neither
    assert planner.tolist() == [0, 0, 0]  # the draft's owner: two of its three lines are planner 0's
    assert worth.tolist() == [30.0, 25.0, 5.0] and unit_age.tolist() == [3, 0, 9]
    assert unit_work_by.tolist() == [35.0, 20.0, 10.0] and unit_delay.tolist() == [0.875, 0.0, 1.0]
    chosen = select(planner, worth, unit_age, VALUE, 1, np.random.default_rng(0), unit_work_by, unit_delay)
    assert chosen[unit].tolist() == [True, True, True, False, False]
    # without drafts each order is a decision: the 25 goes first
    plain = attention_inputs(replace(option, draft_group=None), 5, hub_lead_time_days=2)
    unit, planner, worth, *_ = decisions(plain, rows, action, value, age, work_by, delay)
    assert unit.tolist() == [0, 1, 2, 3, 4]
    picked = select(planner, worth, age, VALUE, 1, np.random.default_rng(0), work_by, delay)
    assert picked.tolist() == [False, False, True, True, False]  # planner 1's 10 and planner 0's 25
