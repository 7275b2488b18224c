"""Service calibration (evaluation/calibration.py): groups and factors."""

import numpy as np
import pandas as pd

from replenish.evaluation.calibration import Calibration, factors_for, supply_role


def test_supply_role_names_hubs_branches_and_the_rest():
    assert supply_role(np.array([-1, 0, 0, -1, 3])).tolist() == ["hub", "branch", "branch", "hub", "branch"]
    assert supply_role(np.array([-1, -1])).tolist() == ["own", "own"]


def test_each_series_takes_the_factor_of_its_segment_and_role():
    calibration = Calibration(
        groups={"AX|own": {"factor": 0.5}, "CZ|branch": {"factor": 0.4}, "CZ|hub": {"factor": 1.2}}, weeks=39
    )
    plan = pd.DataFrame(
        {"abc": ["A", "C", "C", "B"], "xyz": ["X", "Z", "Z", "Y"], "supply_from_series": [-1, 2, -1, -1]}
    )
    # series 2 is the hub of series 1; BY|own was not calibrated (factor 1)
    assert factors_for(calibration, plan).tolist() == [0.5, 0.4, 1.2, 1.0]
