"""exceptions_refresh: one live exception per type and SKU-location, updated in place, closed when it lapses,
audited, automated by policy, wired to the plan and posting signals."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from exceptions.models import Decision, PlanningException, RoutingRule, Status
from exceptions.services import exception_approve, exception_reject, exceptions_refresh
from governance.models import AutomationPolicy
from integrations.models import OutboxMessage
from integrations.signals import posting_completed
from replenish import models as m
from replenish.core.audit import verify_chain
from replenish.core.models import AuditEvent
from replenish.signals import plan_run_completed
from tests import factories as f
from tests.exceptions import factories as xf

pytestmark = pytest.mark.django_db


def live(il, kind="stockout_risk"):
    return PlanningException.objects.exclude(status=Status.CLOSED).get(item_location=il, type=kind)


def test_refresh_creates_one_exception_updates_it_in_place_and_audits_its_creation(users):
    buyer = users["buyer1"]
    run = xf.plan_run()
    il, plan, rec = xf.stockout_case(run=run, buyer=buyer)
    result = exceptions_refresh(run=run)
    exc = live(il)
    assert result.created == 1 and exc.recommendation_id == rec.pk
    assert (exc.owner_team, exc.owner_id, exc.buyer_id, exc.location_id) == (
        "procurement",
        buyer.pk,
        buyer.pk,
        il.location_id,
    )
    assert exc.proposal["quantity"] == 240 and exc.proposal["supplier_name"] == "Acme Fasteners"
    created = AuditEvent.objects.get(kind="recommendation", subject_type="exception", subject_id=str(exc.pk))
    assert created.payload["recommendation_id"] == rec.pk
    # a new run with a worse position: the same row is updated, its version only moves when the proposal changes
    run2 = xf.plan_run()
    xf.sku_plan(run=run2, item_location=il, inventory_position=60.0, stockout_probability=0.8)
    rec2 = xf.recommendation(run=run2, item_location=il, supplier=rec.supplier, action="transfer")
    exceptions_refresh(run=run2)
    again = live(il)
    assert again.pk == exc.pk
    assert again.value_at_stake > exc.value_at_stake
    assert again.recommendation_id == rec2.pk and again.version == exc.version + 1  # new recommendation
    run3 = xf.plan_run()
    xf.sku_plan(run=run3, item_location=il, inventory_position=60.0, stockout_probability=0.8)
    xf.recommendation(run=run3, item_location=il, supplier=rec.supplier, quantity=300, action="transfer")
    exceptions_refresh(run=run3)
    assert live(il).pk == exc.pk and live(il).proposal["quantity"] == 300
    assert PlanningException.objects.filter(item_location=il).count() == 1
    # the same plan again: nothing to rewrite
    again = exceptions_refresh(run=run3)
    assert (again.updated, again.unchanged, again.created) == (0, 1, 0)
    assert verify_chain()[1] is None


def test_refresh_closes_what_no_longer_holds_but_keeps_what_awaits_posting(users):
    buyer = users["buyer1"]
    run = xf.plan_run()
    il_a, _, _ = xf.stockout_case(run=run, buyer=buyer)
    il_b, _, _ = xf.stockout_case(run=run, buyer=buyer)
    exceptions_refresh(run=run)
    approved = exception_approve(exception=live(il_b), actor=buyer, version=1)
    # next run: neither runs out any more
    run2 = xf.plan_run()
    for il in (il_a, il_b):
        xf.sku_plan(run=run2, item_location=il, projected_stockout_date=None, inventory_position=300.0)
    result = exceptions_refresh(run=run2)
    assert result.closed == 1
    assert PlanningException.objects.get(item_location=il_a).status == Status.CLOSED
    assert PlanningException.objects.get(pk=approved.pk).status == Status.APPROVED


def test_rejected_is_not_raised_again_until_the_suppression_window_passes(users):
    buyer = users["buyer1"]
    run = xf.plan_run()
    il, _, _ = xf.stockout_case(run=run, buyer=buyer)
    exceptions_refresh(run=run)
    rejected = exception_reject(exception=live(il), actor=buyer, version=1, reason_code="forecast_too_high")
    exceptions_refresh(run=run)
    assert live(il).pk == rejected.pk and live(il).status == Status.REJECTED
    PlanningException.objects.filter(pk=rejected.pk).update(decided_at=timezone.now() - timedelta(days=8))
    exceptions_refresh(run=run)
    fresh = live(il)
    assert fresh.pk != rejected.pk and fresh.status == Status.OPEN
    assert PlanningException.objects.get(pk=rejected.pk).status == Status.CLOSED


def test_a_snooze_that_ran_out_reopens_at_the_refresh(users):
    run = xf.plan_run()
    il, _, _ = xf.stockout_case(run=run, buyer=users["buyer1"])
    exceptions_refresh(run=run)
    PlanningException.objects.filter(item_location=il).update(
        status=Status.SNOOZED, snoozed_until=timezone.localdate()
    )
    exceptions_refresh(run=run)
    exc = live(il)
    assert exc.status == Status.OPEN and exc.snoozed_until is None


def test_partial_refresh_touches_only_its_sku_locations(users):
    run = xf.plan_run()
    il_a, _, _ = xf.stockout_case(run=run, buyer=users["buyer1"])
    il_b, _, _ = xf.stockout_case(run=run, buyer=users["buyer1"])
    exceptions_refresh(run=run)
    m.SkuPlan.objects.filter(run=run).update(projected_stockout_date=None, inventory_position=300.0)
    m.Recommendation.objects.filter(run=run).delete()
    exceptions_refresh(run=run, item_location_ids=[il_a.pk])
    assert PlanningException.objects.get(item_location=il_a).status == Status.CLOSED
    assert PlanningException.objects.get(item_location=il_b).status == Status.OPEN


def test_automation_policy_executes_in_bulk_with_decision_audit_and_outbox(users):
    AutomationPolicy.objects.all().delete()
    AutomationPolicy.objects.create(
        name="All A-class transfers",
        action="transfer",
        abc_classes="A",
        xyz_classes="X",
        min_supplier_reliability=0.0,
        max_value=Decimal("100000"),
        min_confidence=0.0,
        require_no_quality_flags=False,
        effective_from=timezone.localdate(),
    )
    run = xf.plan_run()
    il, _, rec = xf.stockout_case(run=run, buyer=users["buyer1"])
    il_c, _, _ = xf.stockout_case(run=run, buyer=users["buyer1"], abc="C")  # not covered: a person decides
    result = exceptions_refresh(run=run)
    assert result.auto_executed == 1
    exc = live(il)
    assert exc.status == Status.AUTO_EXECUTED and exc.version == 2
    decision = Decision.objects.get(exception=exc)
    assert decision.actor is None and decision.action == "auto_execute" and decision.version == 1
    assert AuditEvent.objects.filter(kind="auto_execution", subject_id=str(exc.pk)).count() == 1
    message = OutboxMessage.objects.get(subject_type="exception", subject_id=str(exc.pk))
    assert message.idempotency_key == f"exception-{exc.pk}-transfer_order"  # one key per exception action
    assert message.kind == "transfer_order" and message.payload["quantity"] == 240
    assert live(il_c).status == Status.OPEN
    assert "ABC class C" in live(il_c).explanation["automation"]["reason"]


def test_large_refresh_audits_each_creation_in_one_batch_and_a_view_writes_nothing(users, settings, client):
    settings.EXCEPTIONS_AUDIT_EACH_MAX = 2
    run = xf.plan_run()
    cases = [xf.stockout_case(run=run, buyer=users["buyer1"]) for _ in range(3)]
    exceptions_refresh(run=run)
    batch = AuditEvent.objects.get(kind="recommendation", action="create_batch")
    assert batch.payload["count"] == 3
    ids = {row[0] for row in batch.payload["exceptions"]}
    assert ids == set(PlanningException.objects.values_list("pk", flat=True))
    assert not AuditEvent.objects.filter(kind="recommendation", subject_type="exception").exists()
    first = live(cases[0][0])
    assert first.creation_audited is False
    events_before = AuditEvent.objects.count()

    # when a buyer opens the exception twice: a GET writes nothing
    client.force_login(users["buyer1"])
    assert client.get(f"/queue/{first.pk}/").status_code == 200
    client.get(f"/queue/{first.pk}/")
    assert AuditEvent.objects.count() == events_before

    # and the exception's audit timeline shows its creation: its own row of the run's batch event
    from governance.selectors import recommendation_timeline

    timeline = recommendation_timeline(subject_type="exception", subject_id=first.pk)
    (created,) = [e for e in timeline["entries"] if e.title.endswith("create batch")]
    assert created.sequence == batch.sequence
    assert created.detail["created"]["exception_id"] == first.pk  # its row, by the batch's column names
    assert created.detail["created"]["recommendation_id"] == first.recommendation_id
    assert verify_chain()[1] is None


def test_routing_rules_and_default_teams(users):
    run = xf.plan_run()
    supervisor = users["supervisor1"]
    il, _, _ = xf.stockout_case(run=run, buyer=users["buyer1"])
    RoutingRule.objects.create(
        priority=1, type="stockout_risk", location=il.location, team="warehouse_control", owner=supervisor
    )
    other, _, _ = xf.stockout_case(run=run, buyer=users["buyer2"])
    customer = f.customer(service_tier=f.service_tier(code="platinum", penalty_per_late_line=Decimal("150")))
    order = m.SalesOrder.objects.create(
        external_id="SO1",
        number="SO1",
        customer=customer,
        location=other.location,
        order_date=timezone.localdate(),
    )
    m.SalesOrderLine.objects.create(
        external_id="SOL1",
        order=order,
        line_number=1,
        item=other.item,
        quantity_ordered=20,
        unit_price=Decimal("16"),
        requested_ship_date=timezone.localdate(),
        status="backordered",
    )
    exceptions_refresh(run=run)
    assert (live(il).owner_team, live(il).owner_id) == ("warehouse_control", supervisor.pk)
    assert (live(other).owner_team, live(other).owner_id) == ("procurement", users["buyer2"].pk)
    at_risk = live(other, "order_at_risk")
    assert at_risk.owner_team == "customer_service" and at_risk.owner_id is None
    # penalties: 150 per late line + 0 % of the line's value
    assert Decimal(at_risk.value_parts["tier_penalties"]) == Decimal("150.00")
    # the units the stock on hand cannot cover today (no inbound), at the line's margin (16.00 - the item's cost),
    # never its revenue
    other.refresh_from_db()
    short = 20 - other.on_hand
    assert 0 < short < 20 and at_risk.explanation["facts"]["tiered_lines"] == 1
    margin = Decimal("16") - other.item.unit_cost
    assert Decimal(at_risk.value_parts["order_exposure"]) == (short * margin).quantize(Decimal("0.01"))


def test_plan_run_signal_refreshes_after_commit_and_posting_signal_marks_posted(
    users, django_capture_on_commit_callbacks
):
    run = xf.plan_run()
    il, _, _ = xf.stockout_case(run=run, buyer=users["buyer1"])
    with django_capture_on_commit_callbacks(execute=True):
        plan_run_completed.send(sender=m.PlanRun, run=run, item_location_ids=None)
    exc = live(il)
    exception_approve(exception=exc, actor=users["buyer1"], version=exc.version)  # relay not run: no commit
    message = OutboxMessage.objects.get(subject_id=str(exc.pk))
    posting_completed.send(sender=OutboxMessage, message=message, ok=True, outcome={"erp_po": "4500012"})
    exc.refresh_from_db()
    assert exc.status == Status.POSTED and exc.outcome["erp_po"] == "4500012"
    posting_completed.send(
        sender=OutboxMessage, message=message, ok=False, outcome={"error": "late duplicate"}
    )
    exc.refresh_from_db()
    assert exc.status == Status.POSTED  # a repeated outcome changes nothing


def test_supplier_decline_is_one_supplier_level_exception_with_its_exposure(users, client):
    from scipy import stats

    def lead_time_demand(weekly, weekly_sd, lead, lead_sd, review=1.0):  # over lead time + review, by hand
        days = lead + review
        return weekly / 7 * days, (days * weekly_sd**2 / 7 + (weekly / 7) ** 2 * lead_sd**2) ** 0.5

    def expected_shortage(position, mean, sd):
        k = (position - mean) / sd
        return sd * (stats.norm.pdf(k) - k * stats.norm.sf(k))

    run = xf.plan_run()
    buyer = users["buyer1"]
    il, plan, _ = xf.stockout_case(
        run=run, buyer=buyer, projected_stockout_date=None, inventory_position=150.0
    )
    supplier = m.SupplierItem.objects.get(item=il.item).supplier
    today = timezone.localdate()

    def receipt(days_ago: int, lead: int):
        received = today - timedelta(days=days_ago)
        m.Receipt.objects.create(
            external_id=f"R{f.n()}",
            supplier=supplier,
            item=il.item,
            location=il.location,
            quantity=10,
            order_date=received - timedelta(days=lead),
            received_date=received,
        )

    for i in range(12):
        receipt(120 + 20 * i, 10)
    for i in range(6):
        receipt(5 + 10 * i, 20)
    exceptions_refresh(run=run)
    exc = PlanningException.objects.get(type="supplier_decline")
    assert exc.item_location is None and exc.supplier == supplier and exc.buyer == buyer
    assert exc.explanation["facts"]["recent_mean"] == pytest.approx(20.0)
    assert "lead time up from 10.0 to 20.0 days" in exc.explanation["summary"]
    mean, sd = lead_time_demand(70.0, 14.0, 14.0, 3.0)
    mean2, sd2 = lead_time_demand(
        70.0, 14.0, 24.0, 3.0
    )  # +10 days; recent sd is 0 (all 20), the plan's 3 kept
    delta = expected_shortage(150.0, mean2, sd2) - expected_shortage(150.0, mean, sd)
    assert Decimal(exc.value_parts["lost_margin"]) == pytest.approx(
        Decimal(str(round(delta * 6.0, 2))), abs=Decimal("0.01")
    )
    # a partial refresh leaves supplier-level exceptions alone; a full one closes it when the drift is gone
    exceptions_refresh(run=run, item_location_ids=[il.pk])
    assert PlanningException.objects.get(pk=exc.pk).status == Status.OPEN
    client.force_login(buyer)
    body = client.get("/queue/").content.decode()
    assert f'id="row-{exc.pk}"' in body and "All items" in body
    assert client.get(f"/queue/{exc.pk}/").status_code == 200
    m.Receipt.objects.filter(
        received_date__gte=today - timedelta(days=91)
    ).delete()  # no recent evidence left
    exceptions_refresh(run=run)
    assert PlanningException.objects.get(pk=exc.pk).status == Status.CLOSED


def test_refresh_command_reports_what_it_did(users):
    from io import StringIO

    from django.core.management import CommandError, call_command

    with pytest.raises(CommandError, match="No current plan run"):
        call_command("exceptions_refresh")
    run = xf.plan_run()
    xf.stockout_case(run=run, buyer=users["buyer1"])
    out = StringIO()
    call_command("exceptions_refresh", stdout=out)
    assert f"Run {run.pk}: 1 created, 0 updated" in out.getvalue() and "stockout_risk 1" in out.getvalue()


def test_a_refresh_of_a_run_that_stops_being_current_stops(users, monkeypatch):
    from exceptions.refresh import jobs

    run = xf.plan_run()
    xf.stockout_case(run=run, buyer=users["buyer1"])
    monkeypatch.setattr(jobs, "ITEM_CHUNK", 1)  # one chunk per item
    xf.stockout_case(run=run, buyer=users["buyer1"])
    real = jobs._compute
    calls = []

    def newer_run_arrives(chunk, ctx, full):
        calls.append(chunk)
        if len(calls) == 1:
            done = real(chunk, ctx, full)
            xf.plan_run()  # becomes current: this run is superseded
            return done
        return real(chunk, ctx, full)

    monkeypatch.setattr(jobs, "_compute", newer_run_arrives)
    result = exceptions_refresh(run=run)
    assert result.superseded and result.chunks == 1 and result.created == 1


def test_a_dispatched_refresh_runs_its_chunks_as_tasks_and_finishes_once(
    users, monkeypatch, django_capture_on_commit_callbacks
):
    from exceptions.models import RefreshChunk
    from exceptions.refresh import exceptions_refresh_dispatch, jobs

    monkeypatch.setattr(jobs, "ITEM_CHUNK", 1)  # one chunk per item: three chunks
    run = xf.plan_run()
    ils = [xf.stockout_case(run=run, buyer=users["buyer1"])[0] for _ in range(3)]
    finishes = []
    real = jobs._finish_tasks
    monkeypatch.setattr(jobs, "_finish_tasks", lambda *a: finishes.append(1) or real(*a))
    with django_capture_on_commit_callbacks(
        execute=True
    ):  # Celery runs eager in the tests: the group runs here
        batch = exceptions_refresh_dispatch(run=run)
    chunks = RefreshChunk.objects.filter(batch=batch).order_by("number")
    assert [c.status for c in chunks] == ["done"] * 4 and len(finishes) == 1
    assert set(live(il).status for il in ils) == {Status.OPEN}
    # a chunk delivered again (acks_late after a worker died) changes nothing, and the finish does not run again
    assert jobs.chunk_compute(chunk_id=chunks[1].pk) is None and len(finishes) == 1
    assert chunks[0].result["result"]["created"] == 3
