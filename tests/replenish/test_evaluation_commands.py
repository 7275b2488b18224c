"""The simulate and backtest commands on a small generated scenario, and the replay of real imported demand."""

import json
from datetime import date
from io import StringIO
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from django.core.management import call_command

from replenish.core.models import AuditEvent
from replenish.evaluation.simulation import simulation_run
from replenish.models import SimulationReport
from replenish.scenario.generate import ScenarioSpec
from replenish.scenario.load import scenario_load

AS_OF = date(2026, 11, 23)
CARPARTS = Path(__file__).resolve().parents[1] / "fixtures" / "carparts-half.csv"


@pytest.fixture
def network(db):
    scenario_load(ScenarioSpec(skus=150, locations=2, weeks=60, seed=11, as_of=AS_OF))


def run_json(command: str, *args: str) -> dict:
    out = StringIO()
    call_command(command, *args, "--json", stdout=out, stderr=StringIO())
    return json.loads(out.getvalue())


@pytest.mark.slow  # measured over 5 s
def test_simulate_command_compares_policies_on_the_same_generated_weeks_and_saves_the_report(network):
    # when
    report = run_json("simulate", "--weeks", "6", "--warmup-weeks", "2", "--replan-weeks", "3")

    # then: every policy faced the same demand: the scenario's generating process, 8 new weeks
    totals = {name: data["total"] for name, data in report["policies"].items()}
    assert list(totals) == ["static", "dynamic", "dynamic_plus"]
    assert len({t["demand_units"] for t in totals.values()}) == 1
    assert len({t["demand_lines"] for t in totals.values()}) == 1
    assert totals["static"]["demand_units"] > 0
    assert report["parameters"]["plan_as_of"] == AS_OF.isoformat()  # the plan saw only the stored history
    assert report["parameters"]["plans"] == 3  # simulated weeks 0, 3, 6
    assert report["parameters"]["measured_days"] == 42
    # per class rows add up to the total
    for name, data in report["policies"].items():
        assert sum(row["demand_units"] for row in data["by_segment"].values()) == pytest.approx(
            totals[name]["demand_units"]
        )
        assert sum(row["n_series"] for row in data["by_abc"].values()) == 300
    # only the third policy expedites; DistOps transfers only to the branches it supplies from their item's hub
    assert totals["static"]["expedites"] == totals["dynamic"]["expedites"] == 0
    assert totals["static"]["transfers_in"] == 0
    assert totals["dynamic"]["transfers_in"] == totals["dynamic"]["transfers_out"]
    assert set(report["acceptance"]) == {"dynamic", "dynamic_plus"}
    # stored, with its audit event
    row = SimulationReport.objects.get(pk=report["report_id"])
    assert row.kind == "simulation" and row.parameters["weeks"] == 6
    assert AuditEvent.objects.filter(subject_type="simulation_report", subject_id=str(row.pk)).count() == 1


def test_same_seed_same_results_other_seed_other_demand(network):
    first = simulation_run(weeks=3, warmup_weeks=0, seed=5, policies=["static"], replan_weeks=0)
    again = simulation_run(weeks=3, warmup_weeks=0, seed=5, policies=["static"], replan_weeks=0)
    other = simulation_run(weeks=3, warmup_weeks=0, seed=6, policies=["static"], replan_weeks=0)
    assert first["policies"] == again["policies"]
    assert (
        other["policies"]["static"]["total"]["demand_units"]
        != first["policies"]["static"]["total"]["demand_units"]
    )


@pytest.mark.slow  # measured over 5 s
def test_simulate_command_prints_the_comparison_and_writes_the_exports(network, tmp_path):
    out = StringIO()
    png, html = tmp_path / "chart.png", tmp_path / "report.html"
    call_command(
        "simulate", "--weeks", "4", "--warmup-weeks", "0", "--policy", "static,dynamic", "--no-save",
        "--png", str(png), "--html", str(html), stdout=out, stderr=StringIO(),
    )  # fmt: skip
    text = out.getvalue()
    assert "static" in text and "dynamic" in text and "dynamic_plus" not in text
    assert "Acceptance" in text
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "Per class (ABC-XYZ)" in html.read_text()
    assert SimulationReport.objects.count() == 0


def test_backtest_reports_accuracy_against_naive_and_service_against_targets(network):
    # when
    report = run_json("backtest", "--holdout-weeks", "8", "--replan-weeks", "4")

    # then: the plan ran on the history before the held-out weeks
    assert report["kind"] == "backtest"
    assert report["parameters"]["plan_as_of"] == date(2026, 9, 28).isoformat()  # 8 weeks before the data end
    assert set(report["policies"]) == {"static", "dynamic"}
    # accuracy per demand class and method with the naive forecast's MASE on the same series
    rows = report["forecast_accuracy"]["by_demand_class"]
    selected = {r["demand_class"]: r for r in rows if r["method"] == "selected"}
    assert "all" in selected and selected["all"]["n_series"] > 0
    assert all(r["naive_mase_mean"] is not None for r in rows)
    assert {r["method"] for r in rows} - {"selected"}  # per-method rows too
    assert report["holdout_accuracy"]["by_demand_class"]["all"]["relative_mae"] > 0
    # the service comparison is the demand-weighted mean gap to target of each policy
    for name in ("static", "dynamic"):
        attained = [r for r in report["attainment"][name].values() if r["achieved"] is not None]
        weights = np.array([r["demand_units"] for r in attained])
        gaps = np.array([abs(r["achieved"] - r["target"]) for r in attained])
        assert report["attainment_summary"][name]["mean_abs_gap"] == pytest.approx(
            np.average(gaps, weights=weights), abs=1e-4
        )
    comparison = report["service_comparison"]
    assert comparison["dynamic_closer"] == (
        comparison["dynamic_mean_abs_gap"] < comparison["static_mean_abs_gap"]
    )
    assert SimulationReport.objects.filter(kind="backtest").count() == 1


@pytest.mark.slow  # measured over 5 s
@pytest.mark.django_db
def test_imported_real_monthly_demand_is_replayed():
    # given the real car-parts demand (1,337 parts, 51 months) imported as a wide monthly file
    call_command(
        "import_file", "demand", str(CARPARTS), "--format", "wide-monthly", "--location", "CP1",
        "--create-missing", stdout=StringIO(),
    )  # fmt: skip

    # when 26 weeks are held out: 6 months (Oct 2001 - Mar 2002)
    report = simulation_run(demand="actuals", location="CP1", weeks=26, policies=["static", "dynamic"])

    # then the replayed demand is exactly the file's last 6 months, for every policy
    wide = pd.read_csv(CARPARTS)
    expected = wide.iloc[-6:, 1:].fillna(0).to_numpy().sum()
    assert report["parameters"]["period"] == "month"
    assert report["parameters"]["plan_as_of"] == "2001-10-01"
    assert report["parameters"]["n_series"] == wide.shape[1] - 1
    for data in report["policies"].values():
        assert data["total"]["demand_units"] == expected
    # measured over the days of those months
    assert report["parameters"]["measured_days"] == (date(2002, 4, 1) - date(2001, 10, 1)).days
    # no ERP min-max in a demand file: the static policy is the ERP's rule, said so
    assert any("ERP's rule" in note for note in report["notes"])
