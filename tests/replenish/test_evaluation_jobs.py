"""Simulations and backtests started from the screen: a Celery task with progress on its report row."""

from datetime import date

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from replenish.core.models import AuditEvent
from replenish.evaluation import jobs
from replenish.models import SimulationReport
from replenish.scenario.generate import ScenarioSpec
from replenish.scenario.load import scenario_load
from replenish.services import demo_users_ensure

from .test_evaluation_views import small_report

pytestmark = pytest.mark.django_db
AS_OF = date(2026, 11, 23)


@pytest.fixture
def users():
    demo_users_ensure(locations=1, buyers=1)
    return {u.username: u for u in get_user_model().objects.all()}


def test_a_manager_starts_a_backtest_and_gets_its_report(client, users, django_capture_on_commit_callbacks):
    # given a small network with history
    scenario_load(ScenarioSpec(skus=60, locations=2, weeks=60, seed=11, as_of=AS_OF))
    client.force_login(users["manager1"])
    # when the manager starts a 13-week backtest (the task runs inside the request in tests)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("simulation_start"), {"kind": "backtest", "weeks": "13", "seed": "3"})
    # then the report is complete, its page shows the results, and both the start and the result are audited
    row = SimulationReport.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/simulation/{row.pk}/"
    assert (row.status, row.progress, row.source, row.created_by) == (
        "complete",
        100,
        "web",
        users["manager1"],
    )
    assert row.results["kind"] == "backtest" and row.parameters["seed"] == 3
    assert "static" in row.results["policies"] and row.finished_at is not None
    page = client.get(response["Location"]).content.decode()
    assert "Backtest #" in page and 'id="job-progress"' not in page
    actions = set(AuditEvent.objects.filter(subject_id=str(row.pk)).values_list("action", flat=True))
    assert actions == {"backtest_started", "backtest_report"}


def test_progress_follows_the_phases_of_the_evaluation(
    client, users, monkeypatch, django_capture_on_commit_callbacks
):
    # 26 weeks + 13 of warm-up re-planned weekly: 39 plans, after the calibration; 3 policies and the frontier
    messages = [
        "2,000 SKU-locations, 39 weeks to simulate",
        "service calibration on 26 weeks of history: 12 groups",
        *[f"plan {i} (period {i - 1}) in 0.1 s" for i in range(1, 40)],
        "static: simulated in 1.0 s",
        "dynamic: simulated in 1.0 s",
        "dynamic_plus: simulated in 1.0 s",
        "static min-max frontier: simulated in 2.0 s",
    ]
    seen = []

    def fake_simulation(**kwargs):
        for message in messages:
            kwargs["progress"](message)
            seen.append(SimulationReport.objects.values_list("progress", "message").get())
        return small_report()

    monkeypatch.setattr(jobs, "simulation_run", fake_simulation)
    client.force_login(users["manager1"])
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("simulation_start"), {"kind": "simulation", "weeks": "26", "seed": "1"})
    percents = [p for p, _ in seen]
    # reading 5%, calibration 40%, the 39 plans 35% between them, the 4 simulations the last 20% (capped at 95)
    assert percents[0] == 5 and "calibrating the service targets" in seen[0][1]
    assert percents[1] == 45
    assert percents[21] == int(45 + 35 * 20 / 39)
    assert percents[40] == 80
    assert percents[-2:] == [95, 95]
    assert percents == sorted(percents)
    assert SimulationReport.objects.get().status == "complete"
    assert SimulationReport.objects.get().progress == 100


def test_the_progress_view_polls_until_done_then_moves_to_the_report(client, users):
    client.force_login(users["buyer1"])
    row = SimulationReport.objects.create(kind="simulation", status="running", progress=42, message="plan 3")
    partial = client.get(reverse("simulation_progress", args=[row.pk]), HTTP_HX_REQUEST="true")
    html = partial.content.decode()
    assert 'value="42"' in html and "plan 3" in html and 'hx-trigger="every 1s"' in html
    assert client.get(reverse("simulation_report_detail", args=[row.pk])).status_code == 200
    assert client.get(reverse("simulation_report_export", args=[row.pk, "json"])).status_code == 404
    SimulationReport.objects.filter(pk=row.pk).update(status="complete", progress=100, results=small_report())
    done = client.get(reverse("simulation_progress", args=[row.pk]), HTTP_HX_REQUEST="true")
    assert done["HX-Redirect"] == f"/simulation/{row.pk}/"


def test_refusals_name_the_problem_and_start_nothing(client, users):
    client.force_login(users["buyer1"])
    assert client.post(reverse("simulation_start"), {"kind": "simulation", "weeks": "26"}).status_code == 403
    client.force_login(users["manager1"])
    response = client.post(reverse("simulation_start"), {"kind": "simulation", "weeks": "7"}, follow=True)
    assert "Weeks must be one of 13, 26, 52 (got 7)." in response.content.decode()
    response = client.post(reverse("simulation_start"), {"kind": "backtest", "weeks": "x"}, follow=True)
    assert "Weeks and seed must be whole numbers." in response.content.decode()
    assert not SimulationReport.objects.exists()
    SimulationReport.objects.create(kind="simulation", status="running", progress=5)
    response = client.post(reverse("simulation_start"), {"kind": "backtest", "weeks": "13"}, follow=True)
    assert "already running" in response.content.decode()
    assert SimulationReport.objects.count() == 1


def test_a_failed_run_says_why_on_its_page(client, users, django_capture_on_commit_callbacks):
    # no network at all: the evaluation refuses, the row keeps the reason
    client.force_login(users["manager1"])
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("simulation_start"), {"kind": "backtest", "weeks": "13"})
    row = SimulationReport.objects.get()
    assert row.status == "failed" and row.error
    page = client.get(reverse("simulation_report_detail", args=[row.pk])).content.decode()
    assert "The backtest failed:" in page and row.error.split(":")[0] in page


def test_a_run_whose_process_ended_is_failed_and_no_longer_blocks_new_ones(client, users):
    from datetime import timedelta

    from django.utils import timezone

    client.force_login(users["manager1"])
    long_ago = timezone.now() - timedelta(minutes=40)
    orphan = SimulationReport.objects.create(kind="simulation", status="running", progress=30)
    SimulationReport.objects.filter(pk=orphan.pk).update(created_at=long_ago, progressed_at=long_ago)
    recent = timezone.now() - timedelta(minutes=5)
    alive = SimulationReport.objects.create(kind="simulation", status="running", progress=30)
    SimulationReport.objects.filter(pk=alive.pk).update(created_at=long_ago, progressed_at=recent)
    assert jobs.evaluation_jobs_orphaned_fail() == 1
    orphan.refresh_from_db()
    assert orphan.status == "failed" and "no progress for 15 minutes" in orphan.error
    assert SimulationReport.objects.get(pk=alive.pk).status == "running"  # still reporting: left alone


def test_the_page_of_an_orphaned_run_says_so_and_stops_polling(client, users):
    from datetime import timedelta

    from django.utils import timezone

    client.force_login(users["manager1"])
    long_ago = timezone.now() - timedelta(minutes=40)
    row = SimulationReport.objects.create(kind="backtest", status="running", progress=30)
    SimulationReport.objects.filter(pk=row.pk).update(created_at=long_ago, progressed_at=long_ago)
    page = client.get(reverse("simulation_report_detail", args=[row.pk])).content.decode()
    assert "the process running this backtest has ended" in page and 'hx-trigger="every 1s"' not in page
    listing = client.get(reverse("simulation_report_list")).content.decode()
    assert 'title="A run is in progress"' not in listing  # the buttons are free to start a new one
