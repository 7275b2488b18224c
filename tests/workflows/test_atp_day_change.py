"""The customer-service queue on the first refresh of a day: where an at-risk line's promise moves with today its task
is rewritten; the tasks, their versions and their audit events (one per task, with its payload) are what the
one-at-a-time path wrote; the queries do not grow with the number of tasks. Where only the reason's words move (an
overdue line is short "on today"), the task is reworded in place: no new version, audit event or substitutes lookup
(issue 12)."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from exceptions.workflows.atp import order_risk_refresh
from exceptions.workflows.models import CustomerServiceTask
from exceptions.workflows.substitutes import substitutes_for, substitutes_for_many
from replenish.core.audit import verify_chain
from replenish.core.models import AuditEvent
from tests import factories as f

from . import factories as wf

pytestmark = pytest.mark.django_db


def _setup(quantities: list[int]):
    """Nothing on hand at DC1, 100 inbound on a PO promised two days ago with no ASN (assumed today + 3, so the
    promise moves with today); gold lines wanting `quantities` tomorrow; a standard line (no penalty: no task); a
    declared substitute with 500 at DC1. A second SKU-location with one gold line short by 4 (for a resolution)."""
    net = wf.network(on_hand=0, inbound=100, promised_in=-2)
    sub = f.item(sku="WID-1S")
    f.item_location(item=sub, location=net.location, on_hand=500, static_min=0, static_max=50)
    net.item.substitutes.add(sub)
    lines = [
        wf.sales_line(net, customer=net.gold, quantity=q, requested_in=1, number=f"SO-{i}")
        for i, q in enumerate(quantities, start=1)
    ]
    wf.sales_line(net, customer=net.standard, quantity=3, requested_in=1, number="SO-STD")
    other = f.item(sku="WID-2", family="OTHER")
    other_il = f.item_location(item=other, location=net.location, on_hand=1, static_min=0, static_max=50)
    other_line = wf.sales_line(net, customer=net.gold, quantity=5, requested_in=1, number="SO-X", item=other)
    return net, lines, other_il, other_line


def _expected_value(quantity: int) -> Decimal:
    # short units x (15.00 - 10.00) margin + 50.00 a late line + 10% of the short units' 15.00 a unit
    return Decimal(quantity * 5) + Decimal("50.00") + Decimal(quantity * 15) * Decimal("0.1")


def _counts(result: dict) -> tuple[int, ...]:
    return tuple(result[f"service_tasks_{k}"] for k in ("created", "updated", "resolved"))


def _events_after(sequence: int) -> list[tuple[str, str, str, dict]]:
    return list(
        AuditEvent.objects.filter(sequence__gt=sequence)
        .order_by("sequence")
        .values_list("action", "subject_type", "subject_id", "payload")
    )


def test_day_change_rewrites_every_task_with_one_audit_event_each():
    net, lines, other_il, other_line = _setup([2, 3, 4])
    ids = [net.il.pk, other_il.pk]
    day0 = wf.today()
    first = order_risk_refresh(item_location_ids=ids, today=day0)
    assert first["service_tasks_created"] == 4 and first["service_tasks_updated"] == 0
    tasks = {t.sales_order_line_id: t for t in CustomerServiceTask.objects.all()}
    assert set(tasks) == {ln.pk for ln in lines} | {other_line.pk}
    for line, q in zip(lines, [2, 3, 4]):
        task = tasks[line.pk]
        assert (task.version, task.short_units, task.new_promise_date) == (1, q, day0 + timedelta(days=3))
        assert task.value_at_stake == _expected_value(q)
        assert [s["sku"] for s in task.substitutes] == ["WID-1S"] and task.substitutes[0]["covers"]
    assert tasks[other_line.pk].short_units == 4 and tasks[other_line.pk].substitutes == []
    created = {e[2]: e for e in _events_after(0) if e[1] == "service_task"}
    assert {int(k) for k in created} == {t.pk for t in tasks.values()}

    # the next day: the PO is still missing, assumed on day 1 + 3; SO-3 shipped (no longer open); WID-2 restocked
    mark = AuditEvent.objects.order_by("-sequence").values_list("sequence", flat=True).first()
    lines[2].quantity_shipped = lines[2].quantity_ordered
    lines[2].save()
    other_il.on_hand = 50
    other_il.save()
    day1 = day0 + timedelta(days=1)
    second = order_risk_refresh(item_location_ids=ids, today=day1)
    assert _counts(second) == (0, 2, 2)
    after = {t.sales_order_line_id: t for t in CustomerServiceTask.objects.all()}
    for line, q in zip(lines[:2], [2, 3]):
        task, before = after[line.pk], tasks[line.pk]
        assert task.pk == before.pk and task.status == CustomerServiceTask.Status.OPEN
        assert (task.version, task.short_units, task.new_promise_date) == (2, q, day1 + timedelta(days=3))
        assert task.value_at_stake == _expected_value(q)
        assert f"short on {day1}" in task.reason and f"assumed {day1 + timedelta(days=3)}" in task.reason
        assert task.substitutes == before.substitutes and task.created_at == before.created_at
        assert task.updated_at > before.updated_at and task.event is None
    gone, restocked = after[lines[2].pk], after[other_line.pk]
    assert gone.status == restocked.status == CustomerServiceTask.Status.RESOLVED
    assert gone.version == 1 and restocked.version == 2  # "no longer open" never counted a version
    assert gone.resolved_at is not None and restocked.resolved_at is not None

    # one event per task, in the order the tasks were decided (SKU-location, then line), each with its payload
    events = _events_after(mark)
    assert events == [
        (
            "service_task_updated",
            "service_task",
            str(tasks[lines[0].pk].pk),
            {
                "line": lines[0].pk,
                "order": "SO-1",
                "customer": "GOLD1",
                "short_units": 2,
                "value_at_stake": str(_expected_value(2)),
                "requested": str(day0 + timedelta(days=1)),
                "promise": str(day1 + timedelta(days=3)),
                "event": None,
            },
        ),
        (
            "service_task_updated",
            "service_task",
            str(tasks[lines[1].pk].pk),
            {
                "line": lines[1].pk,
                "order": "SO-2",
                "customer": "GOLD1",
                "short_units": 3,
                "value_at_stake": str(_expected_value(3)),
                "requested": str(day0 + timedelta(days=1)),
                "promise": str(day1 + timedelta(days=3)),
                "event": None,
            },
        ),
        (
            "service_task_resolved",
            "service_task",
            str(tasks[other_line.pk].pk),
            {"line": other_line.pk, "event": None},
        ),
        (
            "service_task_resolved",
            "service_task",
            str(tasks[lines[2].pk].pk),
            {"reason": "line no longer open"},
        ),
    ]
    assert verify_chain()[1] is None

    # the same day again: nothing changed, nothing written
    mark = AuditEvent.objects.order_by("-sequence").values_list("sequence", flat=True).first()
    third = order_risk_refresh(item_location_ids=ids, today=day1)
    assert _counts(third) == (0, 0, 0)
    assert _events_after(mark) == []


def test_day_change_queries_do_not_grow_with_the_tasks():
    net, _lines, _other_il, _other = _setup([2, 3])
    ids = [net.il.pk]
    day0 = wf.today()
    order_risk_refresh(item_location_ids=ids, today=day0)
    with CaptureQueriesContext(connection) as few:
        small = order_risk_refresh(item_location_ids=ids, today=day0 + timedelta(days=1))
    for i in range(10):  # ten more gold lines at risk: twelve tasks move the next day instead of two
        wf.sales_line(net, customer=net.gold, quantity=1 + i, requested_in=1, number=f"SO-M{i}")
    order_risk_refresh(item_location_ids=ids, today=day0 + timedelta(days=1))
    with CaptureQueriesContext(connection) as many:
        large = order_risk_refresh(item_location_ids=ids, today=day0 + timedelta(days=2))
    assert (small["service_tasks_updated"], large["service_tasks_updated"]) == (2, 12)
    assert len(many) == len(few)


def test_substitutes_looked_up_together_keep_each_items_own_list():
    # three items of one family at DC1; C is A's declared substitute; D is inactive; E has other attributes
    loc = f.location(code="DC9")
    a, b, c = (f.item(sku=f"SUB-{x}", family="GRP") for x in "ABC")
    d = f.item(sku="SUB-D", family="GRP", active=False)
    e = f.item(sku="SUB-E", family="GRP", attributes={"size": "L"})
    a.substitutes.add(c)
    ils = {
        x.sku: f.item_location(item=x, location=loc, on_hand=10, static_min=0, static_max=50)
        for x in (a, b, c, d, e)
    }
    wanted = {ils[s].pk: (ils[s], units) for s, units in (("SUB-A", 5), ("SUB-B", 20), ("SUB-E", 1))}
    found = substitutes_for_many(wanted)
    listed = {
        s: [(x["sku"], x["basis"], x["covers"]) for x in found[ils[s].pk]]
        for s in ("SUB-A", "SUB-B", "SUB-E")
    }
    assert listed == {
        "SUB-A": [("SUB-C", "declared substitute", True), ("SUB-B", "same family and attributes", True)],
        "SUB-B": [
            ("SUB-A", "same family and attributes", False),
            ("SUB-C", "same family and attributes", False),
        ],
        "SUB-E": [],
    }
    for pk, (il, units) in wanted.items():  # each as its own lookup
        assert substitutes_for(item_location=il, units=units) == found[pk]


def test_day_change_rewords_a_task_whose_values_hold():
    # nothing on hand, 100 on a PO promised in 10 days; a gold line overdue by a day (short on today), a gold line
    # wanted in 5 days (short then); a declared substitute with 500 at DC1
    net = wf.network(on_hand=0, inbound=100, promised_in=10)
    sub = f.item(sku="WID-1S")
    sub_il = f.item_location(item=sub, location=net.location, on_hand=500, static_min=0, static_max=50)
    net.item.substitutes.add(sub)
    overdue = wf.sales_line(net, customer=net.gold, quantity=4, requested_in=-1, number="SO-OLD")
    ahead = wf.sales_line(net, customer=net.gold, quantity=6, requested_in=5, number="SO-NEW")
    day0, day1 = wf.today(), wf.today() + timedelta(days=1)
    first = order_risk_refresh(item_location_ids=[net.il.pk], today=day0)
    assert _counts(first) == (2, 0, 0)
    before = {t.sales_order_line_id: t for t in CustomerServiceTask.objects.all()}
    assert f"4 of 4 short on {day0}:" in before[overdue.pk].reason
    sub_il.on_hand = 7  # the substitute's stock moves too: a reworded task keeps the substitutes it was given
    sub_il.save()
    mark = AuditEvent.objects.order_by("-sequence").values_list("sequence", flat=True).first()

    second = order_risk_refresh(item_location_ids=[net.il.pk], today=day1)

    assert _counts(second) == (0, 0, 0) and second["service_tasks_reworded"] == 1
    after = {t.sales_order_line_id: t for t in CustomerServiceTask.objects.all()}
    task, old = after[overdue.pk], before[overdue.pk]
    assert task.reason == old.reason.replace(f"short on {day0}:", f"short on {day1}:") != old.reason
    assert (task.version, task.short_units, task.value_at_stake) == (1, 4, _expected_value(4))
    assert task.new_promise_date == day0 + timedelta(days=10) == old.new_promise_date
    assert task.substitutes == old.substitutes and task.substitutes[0]["available_here"] == 500
    assert task.updated_at > old.updated_at
    untouched = after[ahead.pk]
    assert (untouched.reason, untouched.version, untouched.updated_at) == (
        before[ahead.pk].reason,
        1,
        before[ahead.pk].updated_at,
    )
    assert _events_after(mark) == []
    assert verify_chain()[1] is None
    # the same day again: nothing to reword
    assert order_risk_refresh(item_location_ids=[net.il.pk], today=day1)["service_tasks_reworded"] == 0
