"""The attention simulation (replenish/evaluation/attention.py, `simulate --attention K`): the share of the
unlimited-attention improvement captured, checked against hand-computed numbers, and the command on a small
generated scenario (unlimited attention is the plain DistOps run; planners never exceed their capacity)."""

import json
from datetime import date
from io import StringIO

import pandas as pd
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from replenish.evaluation.attention import attention_acceptance, share_captured
from replenish.scenario.generate import ScenarioSpec
from replenish.scenario.load import scenario_load

AS_OF = date(2026, 11, 23)


def test_share_captured_against_hand_computed_numbers():
    # fill points: static 90.0, unlimited 94.0, ranked 93.6 -> 3.6 / 4.0 = 0.9
    assert share_captured(93.6, 90.0, 94.0) == pytest.approx(0.9)
    # inventory value: static 2,000,000, unlimited 1,200,000, ranked 1,280,000 -> -720,000 / -800,000 = 0.9
    assert share_captured(1_280_000, 2_000_000, 1_200_000) == pytest.approx(0.9)
    # less inventory than unlimited attention: more than the whole improvement (1.05)
    assert share_captured(1_160_000, 2_000_000, 1_200_000) == pytest.approx(1.05)
    # worse than static: negative
    assert share_captured(89.0, 90.0, 94.0) == pytest.approx(-0.25)
    # unlimited attention changes nothing: no share
    assert share_captured(91.0, 90.0, 90.0) is None


def _row(ordering, fill, inventory):
    return {"ordering": ordering, "fill_share": fill, "inventory_share": inventory}


def test_acceptance_needs_90_percent_of_both_and_clearly_more_than_oldest_first():
    met = attention_acceptance(
        [_row("value", 0.93, 1.02), _row("oldest", 0.70, 1.10), _row("unlimited", 1, 1)]
    )
    assert met["met"] and met["beats_oldest"] and met["oldest_fill_share"] == 0.70
    low_fill = attention_acceptance([_row("value", 0.89, 1.0), _row("oldest", 0.5, 1.0)])
    assert not low_fill["met"] and not low_fill["fill_ok"] and low_fill["inventory_ok"]
    low_inventory = attention_acceptance([_row("value", 0.95, 0.85), _row("oldest", 0.5, 1.0)])
    assert not low_inventory["met"] and not low_inventory["inventory_ok"]
    close_to_oldest = attention_acceptance([_row("value", 0.95, 1.0), _row("oldest", 0.92, 1.0)])
    assert not close_to_oldest["met"] and close_to_oldest["beats_oldest"] is False
    assert not close_to_oldest["oldest_at_ceiling"]  # 92%: room for 5 points more
    # oldest first over 95%: no order can be 5 points ahead; the check stays not met and says why
    ceiling = attention_acceptance([_row("value", 0.99, 1.0), _row("oldest", 0.96, 1.0)])
    assert not ceiling["met"] and ceiling["oldest_at_ceiling"]
    from replenish.evaluation.text import attention_section

    report = {"attention": {**_attention_section(), "acceptance": ceiling}}
    text = "\n".join(attention_section(report))
    assert "NOT met" in text and "no order can be 5 points ahead" in text
    assert attention_acceptance([_row("oldest", 0.5, 1.0)]) is None


@pytest.fixture
def network(db):
    scenario_load(ScenarioSpec(skus=150, locations=2, weeks=60, seed=11, as_of=AS_OF))


ARGS = ("--weeks", "4", "--warmup-weeks", "1", "--replan-weeks", "0", "--no-frontier", "--no-calibration")


