"""Incremental pulls from the ERP by updated-since cursor, one inbox message per page.

Each page is stored in the inbox (source "erp", external id = entity + hash of the page: the same page again is a
replay), validated like a file of the same kind, and applied together with the cursor move in one transaction.
A rejected page stops that entity's pull without moving its cursor: it is a dead letter to fix and retry, and
later pages are not applied over the gap. Calls go through the circuit breaker with retries and backoff.
"""

from __future__ import annotations

import hashlib
import json
import logging
import random
import time
from collections.abc import Callable

from django.db import transaction
from django.utils import timezone

from .. import conf
from ..files.apply import ImportContext
from ..files.importers import import_table
from ..files.reader import FileFormatError, records_table
from ..inbound import Outcome, Rejected, register
from ..inbox import inbox_ingest
from ..models import ConnectorState, InboxMessage
from ..normalize import Resolver
from . import get_adapter
from .base import ENTITIES, ENTITY_KINDS, CircuitOpen, ErpAdapter, ErpError, ErpRejected, ErpUnavailable
from .breaker import breaker_allow, breaker_record_failure, breaker_record_success, state_get

logger = logging.getLogger(__name__)
ERP_SOURCE = "erp"


def backoff_seconds(attempt: int, *, base: float, cap: float, rng: random.Random | None = None) -> float:
    """Exponential backoff with jitter: base x 2^attempt, capped, times a random factor in [0.5, 1]."""
    return min(cap, base * (2**attempt)) * (rng or random).uniform(0.5, 1.0)


def call_with_retries(
    call: Callable,
    *,
    retries: int | None = None,
    base: float | None = None,
    sleep: Callable[[float], None] = time.sleep,
    connector: str = "erp",
):
    """Call the ERP through the breaker; retry what is retryable with backoff; 4xx answers are not retried."""
    retries = conf.pull_retries() if retries is None else retries
    base = conf.pull_backoff_base() if base is None else base
    for attempt in range(retries + 1):
        if not breaker_allow(connector):
            raise CircuitOpen("the ERP circuit breaker is open: no call was made")
        try:
            result = call()
        except ErpRejected:
            breaker_record_success(connector)  # the ERP answered: it is up, the request was wrong
            raise
        except ErpUnavailable as exc:
            breaker_record_failure(str(exc), connector)
            if attempt == retries:
                raise
            sleep(backoff_seconds(attempt, base=base, cap=30.0))
            continue
        breaker_record_success(connector)
        return result
    raise AssertionError("unreachable")


def erp_pull(
    *,
    entities: list[str] | None = None,
    adapter: ErpAdapter | None = None,
    max_pages: int = 10_000,
    sleep: Callable[[float], None] = time.sleep,
) -> dict[str, dict]:
    """Pull every entity (or the ones named) from its cursor until the ERP says there is no more."""
    adapter = adapter or get_adapter()
    report: dict[str, dict] = {}
    for entity in entities or adapter.entities:
        if entity not in adapter.entities:
            raise ValueError(f"unknown ERP entity '{entity}' (one of {', '.join(adapter.entities)})")
        line = report.setdefault(
            entity, {"pages": 0, "records": 0, "replayed": 0, "rejected": None, "error": None}
        )
        cursor = state_get().cursors.get(entity)
        for _ in range(max_pages):
            try:
                page = call_with_retries(
                    lambda c=cursor, e=entity: adapter.pull(e, cursor=c, limit=conf.erp_page_size()),
                    sleep=sleep,
                )
            except ErpError as exc:
                line["error"] = str(exc)
                break
            if not page.records:
                break
            payload = page.raw or json.dumps({"data": page.records, "next_cursor": page.next_cursor})
            digest = hashlib.sha256(payload.encode()).hexdigest()[:40]
            message, processed = inbox_ingest(
                source=ERP_SOURCE,
                external_id=f"{entity}:{digest}",
                kind=adapter.inbox_kind(entity),
                payload=payload,
                meta={"entity": entity, "cursor": cursor, "next_cursor": page.next_cursor},
            )
            line["pages"] += 1
            line["records"] += len(page.records)
            if not processed:
                line["replayed"] += 1
            if message.status != InboxMessage.Status.APPLIED:
                line["rejected"] = f"inbox message {message.pk}: {message.reason}"
                break
            if not processed and state_get().cursors.get(entity) == cursor:
                _advance_cursor(entity, cursor, page.next_cursor)  # a replayed page applied before a crash
            cursor = state_get().cursors.get(entity)
            if not page.has_more:
                break
    ConnectorState.objects.filter(name="erp").update(last_pull_at=timezone.now())
    return report


def _advance_cursor(entity: str, expected: str | None, new: str | None) -> None:
    """Move the entity's cursor, but only from where the page started (an old page retried later moves nothing)."""
    if new is None:
        return
    with transaction.atomic():
        state_get()
        state = ConnectorState.objects.select_for_update().get(name="erp")
        if state.cursors.get(entity) == expected:
            state.cursors = {**state.cursors, entity: new}
            state.save(update_fields=["cursors", "updated_at"])


@register("erp.")
def handle_erp_page(message: InboxMessage, _context) -> Outcome:
    entity = message.kind.split(".", 1)[1]
    if entity not in ENTITY_KINDS:
        raise Rejected(f"'{entity}' is not an ERP entity this system reads (known: {', '.join(ENTITIES)})")
    try:
        body = json.loads(message.payload)
        table = records_table(body["data"])
    except (ValueError, KeyError, TypeError, FileFormatError) as exc:
        raise Rejected(f"the ERP page of {entity} is not a JSON object with a 'data' list: {exc}") from exc
    ctx = ImportContext(
        source=ERP_SOURCE, resolver=Resolver(ERP_SOURCE), present=set(), label=f"ERP {entity} page"
    )
    summary = import_table(ENTITY_KINDS[entity], table, ctx, what=f"the ERP page of {entity}")
    _advance_cursor(entity, message.meta.get("cursor"), message.meta.get("next_cursor"))
    return Outcome(
        summary={"entity": entity, **summary, "notes": table.notes + ctx.notes},
        issues=ctx.issues,
        item_location_ids=ctx.item_location_ids,
    )
