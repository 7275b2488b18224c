"""TMS milestones (issue 15): signed webhook events and CSV files through the inbox; a milestone moves arrival dates,
ATP and the at-risk order lines exactly as an 856 slip does; bad input is rejected whole, with its reason."""

from __future__ import annotations

import json
from datetime import timedelta
from decimal import Decimal

import pytest
from django.test import Client
from django.utils import timezone

from exceptions.workflows.models import CustomerServiceTask, DomainEvent
from integrations.edi_ingest import edi_ingest
from integrations.models import InboxMessage
from integrations.tms.ingest import milestone_file_ingest
from integrations.tms.models import Milestone
from integrations.webhooks import sign_headers, webhook_secret_rotate
from replenish import models as m
from tests.workflows import factories as wf

pytestmark = pytest.mark.django_db(transaction=True)
URL = "/integrations/webhooks/tms/"


def _post(event: dict):
    body = json.dumps(event).encode()
    return Client(enforce_csrf_checks=True).post(
        URL, data=body, content_type="application/json", headers=sign_headers("tms-secret", body)
    )


def milestone(
    event_id: str, *, eta_in: int | None, kind: str = "departed", shipment: str = "SHIP-1", at=None
):
    occurred = at or (timezone.now() - timedelta(hours=1)).replace(microsecond=0)
    data = {"shipment": shipment, "milestone": kind, "occurred_at": occurred.isoformat(), "carrier": "UPSN"}
    if eta_in is not None:
        data["eta"] = str(wf.today() + timedelta(days=eta_in))
    return {"id": event_id, "type": "milestone", "data": data}


@pytest.fixture
def net():
    webhook_secret_rotate(source="tms", actor=None, new_secret="tms-secret")
    net = wf.network(on_hand=5, inbound=20, promised_in=3)
    wf.sales_line(net, customer=net.gold, quantity=15, requested_in=5, number="SO-1")
    edi_ingest(data=wf.asn_856(net, arrival_in=3), filename="asn.x12")  # on time: nothing at risk
    assert not CustomerServiceTask.objects.exists()
    return net


def _state():
    task = CustomerServiceTask.objects.get(status="open")
    event = DomainEvent.objects.order_by("-pk").first()
    return {
        "arrival": m.Shipment.objects.get(number="SHIP-1").expected_arrival,
        "line": task.sales_order_line_id,
        "short": task.short_units,
        "promise": task.new_promise_date,
        "value": task.value_at_stake,
        "reason": task.reason,
        "event_kind": event.kind,
        "moved": [(x["shipment"], x["from"], x["to"]) for x in event.payload["moved"]],
        "event_status": event.status,
        "order_at_risk": list(
            __import__("exceptions.models", fromlist=["PlanningException"])
            .PlanningException.objects.filter(type="order_at_risk", status="open")
            .values_list("item_location_id", "value_at_stake")
        ),
    }


def test_a_milestone_moves_the_arrival_atp_and_at_risk_lines_exactly_as_an_856_slip(net):
    # when the carrier's TMS says the shipment departed late, now due on day 10
    response = _post(milestone("tms-1", eta_in=10))
    assert response.status_code == 200, response.content
    by_milestone = _state()
    # then the shipment arrives on day 10; the gold line is 10 short on day 5, promised for day 10 (115.00 at stake)
    assert by_milestone["arrival"] == wf.today() + timedelta(days=10)
    assert (by_milestone["short"], by_milestone["promise"]) == (10, wf.today() + timedelta(days=10))
    assert by_milestone["value"] == Decimal("115.00")
    assert (
        by_milestone["event_kind"] == DomainEvent.Kind.INBOUND_DELAY
        and by_milestone["event_status"] == "processed"
    )
    stored = Milestone.objects.get()
    assert (stored.kind, stored.previous_eta, stored.eta) == (
        "departed",
        wf.today() + timedelta(days=3),
        wf.today() + timedelta(days=10),
    )
    # and the same slip by an 856 (back on time first, then to day 10) leaves the very same state
    edi_ingest(data=wf.asn_856(net, arrival_in=3), filename="asn2.x12")
    assert not CustomerServiceTask.objects.filter(status="open").exists()
    edi_ingest(data=wf.asn_856(net, arrival_in=10), filename="asn3.x12")
    by_856 = _state()
    assert by_856 == by_milestone