@pytest.mark.slow  # measured over 5 s
def test_simulate_attention_command_compares_orderings_on_the_same_draws(network):
    out = StringIO()
    call_command(
        "simulate", *ARGS, "--attention", "1", "--orderings", "value,oldest", "--no-automation", "--json",
        "--no-save", stdout=out, stderr=StringIO(),
    )  # fmt: skip
    report = json.loads(out.getvalue())
    section = report["attention"]
    rows = {row["ordering"]: row for row in section["rows"]}
    assert list(rows) == ["value", "oldest", "unlimited"]  # unlimited always runs: the share needs it
    assert section["planners"] == 3 and section["planner_source"] == "buyers"
    # unlimited attention is the plain DistOps run (same draws, every task executed)
    plain = report["policies"]["dynamic_plus"]["total"]
    for key in ("unit_fill_rate", "avg_on_hand_value", "expedites", "emergency_freight", "orders"):
        assert rows["unlimited"][key] == pytest.approx(plain[key])
    assert rows["unlimited"]["tasks_by_people"] == rows["unlimited"]["tasks"] > 0
    # the static row is the static policy's run
    static = report["policies"]["static"]["total"]
    assert section["static"]["unit_fill_rate"] == pytest.approx(static["unit_fill_rate"])
    # one decision per planner per day at most (a draft PO's lines are one), and some waited
    days = report["parameters"]["measured_days"]
    for name in ("value", "oldest"):
        assert rows[name]["decisions_by_people"] == pytest.approx(round(rows[name]["decisions_by_people"]))
        assert rows[name]["decisions_by_people"] <= 3 * days < rows[name]["tasks_by_people"]
        assert rows[name]["tasks_automatic"] == 0
        assert rows[name]["waited_share"] > 0
        # the shares follow from the rows' own figures
        expected = (rows[name]["unit_fill_rate"] - static["unit_fill_rate"]) / (
            plain["unit_fill_rate"] - static["unit_fill_rate"]
        )
        assert rows[name]["fill_share"] == pytest.approx(expected)
        expected = (rows[name]["avg_on_hand_value"] - static["avg_on_hand_value"]) / (
            plain["avg_on_hand_value"] - static["avg_on_hand_value"]
        )
        assert rows[name]["inventory_share"] == pytest.approx(expected)


@pytest.mark.parametrize(
    "args, message",
    [
        (("--attention", "-1"), "--attention must be 0 or more"),
        (("--attention", "5", "--orderings", "alphabetical"), "Unknown ordering alphabetical"),
        (("--attention", "5", "--planners", "0"), "--planners must be at least 1"),
    ],
)
def test_bad_attention_options_are_clear_errors(network, args, message):
    with pytest.raises(CommandError, match=message):
        call_command("simulate", *ARGS, *args, "--no-save", stdout=StringIO(), stderr=StringIO())


def _attention_section():
    """Static 90.0% fill, 2,000,000 inventory; unlimited 94.0%, 1,200,000; the ranking 93.6% (0.9 of the fill
    improvement), 1,280,000 (0.9 of the inventory's); oldest first 92.0% (0.5), 1,400,000 (0.75)."""

    def row(ordering, label, fill, inventory):
        return {
            "ordering": ordering, "label": label, "unit_fill_rate": fill, "line_fill_rate": fill - 0.01,
            "avg_on_hand_value": inventory, "expedites": 12.0, "emergency_freight": 3456.0, "orders": 100.0,
            "transfers_in": 0.0, "tasks": 200.0, "tasks_by_people": 150.0, "tasks_automatic": 10.0,
            "task_wait_days": 80.0, "waited_share": 0.2, "average_wait_days": 0.5,
            "fill_share": share_captured(100 * fill, 90.0, 94.0),
            "inventory_share": share_captured(inventory, 2_000_000, 1_200_000),
        }  # fmt: skip

    rows = [
        row("value", "DistOps ranking (value)", 0.936, 1_280_000),
        row("oldest", "Oldest first", 0.92, 1_400_000),
        row("unlimited", "Unlimited attention", 0.94, 1_200_000),
    ]
    return {
        "capacity": 50, "policy": "dynamic_plus", "planners": 3, "planner_source": "buyers", "automation": None,
        "static": {"label": "Static min-max (the ERP's)", "unit_fill_rate": 0.90, "avg_on_hand_value": 2_000_000},
        "rows": rows, "acceptance": attention_acceptance(rows),
    }  # fmt: skip


