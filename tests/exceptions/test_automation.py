"""Human review only where it pays (issue 12 item 3): the default automation policies execute low-value, confident
actions at the refresh and post them through the outbox, as decisions of the system naming their policy; a policy
added later executes the open tasks no person touched; a task with nothing to execute below the floor is not opened;
the attention report counts what people must still look at."""

from decimal import Decimal

import pytest
from django.utils import timezone

from exceptions.attention_report import attention_summary
from exceptions.models import Decision, PlanningException, Status, TeamSetting
from exceptions.services import exception_snooze, exceptions_refresh
from governance.models import AutomationPolicy
from integrations.models import OutboxMessage
from replenish.core.audit import verify_chain
from replenish.core.models import AuditEvent
from tests.exceptions import factories as xf

pytestmark = pytest.mark.django_db


def live(il):
    return PlanningException.objects.exclude(status=Status.CLOSED).get(item_location=il)


def small_transfer(run, buyer, **plan_kw):
    """A stockout whose recommendation moves 20 units at 10.00 (spend 200 + freight 46): within the default
    "Transfers between our warehouses" policy's 5,000."""
    il, plan, rec = xf.stockout_case(run=run, buyer=buyer, **plan_kw)
    rec.quantity = 20
    rec.save(update_fields=["quantity"])
    return il


def test_the_seeded_policies_execute_a_small_confident_transfer_and_post_it(users, default_policies):
    policy = AutomationPolicy.objects.get(name="Transfers between our warehouses")  # seeded by the migration
    assert (policy.max_value, policy.max_amount, policy.min_confidence) == (
        Decimal("250"),
        Decimal("5000"),
        0.35,
    )
    run = xf.plan_run()
    # a tiny shortage (position just under the reorder point, P(stockout) 0.05): its value is under 250
    small = small_transfer(run, users["buyer1"], stockout_probability=0.05, inventory_position=160.0)
    big, _, big_rec = xf.stockout_case(run=run, buyer=users["buyer1"], stockout_probability=0.05)
    big_rec.quantity = 600  # spends 6,000 + freight
    big_rec.save(update_fields=["quantity"])
    result = exceptions_refresh(run=run)
    exc = live(small)
    assert exc.value_at_stake <= policy.max_value and exc.confidence >= policy.min_confidence
    assert result.auto_executed == 1 and exc.status == Status.AUTO_EXECUTED and exc.version == 2
    decision = Decision.objects.get(exception=exc)
    # a decision of the system (no person), naming its policy
    assert decision.actor is None and decision.action == "auto_execute" and decision.version == 1
    assert decision.after["policy"] == policy.name and decision.after["policy_id"] == policy.pk
    event = AuditEvent.objects.get(kind="auto_execution", subject_id=str(exc.pk))
    assert event.payload["policy"] == policy.name and event.payload["amount"] == exc.proposal["amount"]
    message = OutboxMessage.objects.get(subject_type="exception", subject_id=str(exc.pk))
    assert message.kind == "transfer_order" and message.payload["quantity"] == 20
    assert message.payload["decided_by"] == "automation"
    assert event.payload["outbox_key"] == message.idempotency_key
    # the 6,000 transfer spends more than the policy allows: a person decides, and the row says why
    other = live(big)
    assert other.status == Status.OPEN
    spend = 600 * 10.00 + 40 + 0.03 * 6000  # goods + transfer freight (flat + 3 %)
    assert f"it spends {spend:,.2f}, above the limit 5,000.00" in other.explanation["automation"]["reason"]
    assert verify_chain()[1] is None


def test_a_policy_added_later_executes_the_untouched_open_tasks_only(users):
    AutomationPolicy.objects.all().delete()
    run = xf.plan_run()
    untouched = small_transfer(run, users["buyer1"])
    snoozed = small_transfer(run, users["buyer1"])
    exceptions_refresh(run=run)
    assert live(untouched).status == Status.OPEN
    assert "No automation policy" in live(untouched).explanation["automation"]["reason"]
    task = live(snoozed)
    exception_snooze(
        exception=task,
        actor=users["buyer1"],
        version=task.version,
        until=timezone.localdate() + timezone.timedelta(days=1),
    )
    PlanningException.objects.filter(pk=task.pk).update(snoozed_until=timezone.localdate())  # it ran out
    AutomationPolicy.objects.create(
        name="Any transfer",
        action="transfer",
        abc_classes="ABC",
        xyz_classes="XYZ",
        min_supplier_reliability=0.0,
        max_value=Decimal("100000"),
        min_confidence=0.0,
        require_no_quality_flags=False,
        effective_from=timezone.localdate(),
    )
    before = live(untouched).version
    result = exceptions_refresh(run=run)
    exc = live(untouched)
    assert result.auto_executed == 1
    assert exc.status == Status.AUTO_EXECUTED and exc.version == before + 1 and exc.decided_at is not None
    assert Decision.objects.get(exception=exc).version == before
    assert (
        OutboxMessage.objects.get(subject_id=str(exc.pk)).idempotency_key
        == f"exception-{exc.pk}-transfer_order"
    )
    assert exc.explanation["automation"]["policy"] == "Any transfer"
    # the snoozed one woke up, but a person decided on it: it stays theirs
    assert live(snoozed).status == Status.OPEN
    # a second refresh executes nothing twice
    assert exceptions_refresh(run=run).auto_executed == 0
    assert OutboxMessage.objects.filter(subject_id=str(exc.pk)).count() == 1


