"""Webhooks: POST /integrations/webhooks/<source>/ from the ERP, the WMS or any system with a shared secret.

Authentication (no session, no CSRF token): header `X-DistOps-Timestamp` (Unix seconds) and
`X-DistOps-Signature: v1=<hex>` where hex = HMAC-SHA256(secret, "<timestamp>." + raw body). The timestamp must be
within the source's tolerance on both sides (stale, or from the future); during a secret rotation the previous
secret stays valid until its deadline. Several `v1=` values (comma-separated) are allowed, so a sender can sign
with both secrets while it switches.

Body: {"id": "<event id>", "type": "<kind>.upsert", "version": <int>, "data": {<one record>}} where kind is an
import kind (FORMATS.md: wms_tasks, labor_capacity, balances, items ...; ERP entity names work too) and the record
has that kind's columns. Idempotent by event id (a replay answers 200 and changes nothing); out-of-order events
are resolved by `version` per entity: an event older than the version applied is recorded and ignored.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
from dataclasses import dataclass
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from replenish.core.audit import audit_record

from .erp.base import ENTITY_KINDS
from .files.apply import ImportContext
from .files.guard import nul_in_json
from .files.importers import import_table
from .files.reader import FileFormatError, records_table
from .files.specs import SPECS
from .inbound import Outcome, Rejected, register
from .inbox import inbox_ingest
from .models import EntityVersion, InboxMessage, WebhookEndpoint
from .normalize import Resolver

TIMESTAMP_HEADER = "X-DistOps-Timestamp"
SIGNATURE_HEADER = "X-DistOps-Signature"
MAX_BODY_BYTES = 1_000_000
# Event types with an inbox handler of their own (the rest are "<kind>.upsert" records of the import kinds).
EVENT_KINDS = {"milestone": "tms.milestone"}  # TMS milestones: integrations/tms/handlers.py


class WebhookRefused(Exception):  # noqa: N818
    def __init__(self, reason: str, status: int = 400):
        super().__init__(reason)
        self.reason = reason
        self.status = status


def signature(secret: str, timestamp: str, body: bytes) -> str:
    return hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()


def sign_headers(secret: str, body: bytes, *, timestamp: int | None = None) -> dict[str, str]:
    """The headers a sender puts on a request (used by tests and by anyone writing a sender)."""
    stamp = str(int(timestamp if timestamp is not None else timezone.now().timestamp()))
    return {TIMESTAMP_HEADER: stamp, SIGNATURE_HEADER: f"v1={signature(secret, stamp, body)}"}


def webhook_verify(
    *, endpoint: WebhookEndpoint, timestamp: str | None, signature_header: str | None, body: bytes, now=None
) -> str:
    """Which secret signed the request ('current' or 'previous'); raises WebhookRefused otherwise."""
    now = now or timezone.now()
    if not timestamp or not timestamp.strip().isdigit():
        raise WebhookRefused(f"the {TIMESTAMP_HEADER} header is missing or is not Unix seconds")
    skew = now.timestamp() - int(timestamp)
    if abs(skew) > endpoint.tolerance_seconds:
        when = f"{int(skew)} s old" if skew > 0 else f"{int(-skew)} s in the future"
        raise WebhookRefused(
            f"the timestamp is {when}; at most {endpoint.tolerance_seconds} s either way is "
            f"accepted (replayed request or a wrong clock)"
        )
    if not signature_header:
        raise WebhookRefused(f"the {SIGNATURE_HEADER} header is missing")
    given = [part.strip().split("=", 1)[-1] for part in signature_header.split(",") if part.strip()]
    candidates = [("current", endpoint.secret)]
    if endpoint.previous_secret and (
        endpoint.previous_valid_until is None or now < endpoint.previous_valid_until
    ):
        candidates.append(("previous", endpoint.previous_secret))
    for name, secret in candidates:
        expected = signature(secret, timestamp.strip(), body)
        if any(hmac.compare_digest(expected, value) for value in given):
            return name
    raise WebhookRefused("the signature does not match the body and timestamp for this source's secret")


@dataclass
class WebhookResult:
    status: int
    body: dict


def webhook_receive(
    *, source: str, timestamp: str | None, signature_header: str | None, body: bytes
) -> WebhookResult:
    """Verify, store in the inbox (idempotent by event id) and apply one event."""
    endpoint = WebhookEndpoint.objects.filter(source=source, active=True).first()
    if endpoint is None:
        return WebhookResult(404, {"error": f"no webhook source '{source}'"})
    if len(body) > MAX_BODY_BYTES:
        return WebhookResult(413, {"error": f"the body is larger than {MAX_BODY_BYTES} bytes"})
    try:
        secret_used = webhook_verify(
            endpoint=endpoint, timestamp=timestamp, signature_header=signature_header, body=body
        )
    except WebhookRefused as refused:
        return WebhookResult(refused.status, {"error": refused.reason})
    try:
        event = json.loads(body)
        nul_field = nul_in_json(event)
    except ValueError:
        return WebhookResult(400, {"error": "the body is not JSON"})
    except RecursionError:  # e.g. 100,000 nested arrays: refused, never a crash
        return WebhookResult(400, {"error": "the body is JSON nested too deeply to be an event"})
    if nul_field:  # PostgreSQL text cannot hold it, and no real field carries one
        return WebhookResult(
            422,
            {"error": f"field '{nul_field}' holds a NUL character (\\u0000): refused", "field": nul_field},
        )
    if not isinstance(event, dict) or not str(event.get("id") or "").strip() or not event.get("type"):
        return WebhookResult(400, {"error": "an event needs 'id' and 'type'"})
    event_id = str(event["id"]).strip()[:200]
    message, processed = inbox_ingest(
        source=f"webhook:{source}",
        external_id=event_id,
        kind=EVENT_KINDS.get(str(event["type"]).split(".", 1)[0], "webhook.event"),
        payload=body.decode("utf-8"),
        meta={"type": str(event["type"])[:64], "secret": secret_used},
    )
    answer = {"event": event_id, "message": message.pk, "status": message.status}
    if not processed:
        return WebhookResult(200, {**answer, "status": "duplicate", "first_status": message.status})
    if message.status == InboxMessage.Status.REJECTED:
        return WebhookResult(422, {**answer, "reason": message.reason, "errors": message.errors[:20]})
    if message.status == InboxMessage.Status.IGNORED:
        return WebhookResult(200, {**answer, "reason": message.reason})
    return WebhookResult(200, answer)


def _kind_of(event_type: str) -> str:
    name = event_type.split(".", 1)[0]
    kind = ENTITY_KINDS.get(name, name)
    if kind not in SPECS:
        raise Rejected(
            f"event type '{event_type}' names no known kind (use <kind>.upsert with kind one of "
            f"{', '.join(SPECS)})"
        )
    return kind


@register("webhook.event")
def handle_event(message: InboxMessage, _context) -> Outcome:
    try:
        event = json.loads(message.payload)
    except ValueError as exc:
        raise Rejected(f"the event is not JSON: {exc}") from exc
    kind = _kind_of(str(event.get("type", "")))
    data = event.get("data")
    if not isinstance(data, dict):
        raise Rejected("'data' must be one record (a JSON object)")
    try:
        table = records_table([data])
    except FileFormatError as exc:
        raise Rejected(str(exc)) from exc
    spec = SPECS[kind]
    row = table.frame.iloc[0]
    entity_key = "|".join(str(row.get(k, "")).strip() for k in spec.key)
    version = event.get("version")
    if version is not None and (isinstance(version, bool) or not isinstance(version, int)):
        raise Rejected(f"'version' must be an integer, not {version!r}")
    if version is not None:
        current, _ = EntityVersion.objects.get_or_create(
            source=message.source, entity_type=kind, entity_key=entity_key[:200], defaults={"version": -1}
        )
        current = EntityVersion.objects.select_for_update().get(pk=current.pk)
        if version <= current.version:
            return Outcome(
                status=InboxMessage.Status.IGNORED,
                reason=f"stale event: version {version} of {kind} '{entity_key}' is not newer than the "
                f"version {current.version} already applied",
                summary={
                    "kind": kind,
                    "entity": entity_key,
                    "version": version,
                    "applied_version": current.version,
                },
            )
    ctx = ImportContext(
        source=message.source,
        resolver=Resolver(message.source),
        present=set(),
        label=f"event {message.external_id}",
    )
    summary = import_table(kind, table, ctx, what=f"the {kind} event")
    if version is not None:
        EntityVersion.objects.filter(pk=current.pk).update(
            version=version, message=message, updated_at=timezone.now()
        )
    return Outcome(
        summary={"kind": kind, "entity": entity_key, "version": version, **summary},
        issues=ctx.issues,
        item_location_ids=ctx.item_location_ids,
    )


@transaction.atomic
def webhook_secret_rotate(
    *, source: str, actor, new_secret: str | None = None, grace: timedelta = timedelta(hours=24)
) -> tuple[WebhookEndpoint, str]:
    """Create the source or rotate its secret; the previous one stays valid for `grace`. Returns the new secret."""
    new_secret = new_secret or secrets.token_urlsafe(32)
    endpoint = WebhookEndpoint.objects.select_for_update().filter(source=source).first()
    now = timezone.now()
    if endpoint is None:
        endpoint = WebhookEndpoint.objects.create(source=source, secret=new_secret, rotated_at=now)
        action = "webhook_source_created"
    else:
        endpoint.previous_secret, endpoint.previous_valid_until = endpoint.secret, now + grace
        endpoint.secret, endpoint.rotated_at = new_secret, now
        endpoint.save(update_fields=["previous_secret", "previous_valid_until", "secret", "rotated_at"])
        action = "webhook_secret_rotated"
    audit_record(
        kind="system",
        action=action,
        actor=actor,
        subject_type="webhook_endpoint",
        subject_id=source,
        payload={"previous_valid_until": endpoint.previous_valid_until},
    )
    return endpoint, new_secret
