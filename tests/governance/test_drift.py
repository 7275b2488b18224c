"""Drift: PSI and lead-time shift against hand-computed values; the report opens findings managers can close."""

import math
from datetime import date, timedelta

import numpy as np
import pytest
from django.utils import timezone

from governance.drift import demand_bin_counts, drift_due, drift_report_run, lead_time_shift, psi
from governance.models import DriftFinding, DriftReport
from governance.services import drift_finding_close
from replenish.core.errors import NotAllowed
from replenish.core.models import AuditEvent
from replenish.models import DemandHistory
from tests import factories as base

from . import factories as f

LAST_WEEK = date(2026, 6, 1)  # a Monday


def test_psi_matches_the_formula_worked_by_hand():
    expected = 0.4 * math.log(0.9 / 0.5) + (-0.4) * math.log(0.1 / 0.5)
    assert psi(np.array([50, 50]), np.array([90, 10])) == pytest.approx(expected)
    assert psi(np.array([10, 20, 30]), np.array([1, 2, 3])) == pytest.approx(0.0)
    # an empty bin is floored, not infinite
    assert math.isfinite(psi(np.array([10, 0]), np.array([5, 5])))


def test_demand_bins_put_zero_weeks_first_then_reference_quantiles():
    ref, rec = demand_bin_counts(np.array([1, 2, 3, 4]), 4, np.array([1, 5, 6]), 1, bins=2)
    assert ref.tolist() == [4, 2, 2] and rec.tolist() == [1, 1, 2]


def test_lead_time_shift_flags_a_significant_longer_lead_time_only():
    rng = np.random.default_rng(1)
    reference = rng.normal(10, 1, 40).round()
    slower = rng.normal(15, 1, 12).round()
    result = lead_time_shift(reference, slower)
    assert result["flagged"] and result["shift_days"] == pytest.approx(slower.mean() - reference.mean())
    same = lead_time_shift(reference, rng.normal(10, 1, 12).round())
    assert not same["flagged"]
    assert lead_time_shift(reference, slower[:4]) is None  # too few recent receipts


def _demand(category: str, n: int, reference_qty: int, recent_qty: int) -> None:
    rows = []
    for _ in range(n):
        il = base.item_location(item=base.item(category=category), history_start=date(2024, 1, 1))
        for w in range(65):
            week = LAST_WEEK - timedelta(weeks=w)
            qty = recent_qty if w < 13 else reference_qty
            rows.append(DemandHistory(item_location=il, period_start=week, quantity=qty + (w % 3)))
    DemandHistory.objects.bulk_create(rows)


@pytest.mark.django_db
def test_report_flags_shifted_categories_and_refreshes_open_findings():
    # given: demand in Pumps jumps tenfold in the last 13 weeks, Valves is steady
    _demand("Pumps", 20, 2, 20)
    _demand("Valves", 20, 5, 5)
    # a supplier whose Pumps lead time went from ~10 to ~16 days
    supplier, loc = base.supplier(), base.location()
    item = base.item(category="Pumps")
    for i in range(30):
        received = LAST_WEEK - timedelta(days=100 + i * 5)
        f.receipt(
            item=item,
            supplier=supplier,
            location=loc,
            ordered=received - timedelta(days=10 + i % 2),
            received=received,
        )
    for i in range(8):
        received = LAST_WEEK - timedelta(days=i * 7)
        f.receipt(
            item=item,
            supplier=supplier,
            location=loc,
            ordered=received - timedelta(days=16 + i % 2),
            received=received,
        )
    # forecast error in Valves doubled between two full runs
    ils = [base.item_location(item=base.item(category="Valves")) for _ in range(3)]
    old = f.plan_run(finished_at=timezone.now() - timedelta(days=7))
    new = f.plan_run()
    for il in ils:
        f.sku_plan(run=old, item_location=il, mase=0.5)
        f.sku_plan(run=new, item_location=il, mase=1.0)
    # when
    report = drift_report_run()
    # then
    findings = {(x.kind, x.category, x.supplier_id) for x in DriftFinding.objects.filter(status="open")}
    assert findings == {
        ("demand_shift", "Pumps", None),
        ("lead_time_shift", "Pumps", supplier.pk),
        ("forecast_error", "Valves", None),
    }
    pumps = DriftFinding.objects.get(kind="demand_shift")
    assert pumps.score > 0.25 and "PSI" in pumps.message
    lead = DriftFinding.objects.get(kind="lead_time_shift")
    assert lead.metrics["shift_days"] == pytest.approx(16.5 - 10.5, abs=0.1) and "longer" in lead.message
    assert report.summary["demand_shift"] == {"checked": 2, "flagged": 1}
    assert AuditEvent.objects.filter(kind="system", action="drift_report").count() == 1
    # running again refreshes the open findings instead of duplicating them
    drift_report_run()
    assert DriftFinding.objects.count() == 3 and DriftReport.objects.count() == 2
    assert not drift_due(timezone.localdate())


@pytest.mark.django_db
def test_only_a_manager_closes_a_finding_and_refusals_are_logged():
    report = DriftReport.objects.create(run_at=timezone.now())
    finding = DriftFinding.objects.create(
        report=report,
        kind="demand_shift",
        category="Pumps",
        score=0.4,
        message="m",
        created_at=timezone.now(),
        last_seen_at=timezone.now(),
    )
    auditor = f.user("auditor")
    with pytest.raises(NotAllowed):
        drift_finding_close(actor=auditor, finding_id=finding.pk)
    assert AuditEvent.objects.get(kind="refused").actor == auditor
    manager = f.user("manager")
    drift_finding_close(actor=manager, finding_id=finding.pk, note="re-seasonalised")
    finding.refresh_from_db()
    assert (finding.status, finding.closed_by, finding.close_note) == ("closed", manager, "re-seasonalised")
    assert AuditEvent.objects.filter(kind="system", action="drift_finding_close").count() == 1
