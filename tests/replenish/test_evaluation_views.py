"""The simulation report pages: who sees them, what they show, the exports."""

import json

import numpy as np
import pandas as pd
import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from replenish.engine import simulate as sim
from replenish.evaluation.selectors import simulation_report_list
from replenish.evaluation.services import simulation_report_create
from replenish.evaluation.simulation import assemble_report
from replenish.services import demo_users_ensure

pytestmark = pytest.mark.django_db


@pytest.fixture
def users():
    demo_users_ensure(locations=1, buyers=1)
    return {u.username: u for u in get_user_model().objects.all()}


def small_report() -> dict:
    """Two policies on three series over 4 days without replenishment (numbers worked out in test_evaluation)."""

    def run(extra: float) -> sim.SimulationResult:
        scenario = sim.Scenario(
            demand=np.array([[10.0] * 4, [1.0] * 4, [2.0] * 4]),
            lead_times=np.full((3, 4), 50),
            initial_on_hand=[20.0 + extra, 4.0, 0.0],
            unit_cost=[1.0, 3.0, 2.0],
        )
        return sim.simulate(scenario, sim.InventoryPolicy(reorder_point=-100, order_up_to=-50))

    plan = pd.DataFrame(
        {
            "abc": ["A", "A", "C"], "xyz": ["X", "X", "Z"], "demand_class": ["smooth"] * 3,
            "service_target": [0.98, 0.95, 0.90], "target_type": ["fill_rate", "fill_rate", "cycle"],
        }
    )  # fmt: skip
    labels = pd.DataFrame(
        {"segment": ["AX", "AX", "CZ"], "abc": ["A", "A", "C"], "demand_class": ["smooth"] * 3}
    )
    report = assemble_report({"static": run(0.0), "dynamic": run(20.0)}, labels, plan, measured_days=4)
    report.update(
        kind="simulation",
        currency="USD",
        notes=["A test report."],
        timings={"total": 1.0},
        peak_memory_mb=10.0,
        parameters={"demand": "generated", "weeks": 1, "n_series": 3, "plans": 1, "plan_as_of": "2026-11-23",
                    "seed": 1, "warmup_weeks": 0, "measured_days": 4, "replan_weeks": 0},
    )  # fmt: skip
    return report


def test_buyer_sees_the_report_list_and_page_with_the_figures(client, users):
    row = simulation_report_create(report=small_report(), source="test")
    client.force_login(users["buyer1"])

    # list
    response = client.get(reverse("simulation_report_list"))
    assert response.status_code == 200
    assert f"#{row.pk}".encode() in response.content
    assert b"dynamic: +178.6% inventory" in response.content  # 19.5 against 7.0 at cost: 2.786x

    # report page: static fills 24/44 in AX (54.5%) against a 97.7% target, dynamic 100%
    response = client.get(reverse("simulation_report_detail", args=[row.pk]))
    page = response.content.decode()
    assert response.status_code == 200
    assert "54.5%" in page and "97.7% fill rate" in page
    assert "tradeoff-chart" in page and "vendor/chart-4.6.1.umd.min.js" in page
    assert "not met" in page
    data = response.context["chart"]["datasets"]
    assert [d["policy"] for d in data] == ["static", "dynamic"]
    assert data[0]["points"][0] == {"label": "All", "x": 7.0, "y": round(24 / 52, 5)}


def test_exports_png_html_and_json(client, users):
    report = small_report()
    row = simulation_report_create(report=report, source="test")
    client.force_login(users["manager1"])

    png = client.get(reverse("simulation_report_export", args=[row.pk, "png"]))
    assert png["Content-Type"] == "image/png" and png.content[:8] == b"\x89PNG\r\n\x1a\n"
    html = client.get(reverse("simulation_report_export", args=[row.pk, "html"]))
    assert b"data:image/png;base64," in html.content and b"54.5%" in html.content
    assert "attachment" in html["Content-Disposition"]
    exported = json.loads(client.get(reverse("simulation_report_export", args=[row.pk, "json"])).content)
    assert exported["policies"]["static"]["total"]["unit_fill_rate"] == pytest.approx(24 / 52)
    assert client.get(reverse("simulation_report_export", args=[row.pk, "exe"])).status_code == 404


