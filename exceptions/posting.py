"""An exception's ERP posting after a refusal (issue 13 item 4): exactly once, whatever happens to the dead letter.

When the ERP refuses a posting, the exception goes back to review (`exception_mark_posted`). From there, exactly
one of two things posts its action, both under the exception's one idempotency key for that action:

- it is decided again: the dead message is re-armed with the new values (integrations.services.outbox_enqueue);
- an administrator requeues the dead letter: the exception returns to the status it was decided with and waits for
  that posting (this module), so it cannot be decided a second time; delivered, it becomes posted.

A requeue is refused once the exception was decided otherwise (rejected, snoozed, closed, decided again): the ERP
would receive an action nobody stands behind.
"""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from replenish.core.audit import audit_record

from .models import Decision, PlanningException, Status
from .selectors import queue_counts_invalidate

DECIDED_STATUS = {
    Decision.Action.APPROVE: Status.APPROVED,
    Decision.Action.OVERRIDE: Status.OVERRIDDEN,
    Decision.Action.AUTO_EXECUTE: Status.AUTO_EXECUTED,
}


def exception_posting_resume(*, exception_id: int, message, actor) -> PlanningException | None:
    """The dead letter of this exception's posting is requeued: wait for it again (see module docstring). Raises
    ValueError, naming the exception and its state, when the requeue would post an action no longer decided."""
    with transaction.atomic():
        exc = PlanningException.objects.select_for_update().filter(pk=exception_id).first()
        if exc is None:
            return None
        refused = (exc.outcome or {}).get("ok") is False
        last = (
            Decision.objects.filter(exception=exc, action__in=list(DECIDED_STATUS))
            .order_by("-created_at", "-pk")
            .first()
        )
        if exc.status != Status.IN_REVIEW or not refused or last is None:
            raise ValueError(
                f"Exception {exc.pk} is {exc.get_status_display().lower()} since its posting was refused: "
                "requeuing would post an action nobody decided. Decide the exception again instead."
            )
        before = exc.status
        exc.status = DECIDED_STATUS[last.action]
        exc.version += 1
        exc.outcome = {**exc.outcome, "requeued": message.pk, "requeued_at": timezone.now().isoformat()}
        exc.save(update_fields=["status", "version", "outcome", "updated_at"])
        audit_record(
            kind="system",
            action="posting_resumed",
            actor=actor,
            subject_type="exception",
            subject_id=exc.pk,
            payload={
                "outbox_id": message.pk,
                "idempotency_key": message.idempotency_key,
                "status": {"before": before, "after": exc.status},
                "version": exc.version,
            },
        )

    transaction.on_commit(queue_counts_invalidate)
    return exc