@pytest.mark.parametrize(
    "event, field, words",
    [
        (milestone("tms-x", eta_in=10, shipment="NO-SUCH"), "shipment", "no shipment 'NO-SUCH'"),
        (milestone("tms-x", eta_in=-2), "eta", "is in the past"),
        (
            {
                "id": "tms-x",
                "type": "milestone",
                "data": {
                    "shipment": "SHIP-1",
                    "milestone": "teleported",
                    "occurred_at": "2026-12-01T10:00:00Z",
                },
            },
            "milestone",
            "'teleported' is not a milestone",
        ),
        (
            {
                "id": "tms-x",
                "type": "milestone",
                "data": {"shipment": "SHIP-1", "milestone": "departed", "occurred_at": "yesterday"},
            },
            "occurred_at",
            "is not a date and time",
        ),
    ],
)
def test_bad_milestones_are_dead_letters_with_their_reason_and_change_nothing(net, event, field, words):
    response = _post(event)
    assert response.status_code == 422
    answer = response.json()
    assert words in answer["reason"] and answer["errors"][0]["field"] == field
    message = InboxMessage.objects.get(external_id="tms-x")
    assert message.status == InboxMessage.Status.REJECTED and words in message.reason
    assert not Milestone.objects.exists()
    assert m.Shipment.objects.get(number="SHIP-1").expected_arrival == wf.today() + timedelta(days=3)
    assert not CustomerServiceTask.objects.exists()


def test_a_duplicate_milestone_is_refused_and_a_replayed_event_applied_once(net):
    at = (timezone.now() - timedelta(hours=2)).replace(microsecond=0)
    assert _post(milestone("tms-1", eta_in=10, at=at)).status_code == 200
    # the same event again (a replay): answered, applied once
    replay = _post(milestone("tms-1", eta_in=10, at=at))
    assert replay.status_code == 200 and replay.json()["status"] == "duplicate"
    # the same milestone under another event id: a dead letter naming the first event; nothing more applied
    again = _post(milestone("tms-2", eta_in=12, at=at))
    assert again.status_code == 422 and "duplicate milestone" in again.json()["reason"]
    assert "TMS event tms-1" in again.json()["reason"]
    assert Milestone.objects.count() == 1
    assert m.Shipment.objects.get(number="SHIP-1").expected_arrival == wf.today() + timedelta(days=10)


def test_a_milestone_file_is_applied_all_or_nothing(net):
    at = (timezone.now() - timedelta(hours=3)).replace(microsecond=0).isoformat()
    eta = str(wf.today() + timedelta(days=8))
    header = "event_id,shipment,supplier,milestone,occurred_at,eta,carrier,place,note\n"
    bad = header + f"f-1,SHIP-1,ACME,at_hub,{at},{eta},UPSN,Memphis,\nf-2,SHIP-9,,departed,{at},{eta},,,\n"
    message, _ = milestone_file_ingest(name="milestones.csv", data=bad.encode())
    assert message.status == InboxMessage.Status.REJECTED
    assert message.errors[0]["row"] == 2 and message.errors[0]["field"] == "shipment"
    assert "nothing of file" in message.reason
    assert not Milestone.objects.exists()  # row 1 was fine, and is not applied either
    good = header + f"f-1,SHIP-1,ACME,at_hub,{at},{eta},UPSN,Memphis,\n"
    message, _ = milestone_file_ingest(name="milestones-fixed.csv", data=good.encode())
    assert message.status == InboxMessage.Status.APPLIED
    assert m.Shipment.objects.get(number="SHIP-1").expected_arrival == wf.today() + timedelta(days=8)
    assert Milestone.objects.get().place == "Memphis"
    assert CustomerServiceTask.objects.get().new_promise_date == wf.today() + timedelta(days=8)


def test_an_unsigned_milestone_is_refused_before_the_inbox(net):
    body = json.dumps(milestone("tms-1", eta_in=10)).encode()
    response = Client().post(
        URL, data=body, content_type="application/json", headers=sign_headers("wrong", body)
    )
    assert response.status_code == 400 and "signature" in response.json()["error"]
    assert not InboxMessage.objects.filter(kind="tms.milestone").exists()


def test_the_demo_gives_shipments_carriers_and_milestones_through_the_inbox():
    from integrations.tms.demo import CARRIERS, demo_milestones
    from replenish.scenario.generate import ScenarioSpec
    from replenish.scenario.load import scenario_load

    scenario_load(ScenarioSpec(skus=40, locations=2, weeks=30, seed=3, as_of=wf.today()))
    in_transit = m.Shipment.objects.filter(status="in_transit").count()
    assert in_transit > 3
    message = demo_milestones(delayed=3)
    assert message.status == InboxMessage.Status.APPLIED, message.reason
    assert set(m.Shipment.objects.filter(status="in_transit").values_list("carrier", flat=True)) <= set(
        CARRIERS
    )
    assert Milestone.objects.filter(kind="picked_up").count() == in_transit
    exceptions = Milestone.objects.filter(kind="exception")
    assert exceptions.count() == 3
    for milestone in exceptions:
        assert milestone.eta > max(milestone.previous_eta, wf.today() - timedelta(days=1))
        assert milestone.shipment.expected_arrival == milestone.eta
    # the moved shipments went out as one domain event, like an 856 moving them
    assert DomainEvent.objects.get(message_id=message.pk).kind == DomainEvent.Kind.INBOUND_DELAY
