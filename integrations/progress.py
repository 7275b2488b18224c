"""How far the processing of an inbox message has got, for the progress bar of a file upload (issue 13 item 7).

An upload is stored as a `received` inbox message and processed by a Celery worker (inbox_process_task), never
inside the request; the worker reports its stage here and the message's page polls it. The figure lives in the
cache (Redis in production, shared by the web and worker processes): it is advisory, the message row is the truth.
"""

from __future__ import annotations

from django.core.cache import cache

TTL_SECONDS = 24 * 3600


def _key(message_id: int) -> str:
    return f"inbox-progress:{message_id}"


def inbox_progress_set(message_id: int | None, percent: int, stage: str) -> None:
    if message_id:
        cache.set(_key(message_id), {"percent": max(0, min(int(percent), 100)), "stage": stage}, TTL_SECONDS)


def inbox_progress_get(message_id: int) -> dict:
    return cache.get(_key(message_id)) or {"percent": 0, "stage": "waiting for a worker"}