def test_report_page_and_export_show_the_attention_table(client, db):
    from django.contrib.auth import get_user_model
    from django.urls import reverse

    from replenish.evaluation.services import simulation_report_create
    from replenish.services import demo_users_ensure
    from tests.replenish.test_evaluation_views import small_report

    demo_users_ensure(locations=1, buyers=1)
    report = small_report()
    report["attention"] = _attention_section()
    row = simulation_report_create(report=report, source="test")
    client.force_login(get_user_model().objects.get(username="buyer1"))
    page = client.get(reverse("simulation_report_detail", args=[row.pk])).content.decode()
    assert "Attention: 50 tasks per planner per day" in page
    # the ranking's shares (90.0% of both), oldest first 50.0% of the fill improvement, 75.0% of the inventory's
    assert "captures 90.0% of the unlimited-attention fill improvement" in page
    assert "90.0% of its inventory improvement (oldest first: 50.0%" in page
    assert "at least 90% of both and clearly more than oldest first" in page
    assert 'id="attention-ceiling"' not in page  # oldest first at 50%: room to be ahead
    assert '<td class="num">75.0%</td>' in page and '<td class="num">1,280,000</td>' in page
    assert "3,456" in page  # emergency freight
    export = client.get(reverse("simulation_report_export", args=[row.pk, "html"])).content.decode()
    assert "Attention: 50 tasks per planner per day" in export and "90.0%" in export
    # oldest first over 95%: the page says why no order can be clearly ahead
    ceiling = report | {"attention": _attention_section()}
    ceiling["attention"]["acceptance"] = attention_acceptance(
        [_row("value", 0.99, 1.0), _row("oldest", 0.96, 1.0)]
    )
    ceiling_row = simulation_report_create(report=ceiling, source="test")
    page = client.get(reverse("simulation_report_detail", args=[ceiling_row.pk])).content.decode()
    assert "not clearly more than oldest first" in page and 'id="attention-ceiling"' in page
    # a report without the section shows none
    plain = simulation_report_create(report=small_report(), source="test")
    assert (
        'id="attention"'
        not in client.get(reverse("simulation_report_detail", args=[plain.pk])).content.decode()
    )


def test_the_start_form_takes_the_attention_and_the_job_passes_it_on(client, db, monkeypatch):
    from django.contrib.auth import get_user_model
    from django.urls import reverse

    from replenish.evaluation import jobs
    from replenish.models import SimulationReport
    from replenish.services import demo_users_ensure
    from tests.replenish.test_evaluation_views import small_report

    demo_users_ensure(locations=1, buyers=1)
    client.force_login(get_user_model().objects.get(username="manager1"))
    monkeypatch.setattr(jobs, "_dispatch", lambda report_id: None)  # the run is checked below, not here
    page = client.get(reverse("simulation_report_list")).content.decode()
    assert 'name="attention"' in page
    for bad in ("abc", "-3", "2.5", "10001"):
        response = client.post(
            reverse("simulation_start"), {"kind": "simulation", "weeks": "26", "attention": bad}, follow=True
        )
        assert f"Attention must be a whole number of tasks per planner per day, 0 to 10,000 (got {bad})." in (
            response.content.decode()
        )
    assert not SimulationReport.objects.exists()
    client.post(reverse("simulation_start"), {"kind": "simulation", "weeks": "26", "attention": "40"})
    row = SimulationReport.objects.get()
    assert row.parameters["attention"] == 40
    seen = {}

    def fake_run(**kwargs):
        seen.update(kwargs)
        return small_report()

    monkeypatch.setattr(jobs, "simulation_run", fake_run)
    jobs.evaluation_job_run(report_id=row.pk)
    assert seen["attention"].capacity == 40 and seen["attention"].automation
    # blank: no attention simulation
    client.post(reverse("simulation_start"), {"kind": "simulation", "weeks": "26", "attention": ""})
    assert SimulationReport.objects.order_by("-pk").first().parameters["attention"] is None


