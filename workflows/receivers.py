"""integrations.signals.inbound_applied -> a DomainEvent -> the Celery task that processes it."""

from __future__ import annotations

import logging

from django.db import transaction
from django.dispatch import receiver

from integrations.signals import inbound_applied

logger = logging.getLogger(__name__)


@receiver(inbound_applied, dispatch_uid="workflows.domain_event_on_inbound")
def domain_event_on_inbound(sender, message, item_location_ids, **kwargs) -> None:
    from .events import domain_event_record
    from .tasks import domain_event_process_task

    try:
        event, created = domain_event_record(message=message, item_location_ids=list(item_location_ids or []))
    except Exception:  # the signal is sent with send_robust: log loudly rather than vanish
        logger.exception("workflows: could not record the domain event of inbox message %s", message.pk)
        raise
    if created:
        transaction.on_commit(lambda: domain_event_process_task.delay(event.pk))
