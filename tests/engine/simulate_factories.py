"""Scenarios shared by the simulator tests."""

import numpy as np

from replenish.engine.simulate import Scenario


def constant_scenario(*, daily_demand, lead_time, n_days, initial_on_hand, **kwargs):
    return Scenario(
        demand=np.full((1, n_days), float(daily_demand)),
        lead_times=np.full((1, n_days), lead_time),
        initial_on_hand=initial_on_hand,
        **kwargs,
    )
