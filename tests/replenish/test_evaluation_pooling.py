"""How the simulator hands DistOps' MOQ pooling to the policies (evaluation/simulation.py)."""

import numpy as np
import pandas as pd

from replenish.engine import simulate as sim
from replenish.evaluation.planning import PlanSchedule, PolicyLevels
from replenish.evaluation.simulation import DYNAMIC, STATIC, TRANSFER_LEAD_TIME_DAYS, scenario_for


def test_dynamic_sees_pooled_branches_open_orders_at_their_hub_and_plans_them_on_the_transfer_lead_time():
    # given three SKU-locations of one item: row 0 the hub, row 2 supplied from it; the ERP has an open PO of 48 at
    # row 2 (day 5) and of 12 at row 1 (day 3); supplier lead times 20, 25, 30 days
    scenario = sim.Scenario(
        demand=np.ones((3, 10)),
        lead_times=np.full((3, 10), 20),
        initial_pipeline=sim.OpenOrders(series=[2, 1], available_day=[5, 3], quantity=[48.0, 12.0]),
        planning_lead_time_days=np.array([20.0, 25.0, 30.0]),
    )
    schedule = PlanSchedule(plan=pd.DataFrame({"supply_from_series": [-1, -1, 0]}), forecast=None, levels=[])

    # when each policy's view is taken
    static = scenario_for(STATIC, scenario, schedule)
    dynamic = scenario_for(DYNAMIC, scenario, schedule)

    # then the ERP's min-max keeps the scenario as it is ...
    assert static is scenario
    # ... while DistOps has the branch's PO shipped to the hub and plans the branch on the 2-day transfer
    assert list(dynamic.initial_pipeline.series) == [0, 1]
    assert list(dynamic.initial_pipeline.quantity) == [48.0, 12.0]
    assert list(dynamic.initial_pipeline.available_day) == [5, 3]
    assert dynamic.planning_lead_time_days.tolist() == [20.0, 25.0, float(TRANSFER_LEAD_TIME_DAYS + 1)]


def test_dynamic_starts_without_the_open_lines_its_first_plans_cancel_and_static_keeps_them():
    # given two SKU-locations: row 0 with 200 on hand and open lines of 100 (day 10, not shipped) and 80 (day 20,
    # shipped), S = 50 and 10 a week; row 1 with 5 on hand and a line of 40 (day 7), S = 60
    scenario = sim.Scenario(
        demand=np.ones((2, 30)),
        lead_times=np.full((2, 30), 20),
        initial_on_hand=np.array([200.0, 5.0]),
        initial_pipeline=sim.OpenOrders(
            series=[0, 0, 1], available_day=[10, 20, 7], quantity=[100.0, 80.0, 40.0]
        ),
    )
    plan = pd.DataFrame(
        {"supply_from_series": [-1, -1], "flag_no_history": [False, False], "forecast_weekly": [10.0, 10.0]}
    )
    schedule = PlanSchedule(
        plan=plan, forecast=None, levels=[PolicyLevels(0, np.array([20.0, 30.0]), np.array([50.0, 60.0]))]
    )
    cancellable = np.array([True, False, True])

    # when each policy's view is taken
    static = scenario_for(STATIC, scenario, schedule, cancellable)
    dynamic = scenario_for(DYNAMIC, scenario, schedule, cancellable)

    # then DistOps cancels row 0's unshipped 100 (position 380 > 50 + 80 and 280 >= 50) and keeps the shipped 80 and
    # row 1's line (45 is not in excess); the ERP's min-max keeps every line
    assert static.initial_pipeline is scenario.initial_pipeline
    assert list(dynamic.initial_pipeline.series) == [0, 1]
    assert list(dynamic.initial_pipeline.quantity) == [80.0, 40.0]
    assert list(dynamic.initial_pipeline.available_day) == [20, 7]
    # without the flags (no ASN information) nothing is cancelled
    assert list(scenario_for(DYNAMIC, scenario, schedule).initial_pipeline.quantity) == [100.0, 80.0, 40.0]
