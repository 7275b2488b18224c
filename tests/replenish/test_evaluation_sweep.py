"""Targets set from the command line, runs over seeds and target levels (evaluation/sweep.py)."""

import json
from io import StringIO

import numpy as np
import pytest
from django.core.management import CommandError, call_command
from scipy import stats

from replenish.engine import DEFAULT_POLICY_TABLE
from replenish.evaluation.sweep import (
    confidence_interval,
    parse_levels,
    parse_seeds,
    parse_target,
    robustness_summary,
    run_grid,
    summarize,
    target_table,
)
from replenish.evaluation.window import EvaluationError
from tests.replenish.test_evaluation_commands import network  # noqa: F401  (the fixture)


def test_parse_targets_levels_and_seeds():
    assert parse_target("AX=0.97") == ("AX", 0.97)
    assert parse_target(" b = 96 ") == ("B", 0.96)
    assert parse_target("all=90%") == ("all", 0.9)
    assert parse_levels("0.90,0.95, 98%") == [0.9, 0.95, 0.98]
    assert parse_seeds("1-3,7,2") == [1, 2, 3, 7]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("AX", "expected CLASS=VALUE"),
        ("QX=0.9", "unknown class 'QX'"),
        ("AX=1.2", "between 0.5 and 0.9999"),
        ("AX=0.3", "between 0.5 and 0.9999"),
    ],
)
def test_a_bad_target_names_what_is_wrong(text, message):
    with pytest.raises(EvaluationError, match=message):
        parse_target(text)


def test_bad_seeds_and_levels_are_refused():
    with pytest.raises(EvaluationError, match="runs backwards"):
        parse_seeds("5-1")
    with pytest.raises(EvaluationError, match="expected seeds"):
        parse_seeds("one")
    with pytest.raises(EvaluationError, match="not a number"):
        parse_levels("0.9,abc")


def test_target_table_sets_levels_then_overrides_in_order():
    table = target_table([("A", 0.96), ("AX", 0.99)], level=0.9).set_index(["abc", "xyz"])
    assert table.loc[("A", "X"), "target"] == 0.99
    assert table.loc[("A", "Y"), "target"] == table.loc[("A", "Z"), "target"] == 0.96
    assert (table.drop(index="A", level=0)["target"] == 0.9).all()
    assert (table["target_type"] == "fill_rate").all()
    assert target_table([]) is None
    # the default table itself is untouched
    assert DEFAULT_POLICY_TABLE.set_index(["abc", "xyz"]).loc[("A", "X"), "target"] == 0.98


def test_confidence_interval_is_the_student_t_interval_of_the_mean():
    values = [0.91, 0.93, 0.95, 0.92]
    low, high = stats.t.interval(0.95, 3, loc=np.mean(values), scale=stats.sem(values))
    cell = confidence_interval(values)
    assert cell["mean"] == pytest.approx(np.mean(values))
    assert (cell["low"], cell["high"]) == pytest.approx((low, high))
    assert confidence_interval([0.99, 0.999], bounds=(0.0, 1.0))["high"] == 1.0
    assert confidence_interval([0.9])["low"] is None


def _fake_report(fill: float, achieved: dict[str, float]) -> dict:
    return {
        "policies": {"dynamic": {"total": {"unit_fill_rate": fill, "avg_on_hand_value": 10.0}}},
        "acceptance": {"dynamic": {"inventory_reduction": 0.2, "inventory_reduction_at_equal_fill": 0.3}},
        "attainment": {
            "dynamic": {
                seg: {"target": 0.9, "achieved": value, "gap": value - 0.9, "demand_units": 100.0}
                for seg, value in achieved.items()
            }
        },
        "targets": {seg: {"n_series": 250} for seg in achieved},
    }


