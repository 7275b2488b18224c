"""integrations.signals.inbound_applied -> a DomainEvent -> the Celery task that processes it.

The signal is sent inside the transaction that applies the inbox message, so the DomainEvent row commits with the
applied data (a transactional outbox); the task is dispatched on commit, and `domain_events_dispatch_pending`
(Celery beat) dispatches any event whose dispatch was lost to a crash between the commit and the dispatch."""

from __future__ import annotations

import logging

from django.db import transaction
from django.dispatch import receiver

from integrations.signals import inbound_applied, wms_applied

from .events import domain_event_record
from .services import domain_event_record_wms

logger = logging.getLogger(__name__)


@receiver(inbound_applied, dispatch_uid="workflows.domain_event_on_inbound")
def domain_event_on_inbound(sender, message, item_location_ids, **kwargs) -> None:
    from .tasks import domain_event_process_task

    try:
        event, created = domain_event_record(message=message, item_location_ids=list(item_location_ids or []))
    except Exception:  # raised into the inbox's transaction: the message is not applied without its event
        logger.exception("workflows: could not record the domain event of inbox message %s", message.pk)
        raise
    if created:
        transaction.on_commit(lambda: domain_event_process_task.delay(event.pk))


@receiver(wms_applied, dispatch_uid="workflows.domain_event_on_wms")
def domain_event_on_wms(sender, message, location_days, **kwargs) -> None:
    """WMS tasks or labor capacity changed: one domain event for the message, checked for the earliest day from
    today on (the labor-bottleneck flow)."""
    from datetime import date

    from django.utils import timezone

    today = timezone.localdate().isoformat()
    days = sorted({day for _location, day in location_days})
    day = next((d for d in days if d >= today), days[0])
    domain_event_record_wms(
        message=message,
        location_ids=sorted({location for location, _day in location_days}),
        day=date.fromisoformat(day),
    )
