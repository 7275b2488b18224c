"""An approved reorder-point change: the current plan's s and S sent to the ERP as its order point (min/max)."""

from __future__ import annotations

import math

import pytest
from django.urls import reverse

from governance.order_points import order_point_levels, order_point_send
from integrations.models import OutboxMessage
from replenish.core.errors import InvalidInput, NotAllowed, StaleVersion
from replenish.core.models import AuditEvent
from tests import factories as f
from tests.governance import factories as gf

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("s", "big_s", "expected"),
    [(13.2, 61.5, (14, 62)), (13.0, 12.0, (13, 13)), (0.0, 0.0, (0, 0)), (4.0000000001, 9.0, (4, 9))],
)
def test_levels_are_whole_units_rounded_up_and_the_target_never_below_the_minimum(s, big_s, expected):
    assert order_point_levels(s, big_s) == expected
    low, high = expected
    assert low >= math.floor(s) and high >= low


def test_a_plan_without_a_usable_reorder_point_is_refused():
    with pytest.raises(InvalidInput):
        order_point_levels(float("nan"), 3.0)


@pytest.fixture
def planned():
    buyer = gf.user("buyer")
    il = f.item_location(static_min=5, static_max=20, buyer=buyer)
    run = gf.plan_run(is_current=True, filters={"as_of": "2026-11-23"})
    gf.sku_plan(run=run, item_location=il, reorder_point=13.2, order_up_to=61.5)
    return buyer, il, run


def page(il):
    return reverse("sku_location", args=[il.location.code, il.item.sku])


def send_url(il):
    return reverse("sku_location_order_point", args=[il.location.code, il.item.sku])


def test_the_page_offers_the_change_and_sending_it_queues_one_audited_posting(client, planned):
    buyer, il, run = planned
    client.force_login(buyer)
    html = client.get(page(il)).content.decode()
    assert "Set the ERP order point to min 14, max 62" in html

    response = client.post(send_url(il), {"plan_run_id": run.pk, "new_min": 14, "new_max": 62})

    assert response.status_code == 302
    message = OutboxMessage.objects.get(kind="set_order_point")
    assert message.payload["min"] == 14 and message.payload["max"] == 62
    assert (message.subject_type, message.subject_id) == ("item_location", str(il.pk))
    decision = AuditEvent.objects.get(action="order_point_send")
    assert decision.actor == buyer
    assert decision.payload["before"] == {"erp_min": 5, "erp_max": 20}
    assert decision.payload["after"] == {"erp_min": 14, "erp_max": 62}


def test_the_same_change_twice_is_one_posting(planned):
    buyer, il, run = planned
    first = order_point_send(actor=buyer, item_location=il, plan_run_id=run.pk, new_min=14, new_max=62)
    again = order_point_send(actor=buyer, item_location=il, plan_run_id=run.pk, new_min=14, new_max=62)
    assert first.pk == again.pk and OutboxMessage.objects.filter(kind="set_order_point").count() == 1


def test_a_delivered_posting_updates_the_erp_mirror(planned):
    from governance.order_points import order_point_posted

    buyer, il, run = planned
    message = order_point_send(actor=buyer, item_location=il, plan_run_id=run.pk, new_min=14, new_max=62)
    order_point_posted(message=message, ok=False)
    il.refresh_from_db()
    assert (il.static_min, il.static_max) == (5, 20)  # a failed posting leaves the mirror alone

    order_point_posted(message=message, ok=True)

    il.refresh_from_db()
    assert (il.static_min, il.static_max) == (14, 62)
    assert AuditEvent.objects.filter(action="order_point_mirrored", subject_id=str(il.pk)).count() == 1


def test_a_stale_page_sends_nothing(planned):
    buyer, il, run = planned
    with pytest.raises(StaleVersion, match="min 14, max 62"):
        order_point_send(actor=buyer, item_location=il, plan_run_id=run.pk, new_min=13, new_max=62)
    assert not OutboxMessage.objects.exists()


def test_levels_the_erp_already_holds_are_not_sent(planned):
    buyer, il, run = planned
    il.static_min, il.static_max = 14, 62
    il.save()
    with pytest.raises(InvalidInput, match="already min 14, max 62"):
        order_point_send(actor=buyer, item_location=il, plan_run_id=run.pk, new_min=14, new_max=62)
    assert not OutboxMessage.objects.exists()


@pytest.mark.parametrize("role", ["warehouse_supervisor", "customer_service", "auditor"])
def test_only_procurement_sets_order_points_and_a_refusal_is_audited(client, planned, role):
    _buyer, il, run = planned
    other = gf.user(role)
    with pytest.raises(NotAllowed):
        order_point_send(actor=other, item_location=il, plan_run_id=run.pk, new_min=14, new_max=62)
    assert not OutboxMessage.objects.exists()
    refused = AuditEvent.objects.get(kind="refused", action="order_point_send")
    assert refused.actor == other and refused.subject_id == str(il.pk)


def test_a_form_with_no_levels_says_so_and_sends_nothing(client, planned):
    buyer, il, _run = planned
    client.force_login(buyer)
    response = client.post(send_url(il), {"plan_run_id": "x"}, follow=True)
    assert "reload the page" in response.content.decode()
    assert not OutboxMessage.objects.exists()