def test_a_grid_runs_every_level_and_seed_and_summarizes_each_class():
    calls = []

    def run(*, seed, policy_table):
        calls.append((seed, None if policy_table is None else policy_table["target"].iloc[0]))
        return _fake_report(0.9 + seed / 100, {"AX": 0.88 + seed / 100, "CZ": 0.9})

    report = run_grid(run, seeds=[1, 2, 3], levels=[0.9, 0.95])

    assert calls == [(1, 0.9), (2, 0.9), (3, 0.9), (1, 0.95), (2, 0.95), (3, 0.95)]
    sweep = report["sweep"]
    assert sweep["seeds"] == [1, 2, 3] and sweep["levels"] == [0.9, 0.95]
    ax = next(r for r in sweep["by_class"] if r["segment"] == "AX" and r["target_level"] == 0.9)
    assert ax["achieved"]["mean"] == pytest.approx(0.90) and ax["gap"] == pytest.approx(0.0)
    assert ax["achieved"]["low"] == pytest.approx(0.9 - stats.t.ppf(0.975, 2) * 0.01 / np.sqrt(3))
    assert ax["n_series"] == 250
    total = sweep["totals"][0]
    assert total["unit_fill_rate"]["mean"] == pytest.approx(0.92)
    assert total["inventory_reduction_at_equal_fill"]["mean"] == pytest.approx(0.3)
    assert summarize(sweep["runs"])["by_class"] == sweep["by_class"]


def test_simulate_takes_targets_and_seeds_from_the_command_line(network):  # noqa: F811
    out = StringIO()
    call_command(
        "simulate", "--weeks", "3", "--warmup-weeks", "0", "--replan-weeks", "0", "--policy", "static,dynamic",
        "--no-calibration", "--no-frontier", "--no-save", "--seeds", "1-2", "--target", "all=0.91",
        "--target", "CZ=0.93", "--json", stdout=out, stderr=StringIO(),
    )  # fmt: skip
    report = json.loads(out.getvalue())
    # the targets were set for the run: every class at 91%, CZ at 93%
    targets = {segment: row["target"] for segment, row in report["targets"].items()}
    assert targets.pop("CZ") == pytest.approx(0.93)
    assert all(value == pytest.approx(0.91) for value in targets.values())
    assert report["parameters"]["targets_set"] == ["all=0.91", "CZ=0.93"]
    # two runs, one per seed, summarized per class
    sweep = report["sweep"]
    assert sweep["seeds"] == [1, 2] and len(sweep["runs"]) == 2
    cz = next(r for r in sweep["by_class"] if r["segment"] == "CZ" and r["policy"] == "dynamic")
    per_seed = [run["attainment"]["dynamic"]["CZ"]["achieved"] for run in sweep["runs"]]
    assert cz["achieved"]["mean"] == pytest.approx(np.mean(per_seed)) and cz["target"] == pytest.approx(0.93)


def test_a_bad_target_on_the_command_line_is_a_command_error(network):  # noqa: F811
    with pytest.raises(CommandError, match="unknown class 'AQ'"):
        call_command("simulate", "--target", "AQ=0.9", "--no-save", stdout=StringIO(), stderr=StringIO())


def test_robustness_summary_spreads_the_reduction_and_the_gaps_of_the_large_classes():
    def run(seed, fill, static_fill, reduction, gaps):
        return {
            "seed": seed,
            "totals": {"dynamic": {"unit_fill_rate": fill}, "static": {"unit_fill_rate": static_fill}},
            "acceptance": {"dynamic": {"inventory_reduction": reduction}},
            "attainment": {"dynamic": {seg: {"gap": gap} for seg, gap in gaps.items()}},
            "n_series": {"AX": 1200, "BZ": 15000, "CX": 45},
        }

    runs = [
        (1, run(1, 0.95, 0.89, 0.17, {"AX": -0.002, "BZ": 0.004, "CX": 0.03})),  # CX: 45 series, not held
        (3, run(1, 0.95, 0.90, 0.12, {"AX": -0.010, "BZ": 0.001, "CX": 0.0})),  # reduction under 15%
        (3, run(2, 0.94, 0.95, 0.20, {"AX": 0.016, "BZ": -0.001, "CX": 0.0})),  # lower fill; AX 1.6 over
    ]
    summary = robustness_summary(runs)
    assert [row["held"] for row in summary["runs"]] == [True, False, False]
    assert summary["runs_held"] == 1
    assert summary["runs"][2]["classes_off_target"] == ["AX"]
    assert summary["inventory_reduction"]["min"] == 0.12 and summary["inventory_reduction"]["max"] == 0.20
    assert summary["inventory_reduction"]["mean"] == pytest.approx((0.17 + 0.12 + 0.20) / 3)
    assert set(summary["class_gaps"]) == {"AX", "BZ"}  # CX has under 200 SKU-locations
    assert summary["class_gaps"]["AX"]["min"] == -0.010 and summary["class_gaps"]["AX"]["max"] == 0.016
    assert summary["max_abs_gap"] == pytest.approx(0.016)
