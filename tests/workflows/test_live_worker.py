"""The event flow through a real broker and worker: 856 -> inbox -> signal -> Redis -> worker -> queue item."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest

from exceptions.workflows.models import CustomerServiceTask, DomainEvent
from integrations.edi_ingest import edi_ingest
from tests.live_worker import wait_until_worker_idle

from . import factories as wf


@pytest.mark.postgres
@pytest.mark.redis
@pytest.mark.celery_worker
@pytest.mark.django_db(transaction=True)
def test_asn_slip_reaches_the_service_queue_through_the_live_worker():
    net = wf.network(on_hand=5, inbound=20, promised_in=3)
    line = wf.sales_line(net, customer=net.gold, quantity=15, requested_in=5, number="SO-LW")
    started = time.monotonic()
    message = edi_ingest(data=wf.asn_856(net, arrival_in=10), filename="live.x12")
    deadline = started + 60
    event = None
    while time.monotonic() < deadline:
        event = DomainEvent.objects.filter(message_id=message.pk).first()
        if event is not None and event.status not in ("received", "processing"):
            break
        time.sleep(0.05)
    assert event is not None and event.status == DomainEvent.Status.PROCESSED, event and event.error
    task = CustomerServiceTask.objects.get(sales_order_line=line)
    assert task.short_units == 10 and task.new_promise_date == wf.today() + timedelta(days=10)
    wait_until_worker_idle()