def test_roles_without_the_reports_are_refused_and_the_nav_link_follows_roles(client, users):
    row = simulation_report_create(report=small_report(), source="test")
    client.force_login(users["supervisor1"])
    assert client.get(reverse("simulation_report_list")).status_code == 403
    assert client.get(reverse("simulation_report_detail", args=[row.pk])).status_code == 403
    assert client.get(reverse("simulation_report_export", args=[row.pk, "json"])).status_code == 403
    assert reverse("simulation_report_list").encode() not in client.get(reverse("item_location_list")).content

    client.force_login(users["auditor1"])
    assert reverse("simulation_report_list").encode() in client.get(reverse("item_location_list")).content
    assert client.get(reverse("simulation_report_detail", args=[row.pk + 1])).status_code == 404

    client.logout()
    assert client.get(reverse("simulation_report_list")).status_code == 302


def test_report_list_selector_is_one_query_and_filters_by_kind(users, django_assert_num_queries):
    simulation_report_create(report=small_report(), source="test")
    simulation_report_create(report={**small_report(), "kind": "backtest"}, source="test")
    buyer = users["buyer1"]
    buyer.groups.all()  # role lookup below is cached per call; load it outside the count
    with django_assert_num_queries(2):  # the user's groups (role), then the reports with their creator
        rows = list(simulation_report_list(user=buyer, kind="backtest"))
    assert [r.kind for r in rows] == ["backtest"]
    assert rows[0].acceptance["dynamic"]["met"] is False  # read from the JSON without loading all results
    assert list(simulation_report_list(user=users["supervisor1"])) == []


def test_htmx_filter_returns_the_list_region_only(client, users):
    simulation_report_create(report=small_report(), source="test")
    client.force_login(users["buyer1"])
    response = client.get(reverse("simulation_report_list") + "?kind=backtest", HTTP_HX_REQUEST="true")
    page = response.content.decode()
    assert page.lstrip().startswith('<div id="report-list">')
    assert "No reports yet" in page  # only a simulation exists


def test_the_report_page_shows_each_class_over_the_seeds_with_its_interval(client, users):
    # given a report whose sweep holds three seeds: dynamic achieved 0.95, 0.96, 0.97 in AX (target 0.97)
    from scipy import stats

    from replenish.evaluation.sweep import summarize

    def run(seed: int, achieved: float) -> dict:
        return {
            "seed": seed,
            "target_level": None,
            "totals": {"dynamic": {"unit_fill_rate": achieved, "avg_on_hand_value": 1.0}},
            "acceptance": {
                "dynamic": {"inventory_reduction": 0.2, "inventory_reduction_at_equal_fill": None}
            },
            "attainment": {
                "dynamic": {
                    "AX": {"target": 0.97, "achieved": achieved, "gap": achieved - 0.97, "demand_units": 1}
                }
            },
            "n_series": {"AX": 300},
        }

    report = small_report()
    report["sweep"] = summarize([run(1, 0.95), run(2, 0.96), run(3, 0.97)])
    row = simulation_report_create(report=report, source="test")
    client.force_login(users["manager1"])

    page = client.get(reverse("simulation_report_detail", args=[row.pk])).content.decode()

    # then the mean 96.0%, its Student-t interval computed here, the gap -1.0 pts, on the page and in the export
    low, high = stats.t.interval(0.95, 2, loc=0.96, scale=stats.sem([0.95, 0.96, 0.97]))
    interval = f"{100 * low:.1f}% to {100 * high:.1f}%"
    assert "over simulation seeds 1, 2, 3" in page
    assert interval in page and "96.0%" in page and "-1.0 pts" in page
    html = client.get(reverse("simulation_report_export", args=[row.pk, "html"])).content.decode()
    assert interval in html and "over simulation seeds 1, 2, 3" in html
