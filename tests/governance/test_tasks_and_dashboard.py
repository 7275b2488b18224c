"""Scheduled tasks and the KPI dashboard."""

from datetime import date, timedelta

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from governance.kpis import kpi_snapshot_compute
from governance.models import DriftReport, KpiSnapshot
from governance.tasks import acceptance_model_train_task, drift_report_task, kpi_snapshot_task
from tests import factories as base

from . import factories as f

pytestmark = pytest.mark.django_db


def test_schedules_are_registered_in_the_one_place():
    tasks = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert {
        "governance.tasks.kpi_snapshot_task",
        "governance.tasks.drift_report_task",
        "governance.tasks.acceptance_model_train_task",
    } <= tasks


def test_drift_task_runs_once_a_month_unless_forced():
    first = drift_report_task.delay().get()
    assert first is not None
    assert drift_report_task.delay().get() is None  # already ran this month
    assert drift_report_task.delay(force=True).get() != first
    assert DriftReport.objects.count() == 2


def test_kpi_task_writes_todays_snapshot_and_training_task_waits_for_data():
    # the first run backfills 26 weekly points, later runs write one day
    kpi_snapshot_task.delay(on="2026-06-30").get()
    assert KpiSnapshot.objects.filter(kpi="fill_rate", dimension="").count() == 27
    rows = kpi_snapshot_task.delay(on="2026-07-01").get()
    assert rows == KpiSnapshot.objects.filter(on=date(2026, 7, 1)).count() and rows >= 12
    assert acceptance_model_train_task.delay().get() is None


def test_dashboard_shows_trend_data_and_names_the_proxies(client):
    item, supplier, loc = base.item(), base.supplier(), base.location()
    today = timezone.localdate()
    f.receipt(item=item, supplier=supplier, location=loc, ordered=today - timedelta(days=9), received=today)
    f.receipt(
        item=item,
        supplier=supplier,
        location=loc,
        ordered=today - timedelta(days=40),
        received=today - timedelta(days=21),
    )
    kpi_snapshot_compute(on=today - timedelta(days=14))
    kpi_snapshot_compute(on=today)
    client.force_login(f.user("manager"))
    response = client.get(reverse("governance:kpis"))
    assert response.status_code == 200
    series = response.context["chart_data"]["order_cycle_time"]["all"]
    assert series == [[(today - timedelta(days=14)).isoformat(), 19.0], [today.isoformat(), 14.0]]
    html = response.content.decode()
    assert html.count('class="proxy"') >= 6 and "Proxy: days from purchase-order date" in html
    assert "vendor/chart-4.6.1.umd.min.js" in html and "cdn" not in html.lower()


def test_run_drift_checks_now_answers_htmx_with_the_refreshed_results(client):
    client.force_login(f.user("manager"))
    page = client.get(reverse("governance:drift")).content.decode()
    assert 'hx-post="/governance/drift/"' in page and 'class="htmx-indicator"' in page
    response = client.post(reverse("governance:drift"), HTTP_HX_REQUEST="true")
    html = response.content.decode()
    # the region with the last report and the findings, not a whole page or a redirect
    assert (
        response.status_code == 200
        and "<html" not in html
        and html.lstrip().startswith('<div id="drift-results">')
    )
    assert "Drift checks done." in html and 'id="last-report"' in html and DriftReport.objects.count() == 1
    # without htmx the same button posts and comes back to the page
    assert client.post(reverse("governance:drift")).status_code == 302
