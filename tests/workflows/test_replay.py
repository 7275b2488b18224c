"""replay_events: a day of scenario events through the integrations reaches the queues."""

from __future__ import annotations

from collections import Counter
from io import StringIO

import pytest
from django.core.management import call_command

from exceptions.workflows.models import CustomerServiceTask, DomainEvent, WorkflowTask
from integrations.models import InboxMessage
from replenish.scenario.generate import ScenarioSpec
from replenish.scenario.load import scenario_load

from . import factories as wf

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.mark.slow  # measured over 5 s
def test_replay_one_day_sends_every_kind_through_the_inbox_and_processes_events():
    scenario_load(ScenarioSpec(skus=40, locations=2, weeks=30, seed=3, as_of=wf.today()))
    out = StringIO()
    call_command("replay_events", "--days", "1", "--per-day", "3", stdout=out)
    text = out.getvalue()
    for kind in (
        "asn_slip",
        "acknowledgement",
        "new_orders",
        "wms_tasks",
        "labor_capacity",
        "returns",
        "tms_milestones",
    ):
        assert f"day 1 {kind}:" in text, text
    from replenish.returns.models import ReturnLine

    returned = InboxMessage.objects.get(kind="file.returns")
    assert returned.status == "applied", returned.errors
    assert ReturnLine.objects.count() == returned.summary["rows"] == 3
    assert InboxMessage.objects.filter(source="edi").count() >= 3
    # the TMS milestones were applied and moved their shipments like an 856 would: delay events
    assert InboxMessage.objects.get(kind="tms.milestones").status == "applied"
    assert DomainEvent.objects.filter(message_id=InboxMessage.objects.get(kind="tms.milestones").pk).exists()
    events = DomainEvent.objects.all()
    assert events.exists()
    # every event was handled: none left waiting, none processed twice (one per inbox message)
    assert not events.filter(status__in=["received", "processing"]).exists()
    assert not events.filter(status="failed").exists(), list(
        events.filter(status="failed").values("kind", "error")
    )
    # the queues reacted: at-risk lines of the new orders, and a resequenced WMS queue per short-staffed location
    assert CustomerServiceTask.objects.exists()
    assert WorkflowTask.objects.filter(kind=WorkflowTask.Kind.LABOR_RESEQUENCE).count() == 2
    message_ids = [e.message_id for e in events]
    assert len(message_ids) == len(set(message_ids))
    # replaying the same seed again re-sends identical files: the inbox sees replays, no new domain events for them
    events_by_message = Counter(DomainEvent.objects.values_list("message_id", flat=True))
    new_orders_before = DomainEvent.objects.filter(kind="new_order").count()
    call_command("replay_events", "--days", "1", "--per-day", "3", stdout=StringIO())
    replayed = set(InboxMessage.objects.filter(replays__gt=0).values_list("pk", flat=True))
    assert replayed, "the second replay re-sent nothing the inbox had seen"
    events_after = Counter(DomainEvent.objects.values_list("message_id", flat=True))
    assert {pk: events_after[pk] for pk in replayed} == {pk: events_by_message[pk] for pk in replayed}
    assert DomainEvent.objects.filter(kind="new_order").count() == new_orders_before
