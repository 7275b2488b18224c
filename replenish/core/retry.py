"""One Celery retry style for every task: `autoretry_for` + `retry_backoff`, capped below the broker's visibility
timeout (settings.CELERY_BROKER_TRANSPORT_OPTIONS, 1 hour), attempts bounded; the task then fails visibly.

    @shared_task(bind=True, acks_late=True, **retrying(backoff=30))
"""

from __future__ import annotations

from typing import Any

from django.db import OperationalError

BACKOFF_MAX_SECONDS = 600  # 10 minutes: a redelivered message never races its own retry (visibility 3,600 s)
MAX_RETRIES = 3


def retrying(
    *,
    backoff: int,
    maximum: int = BACKOFF_MAX_SECONDS,
    errors: tuple[type[BaseException], ...] = (OperationalError,),
    jitter: bool = False,
) -> dict[str, Any]:
    """Task options: retry on `errors` (a lock timeout, a dropped connection) after backoff x 2^attempt seconds,
    at most `maximum` (never above BACKOFF_MAX_SECONDS), MAX_RETRIES times."""
    return {
        "autoretry_for": errors,
        "retry_backoff": backoff,
        "retry_backoff_max": min(maximum, BACKOFF_MAX_SECONDS),
        "retry_jitter": jitter,
        "max_retries": MAX_RETRIES,
    }
