"""The other flows end to end: constrained allocation (audited), substitutes, labor bottleneck from WMS imports,
supplier decline -> sourcing review + safety-stock proposal through approval, stockout tasks and the automation
policy, and the screens."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from guardian.shortcuts import assign_perm

from exceptions.workflows.allocation import allocation_run
from exceptions.workflows.labor import labor_check
from exceptions.workflows.models import AllocationLine, CustomerServiceTask, DomainEvent, WorkflowTask
from exceptions.workflows.supplier import supplier_decline_review, workflow_task_approve
from integrations.edi_ingest import edi_ingest
from integrations.files.importers import file_import
from integrations.models import InboxMessage
from replenish import models as m
from replenish.core.errors import NotAllowed
from replenish.core.models import AuditEvent
from tests import factories as f
from tests.integrations import factories as ff

from . import factories as wf

pytestmark = pytest.mark.django_db(transaction=True)


def test_constrained_allocation_across_branches_is_optimal_and_audited():
    net = wf.network(on_hand=6, inbound=5)  # allocation shares stock on hand
    branch = f.location(code="BR2")
    f.item_location(item=net.item, location=branch, on_hand=2, static_min=0)
    # 8 available in total; the gold contract line wants 6 (fill promise 0.95 -> minimum 6), two standard lines 4 each
    gold = wf.sales_line(
        net, customer=net.gold, quantity=6, requested_in=2, number="SO-G", unit_price=Decimal("12")
    )
    rich = wf.sales_line(
        net,
        customer=net.standard,
        quantity=4,
        requested_in=3,
        number="SO-R",
        unit_price=Decimal("20"),
        location=branch,
    )
    poor = wf.sales_line(
        net, customer=net.standard, quantity=4, requested_in=3, number="SO-P", unit_price=Decimal("14")
    )
    summary = allocation_run(item_id=net.item.pk)
    assert summary["constrained"] and summary["shortfall"] == 0
    got = {
        a.sales_order_line_id: a for a in AllocationLine.objects.filter(allocation_key=summary["allocation"])
    }
    # contract first (6 to gold), then the higher margin line (20 - 10 > 14 - 10) takes the remaining 2
    assert got[gold.pk].allocated == 6 and got[rich.pk].allocated == 2 and got[poor.pk].allocated == 0
    assert "contract minimum 6: 6 met first" in got[gold.pk].rationale
    assert got[poor.pk].rationale.startswith("0 of 4 allocated")
    audited = AuditEvent.objects.filter(action="allocation_line", payload__allocation=summary["allocation"])
    assert audited.count() == 3
    # the allocation screen shows each line's rationale
    from django.test import Client

    client = Client()
    client.force_login(ff.user("customer_service"))
    page = client.get(reverse("workflows:allocation_detail", args=[summary["allocation"]])).content.decode()
    assert got[gold.pk].rationale in page and "SO-R/1" in page


def test_unconstrained_allocation_writes_nothing():
    net = wf.network(on_hand=50)
    wf.sales_line(net, customer=net.gold, quantity=6, requested_in=2, number="SO-G")
    assert allocation_run(item_id=net.item.pk)["constrained"] is False
    assert not AllocationLine.objects.exists()


def test_at_risk_line_shows_declared_substitute_first_then_family():
    net = wf.network(on_hand=0, inbound=10, promised_in=2)
    net.item.attributes = {"size": "M"}
    net.item.save()
    other = f.location(code="DC9")
    family = f.item(sku="WID-FAM", family=net.item.family, attributes={"size": "M"})
    f.item_location(item=family, location=net.location, on_hand=30)
    declared = f.item(sku="WID-DECL", family="OTHER")
    f.item_location(item=declared, location=other, on_hand=12)
    f.item(sku="WID-L", family=net.item.family, attributes={"size": "L"})  # different attributes: not offered
    net.item.substitutes.add(declared)
    wf.sales_line(net, customer=net.gold, quantity=8, requested_in=3, number="SO-S")
    edi_ingest(data=wf.asn_856(net, arrival_in=12), filename="slip.x12")
    task = CustomerServiceTask.objects.get()
    subs = task.substitutes
    assert [s["sku"] for s in subs] == ["WID-DECL", "WID-FAM"]
    assert (
        subs[0]["basis"] == "declared substitute" and subs[0]["transfer_from"] == "DC9" and subs[0]["covers"]
    )
    assert subs[1]["how"] == "at this location" and subs[1]["available_here"] == 30


def _csv(rows: list[str]) -> bytes:
    return ("\n".join(rows) + "\n").encode()


def test_labor_bottleneck_from_wms_imports_resequences_and_exports(client):
    net = wf.network(on_hand=100)
    day = wf.today()
    wf.sales_line(net, customer=net.gold, quantity=10, requested_in=0, number="SO-L")
    for sku in ("HOT-1", "COLD-1"):
        f.item_location(item=f.item(sku=sku), location=net.location, on_hand=5)
    tasks = file_import(
        kind="wms_tasks",
        filename="tasks.csv",
        data=_csv(
            [
                "task_id,kind,location,sku,quantity,due_at,priority",
                f"T1,pick,DC1,HOT-1,40,{day}T13:00:00,5",
                f"T2,pick,DC1,WID-1,40,{day}T13:00:00,5",
                f"T3,replenishment,DC1,COLD-1,300,{day}T10:00:00,8",
                f"T4,putaway,DC1,WID-1,100,{day}T20:00:00,5",
            ]
        ),
    )
    assert tasks.status == InboxMessage.Status.APPLIED, tasks.errors
    labor = file_import(
        kind="labor_capacity",
        filename="labor.csv",
        data=_csv(["location,date,shift,available_hours", f"DC1,{day},day,0.5"]),
    )
    assert labor.status == InboxMessage.Status.APPLIED, labor.errors
    # the import itself raised the domain event (integrations.signals.wms_applied), processed through Celery
    event = DomainEvent.objects.get(message_id=labor.pk)
    assert event.kind == DomainEvent.Kind.WMS_CAPACITY and event.payload["day"] == str(day)
    assert event.status == DomainEvent.Status.PROCESSED
    task = WorkflowTask.objects.get(kind=WorkflowTask.Kind.LABOR_RESEQUENCE)
    seq = task.payload["sequence"]
    # backlog: 12 + 12 + 36 + 14 min = 74 min > 30 min of labor
    assert task.payload["backlog_hours"] == pytest.approx(74 / 60, abs=1e-3)
    assert [r["task_id"] for r in seq if not r["deferred"]] == [
        "T2",
        "T1",
        "T4",
    ]  # gold exposure on WID-1 first
    assert [r["task_id"] for r in seq if r["deferred"]] == ["T3"]
    assert AuditEvent.objects.filter(
        subject_type="workflow_task", subject_id=str(task.pk), action="labor_resequence_created"
    ).exists()
    # the sequence exported for the WMS
    supervisor = ff.user("warehouse_supervisor")
    assign_perm("replenish.view_location", supervisor, net.location)
    client.force_login(supervisor)
    response = client.get(reverse("warehouse:labor_sequence_csv", args=[task.pk]))
    lines = response.content.decode().strip().splitlines()
    assert lines[0].startswith("task_id,kind,sequence,action")
    assert lines[1].startswith("T2,pick,1,release") and lines[-1].startswith("T3,replenishment,,defer")
    # capacity raised: the bottleneck clears and the task closes
    file_import(
        kind="labor_capacity",
        filename="labor2.csv",
        data=_csv(["location,date,shift,available_hours", f"DC1,{day},day,8"]),
    )
    assert labor_check(location_id=net.location.pk, day=day) is None
    task.refresh_from_db()
    assert task.status == WorkflowTask.Status.CLOSED


def _receipts(net, lead_times: list[int], end: date):
    for k, lt in enumerate(lead_times):
        received = end - timedelta(days=k * 3 + 1)
        m.Receipt.objects.create(
            external_id=f"R{f.n()}",
            supplier=net.supplier,
            item=net.item,
            location=net.location,
            quantity=10,
            order_date=received - timedelta(days=lt),
            received_date=received,
        )


def test_supplier_decline_creates_review_and_safety_stock_proposal_needing_a_manager():
    net = wf.network()
    ff.supplier_item(supplier=net.supplier, item=net.item, part="A-1", is_primary=True)
    today = wf.today()
    _receipts(net, [10, 10, 11, 9, 10], end=today - timedelta(days=120))  # baseline ~10 days
    _receipts(net, [17, 18, 16, 17], end=today)  # recent ~17 days: +7 days drift
    run = m.PlanRun.objects.create(status="complete", is_current=True)
    m.SkuPlan.objects.create(
        run=run,
        item_location=net.il,
        demand_class="smooth",
        abc="A",
        xyz="X",
        method="ses",
        forecast_weekly=70.0,
        forecast_sd_weekly=14.0,
        lead_time_mean=10.0,
        lead_time_sd=1.0,
        lead_time_source="receipts",
        target_type="cycle",
        service_target=0.95,
        safety_stock=30.0,
        reorder_point=130.0,
        order_up_to=200.0,
        order_quantity=70.0,
        inventory_position=100.0,
        stockout_probability=0.1,
    )
    # when an 855 from the supplier arrives (its event triggers the review)
    message = edi_ingest(data=wf.ack_855(net, delivery_in=4, status="IA"), filename="ack.x12")
    event = DomainEvent.objects.get(message_id=message.pk)
    reviews = event.results["supplier_reviews"]
    assert reviews[0]["declining"] is True
    # the event re-planned the SKU-location with the engine; pin its plan to known figures and review again
    m.SkuPlan.objects.filter(run=run, item_location=net.il).update(
        forecast_weekly=70.0,
        forecast_sd_weekly=14.0,
        lead_time_mean=10.0,
        lead_time_sd=1.0,
        service_target=0.95,
        safety_stock=30.0,
    )
    supplier_decline_review(supplier_id=net.supplier.pk)
    assert (
        WorkflowTask.objects.filter(kind=WorkflowTask.Kind.SOURCING_REVIEW).count() == 1
    )  # refreshed in place
    review = WorkflowTask.objects.get(kind=WorkflowTask.Kind.SOURCING_REVIEW)
    assert "lead time 10.0 -> 17.0 days" in review.title
    proposal = WorkflowTask.objects.get(kind=WorkflowTask.Kind.SAFETY_STOCK_CHANGE)
    assert proposal.status == WorkflowTask.Status.AWAITING_APPROVAL
    change = proposal.payload["changes"][0]
    # independent: d = 10/day, sd_d = 14/sqrt(7); L' = 17, sd_L' = max(1, pstdev(17,18,16,17))
    import statistics

    from scipy.stats import norm

    sd_l = max(1.0, statistics.pstdev([17, 18, 16, 17]))
    sd = (17 * (14 / 7**0.5) ** 2 + 100 * sd_l**2) ** 0.5
    assert change["proposed_safety_stock"] == pytest.approx(norm.ppf(0.95) * sd, abs=0.01)
    assert change["predicted_service"] == pytest.approx(norm.cdf(30 / sd), abs=1e-4)
    # a buyer may not approve it (refusal audited); a manager may, as a policy change
    buyer = ff.user("buyer")
    proposal.required_role = "manager"
    proposal.payload["required_rank"] = 2
    proposal.save()
    with pytest.raises(NotAllowed):
        workflow_task_approve(task=proposal, actor=buyer)
    assert AuditEvent.objects.filter(kind="refused", subject_id=str(proposal.pk)).exists()
    done = workflow_task_approve(task=proposal, actor=ff.user("manager"))
    assert done.status == WorkflowTask.Status.DONE
    assert AuditEvent.objects.filter(
        kind="policy_change", action="safety_stock_change_approved", subject_id=str(proposal.pk)
    ).exists()
    # the approved floor takes effect: stored on the SKU-location, and the re-plan after commit honours it
    il = m.ItemLocation.objects.get(pk=change["item_location_id"])
    assert il.safety_stock_floor == pytest.approx(change["proposed_safety_stock"])
    replanned = m.SkuPlan.objects.get(run__is_current=True, item_location=il)
    assert replanned.safety_stock >= change["proposed_safety_stock"] - 1e-6
    assert "safety_stock_floor" in replanned.flags or replanned.safety_stock > change["proposed_safety_stock"]


def test_supplier_without_drift_gets_no_review():
    net = wf.network()
    _receipts(net, [10, 10, 11, 9, 10], end=wf.today() - timedelta(days=120))
    _receipts(net, [10, 11, 10], end=wf.today())
    assert supplier_decline_review(supplier_id=net.supplier.pk)["declining"] is False
    assert not WorkflowTask.objects.exists()


def _plan(run, il, **kw):
    defaults = dict(
        demand_class="smooth",
        abc="C",
        xyz="X",
        method="ses",
        forecast_weekly=7.0,
        forecast_sd_weekly=2.0,
        mase=0.3,
        bias=0.0,
        lead_time_mean=10.0,
        lead_time_sd=1.0,
        lead_time_source="receipts",
        target_type="cycle",
        service_target=0.95,
        safety_stock=5.0,
        reorder_point=15.0,
        order_up_to=30.0,
        order_quantity=15.0,
        inventory_position=5.0,
        stockout_probability=0.6,
        projected_stockout_date=wf.today() + timedelta(days=4),
    )
    return m.SkuPlan.objects.create(run=run, item_location=il, **{**defaults, **kw})


def test_service_queue_screen_and_contact_action(client, django_assert_max_num_queries):
    net = wf.network(on_hand=5, inbound=20, promised_in=3)
    wf.sales_line(net, customer=net.gold, quantity=15, requested_in=5, number="SO-1")
    edi_ingest(data=wf.asn_856(net, arrival_in=10), filename="asn.x12")
    task = CustomerServiceTask.objects.get()
    client.force_login(ff.user("buyer"))
    assert client.get(reverse("workflows:service_queue")).status_code == 403
    agent = ff.user("customer_service")
    client.force_login(agent)
    # (15: the navigation's queue count reads the team floors, the capacity and today's decisions, cached a minute)
    assert client.get(reverse("workflows:service_queue"))["Location"] == reverse("workspace-service")
    # a fixed number, whatever the rows (the navigation's counts, the list, its count, the actions done, the
    # queue's decided tasks of their SKU-locations)
    with django_assert_max_num_queries(21):
        page = client.get(reverse("workspace-service"))
    body = page.content.decode()
    # 10 late units at 5.00 margin + gold's 50.00 + 10% of their 150.00 value
    assert "SO-1/1" in body and "115.00" in body and str(task.new_promise_date) in body
    response = client.post(
        reverse("workflows:service_contact", args=[task.pk]),
        {"version": task.version},
        HTTP_HX_REQUEST="true",
    )
    assert "queue-changed" in response["HX-Trigger"]
    task.refresh_from_db()
    assert task.status == "contacted" and task.handled_by == agent
    stale = client.post(
        reverse("workflows:service_contact", args=[task.pk]), {"version": 1}, HTTP_HX_REQUEST="true"
    )
    assert "changed since you opened it" in stale.content.decode()


def test_balance_drop_from_a_file_raises_a_stockout_task_end_to_end():
    from replenish.planning.refresh import plan_refresh
    from replenish.scenario.generate import ScenarioSpec
    from replenish.scenario.load import scenario_load

    scenario_load(ScenarioSpec(skus=30, locations=2, weeks=60, seed=5, as_of=wf.today()))
    run = plan_refresh()
    busiest = (
        m.SkuPlan.objects.filter(run=run)
        .order_by("-forecast_weekly")
        .select_related("item_location__item", "item_location__location")
        .first()
    )
    il = busiest.item_location
    # when the ERP reports the shelf empty
    message = file_import(
        kind="balances",
        filename="bal.csv",
        data=_csv(["sku,location,on_hand,allocated,backordered", f"{il.item.sku},{il.location.code},0,0,0"]),
    )
    assert message.status == InboxMessage.Status.APPLIED, message.errors
    event = DomainEvent.objects.get(message_id=message.pk)
    assert event.status == DomainEvent.Status.PROCESSED and event.item_location_ids == [il.pk]
    plan = m.SkuPlan.objects.get(run__is_current=True, item_location=il)
    assert plan.projected_stockout_date is not None and plan.inventory_position < plan.reorder_point
    # the SKU-location's one task (its exceptions, refreshed by the re-plan): no second workflow task for it
    from exceptions.models import PlanningException

    task = PlanningException.objects.exclude(status="closed").get(subject_key=f"sku:{il.pk}")
    assert task.type in ("stockout_risk", "reorder_due") and task.explanation["summary"]
    assert not WorkflowTask.objects.filter(item_location=il).exists()


def test_task_screens_filter_by_team_and_refuse_a_low_rank_approval(client):
    net = wf.network()
    proposal = WorkflowTask.objects.create(
        kind=WorkflowTask.Kind.SAFETY_STOCK_CHANGE,
        status=WorkflowTask.Status.AWAITING_APPROVAL,
        dedupe_key="safety_stock:x",
        owner_team="procurement",
        supplier=net.supplier,
        required_role="manager",
        value_at_stake=Decimal("9000.00"),
        title="Raise safety stock of 3 SKU-locations of ACME",
        payload={"required_rank": 2, "requirement": "New purchase order above 5,000: Manager", "changes": []},
    )
    WorkflowTask.objects.create(
        kind=WorkflowTask.Kind.LABOR_RESEQUENCE,
        dedupe_key="labor:x",
        owner_team="warehouse_control",
        title="DC1 backlog",
        payload={"sequence": []},
    )
    buyer = ff.user("buyer")
    client.force_login(buyer)
    page = client.get(reverse("workflows:task_list")).content.decode()
    assert "Raise safety stock" in page and "DC1 backlog" not in page  # a buyer sees procurement tasks only
    refused = client.post(reverse("workflows:task_approve", args=[proposal.pk]))
    assert refused.status_code == 403 and "needs a manager" in refused.content.decode()
    proposal.refresh_from_db()
    assert proposal.status == WorkflowTask.Status.AWAITING_APPROVAL
    client.force_login(ff.user("manager"))
    assert client.post(reverse("workflows:task_approve", args=[proposal.pk])).status_code == 200
    proposal.refresh_from_db()
    assert proposal.status == WorkflowTask.Status.DONE
    events = client.get(reverse("workflows:event_list")).content.decode()
    assert "No events yet." in events
    client.force_login(buyer)
    assert client.get(reverse("workflows:event_list")).status_code == 403