def test_nothing_to_execute_below_the_floor_is_not_a_task(users):
    TeamSetting.objects.update(value_floor=Decimal("100"))
    run = xf.plan_run()
    quiet = {"projected_stockout_date": None, "stockout_probability": 0.0}
    # 70 a week, order-up-to 400: excess above 400 + 8 x 70 = 960 units; no PO line to stop, so what waiting costs
    # is the holding of the excess over one decision horizon (14 + 1 days) at 25 % a year on 10.00
    small_il, large_il = xf.network(buyer=users["buyer1"], n=2)
    xf.sku_plan(run=run, item_location=small_il, inventory_position=1500.0, **quiet)  # 540 excess
    xf.sku_plan(run=run, item_location=large_il, inventory_position=5000.0, **quiet)  # 4,040 excess
    small_holding = 540 * 10.0 * 0.25 * (15 / 7) / 52  # 55.63: under the floor
    large_holding = 4040 * 10.0 * 0.25 * (15 / 7) / 52  # 416.21
    exceptions_refresh(run=run)
    assert not PlanningException.objects.filter(item_location=small_il).exists()
    task = live(large_il)
    assert task.type == "excess" and float(task.value_at_stake) == pytest.approx(large_holding, abs=0.01)
    assert small_holding < 100 < large_holding
    # the stock is used up: the task's value falls under the floor, and it closes
    run2 = xf.plan_run()
    xf.sku_plan(run=run2, item_location=large_il, inventory_position=1500.0, **quiet)
    exceptions_refresh(run=run2)
    assert PlanningException.objects.get(item_location=large_il).status == Status.CLOSED


def test_the_attention_report_counts_what_people_must_still_look_at(users):
    TeamSetting.objects.update(value_floor=Decimal("100"))
    buyer = users["buyer1"]
    statuses = {
        "open_above": (Status.OPEN, "150.00"),
        "review_above": (Status.IN_REVIEW, "120.00"),
        "open_low": (Status.OPEN, "20.00"),
        "awaiting": (Status.AWAITING_APPROVAL, "500.00"),
        "snoozed": (Status.SNOOZED, "300.00"),
        "auto": (Status.AUTO_EXECUTED, "30.00"),
        "line": (Status.IN_DRAFT, "40.00"),
        "closed": (Status.CLOSED, "900.00"),
    }
    for status, value in statuses.values():
        exc = xf.exception(status=status, value_at_stake=Decimal(value), owner=buyer)
        if status == Status.AUTO_EXECUTED:
            Decision.objects.create(
                exception=exc, actor=None, action="auto_execute", version=1, after={"proposal": exc.proposal}
            )
    summary = attention_summary()
    # 8 SKU-locations (one per task); people must still look at 5 tasks: 2 above the floor, 1 low, 1 awaiting
    # approval, 1 snoozed (the auto-executed one, the draft PO's line and the closed one are not theirs)
    assert summary["sku_locations"] == 8
    assert summary["tabs"] == {"above_floor": 2, "low_value": 1, "awaiting_approval": 1, "snoozed": 1}
    assert summary["open_human_tasks"] == 5 and summary["open_human_share"] == pytest.approx(5 / 8)
    assert summary["auto_executed"] == 1 and summary["auto_executed_by_action"] == {"purchase_order": 1}
    assert summary["draft_po_lines"] == 1
    mine = summary["buyers"]["buyer1"]
    assert (mine["todo"], mine["later"], mine["low_value"], mine["awaiting_approval"]) == (2, 0, 1, 1)
    assert mine["todo_within_capacity"] is True