def test_value_fill_weighs_the_units_filled_by_their_price():
    import numpy as np

    from replenish.engine import simulate as sim
    from replenish.evaluation.attention import _measures

    # one day: series 0 fills 5 of 10 units at price 10, series 1 all 10 at price 1: (50 + 10) / (100 + 10)
    scenario = sim.Scenario(
        demand=np.array([[10.0], [10.0]]), lead_times=np.full((2, 1), 5), initial_on_hand=[5, 10]
    )
    result = sim.simulate(scenario, sim.InventoryPolicy(reorder_point=-1e9, order_up_to=-1e9))
    measures = _measures(result, np.array([10.0, 1.0]))
    assert measures["unit_fill_rate"] == pytest.approx(15 / 20)
    assert measures["value_fill_rate"] == pytest.approx(60 / 110)


def test_the_simulator_automates_by_the_policies_in_force_as_production_does(db):
    """The default policies of governance migration 0010 (value at most 250, confidence by action, a spend limit,
    supplier on time at least 80% for new POs) plus the older C-class one (value 500, confidence 0.8, supplier on
    time at least 90%)."""
    import numpy as np

    from governance.models import AutomationPolicy
    from replenish.engine import value as v
    from replenish.evaluation.attention import PolicyAutomation

    rule = PolicyAutomation(
        on=AS_OF,
        abc=np.array(["A", "A", "A", "B", "B", "B", "C"]),
        xyz=np.array(["X", "X", "X", "Y", "Y", "Z", "X"]),
        reliability=np.array([0.9, 0.9, 0.5, 0.0, 0.0, 0.9, 0.95]),
        confidence=np.array([0.6, 0.6, 0.6, 0.4, 0.4, 0.7, 0.82]),
        faults=[[], [], [], [], [], ["zero_cost"], []],
    )
    rows = np.arange(7)
    actions = np.array(
        [v.PURCHASE_ORDER] * 3 + [v.TRANSFER] * 2 + [v.EXPEDITE, v.PURCHASE_ORDER], dtype=object
    )
    values = np.array([100.0, 300.0, 100.0, 200.0, 200.0, 50.0, 400.0])
    amounts = np.array([1000.0, 1000.0, 1000.0, 4000.0, 6000.0, 500.0, 300.0])
    auto = rule(rows, actions, values, amounts)
    # 0: a routine PO within every limit; 1: value above 250; 2: supplier on time 50% < 80%; 3: a transfer at
    # confidence 0.4 >= 0.35 spending 4,000; 4: spends 6,000 > 5,000; 5: a data-quality fault; 6: a C-class X PO
    # worth 400 at confidence 0.82 with a supplier on time 95%: the older policy's (up to 500, at least 0.8)
    assert auto.tolist() == [True, False, False, True, False, False, True]
    assert (rule.cases, rule.executed) == (7, 3)
    # deactivating the policies stops the executions, as in production
    AutomationPolicy.objects.update(active=False)
    assert not rule(rows, actions, values, amounts).any()


def test_the_simulated_draft_pos_are_the_refreshs_supplier_and_ship_to_pairs():
    from replenish.evaluation.attention import draft_groups

    series = pd.DataFrame({"supplier_id": [3, 3, 3, 4, None], "location_id": [1, 1, 2, 1, 1]})
    groups = draft_groups(series)
    # (3, 1) twice, (3, 2), (4, 1): three drafts; no supplier: none
    assert groups[0] == groups[1] and len({groups[0], groups[2], groups[3]}) == 3 and groups[4] == -1
