"""A draft PO's lines follow the decision on the draft (called inside the decision's transaction).

The lines are the SKU-location tasks whose best action is a purchase order (status in_draft, `parent` = the draft).
Deciding the draft decides the lines it showed (the draft's proposal at the version decided): approved, they wait
for the posting like the draft (so no refresh proposes them again); rejected, they are suppressed like any rejected
task; posted, they are posted; a refused posting puts them back in the draft.
"""

from __future__ import annotations

from django.db.models import F
from django.utils import timezone

from .models import AWAITING_POSTING, ExceptionType, PlanningException, Status

FOLLOW = {
    **{status: status for status in AWAITING_POSTING},
    Status.REJECTED: Status.REJECTED,
    Status.POSTED: Status.POSTED,
    Status.IN_REVIEW: Status.IN_DRAFT,
}


def draft_lines_follow(draft: PlanningException) -> int:
    """Give the draft's lines its new status (a no-op for other tasks and for statuses lines do not follow)."""
    target = FOLLOW.get(draft.status)
    if draft.type != ExceptionType.DRAFT_PO or target is None:
        return 0
    ids = [line.get("exception_id") for line in (draft.proposal or {}).get("lines") or []]
    # decided lines come from the draft; posted (or refused) ones from their wait for the posting
    source = AWAITING_POSTING if target in (Status.POSTED, Status.IN_DRAFT) else (Status.IN_DRAFT,)
    lines = PlanningException.objects.filter(pk__in=ids, parent=draft, status__in=source)
    now = timezone.now()
    return lines.update(
        status=target,
        decided_at=now if target != Status.IN_DRAFT else None,
        version=F("version") + 1,
        updated_at=now,
    )
