"""Records posted to the API (POST /api/returns/): through the inbox like a file or a webhook, validated by the same
import specs (all or nothing, every problem named by record and field), idempotent by the sender's batch id.

    POST /api/returns/  {"id": "<batch id>", "data": [{"rma": "R1", "line": 1, "order": "SO1", "sku": ..., ...}]}

201 with what was applied; 400 with the problems (the message is kept in the inbox as a dead letter to fix)."""

from __future__ import annotations

import hashlib
import json

from django.core.exceptions import PermissionDenied
from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.exceptions import ParseError
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from replenish.core import roles

from .files.apply import ImportContext
from .files.importers import import_table
from .files.reader import FileFormatError, records_table
from .inbound import Outcome, Rejected, register
from .inbox import inbox_ingest
from .models import InboxMessage
from .normalize import Resolver

API_SOURCE = "api"
API_KINDS = ("returns",)


@register("api.")
def handle_records(message: InboxMessage, _context) -> Outcome:
    kind = message.kind.split(".", 1)[1]
    if kind not in API_KINDS:
        raise Rejected(f"'{kind}' cannot be posted to the API (known: {', '.join(API_KINDS)})")
    try:
        table = records_table(json.loads(message.payload))
    except (ValueError, FileFormatError) as exc:
        raise Rejected(f"the records were rejected, nothing was applied: {exc}") from exc
    ctx = ImportContext(source=message.source, resolver=Resolver(message.source), present=set(), label=kind)
    summary = import_table(kind, table, ctx, what="the records")
    return Outcome(
        summary={"kind": kind, **summary}, issues=ctx.issues, item_location_ids=ctx.item_location_ids
    )


def records_ingest(*, kind: str, records: list, batch_id: str = "", actor=None) -> InboxMessage:
    payload = json.dumps(records, sort_keys=True, default=str)
    key = batch_id or hashlib.sha256(payload.encode()).hexdigest()
    message, _new = inbox_ingest(
        source=API_SOURCE, external_id=f"{kind}:{key}"[:200], kind=f"api.{kind}", payload=payload, actor=actor
    )
    return message


RETURN_BATCH = inline_serializer(
    "ReturnBatch",
    {
        "id": serializers.CharField(
            required=False, help_text="The sender's batch id: the same id again is a replay."
        ),
        "data": serializers.ListField(
            child=serializers.DictField(),
            help_text="Return lines: rma, line, order, sku, quantity, condition ...",
        ),
    },
)
RECORDS_RESULT = inline_serializer(
    "RecordsResult",
    {
        "inbox_message": serializers.IntegerField(),
        "status": serializers.CharField(),
        "reason": serializers.CharField(allow_blank=True),
        "summary": serializers.DictField(),
        "errors": serializers.ListField(child=serializers.DictField()),
    },
)
RECORDS_REFUSED = inline_serializer(
    "RecordsRefused",
    {
        "detail": serializers.CharField(required=False),
        "inbox_message": serializers.IntegerField(required=False),
        "status": serializers.CharField(required=False),
        "reason": serializers.CharField(required=False, allow_blank=True),
        "summary": serializers.DictField(required=False),
        "errors": serializers.ListField(
            child=serializers.DictField(),
            help_text="Every problem, named by record (row) and field (column).",
        ),
    },
)
REFUSED = inline_serializer("Refused", {"detail": serializers.CharField()})


class ReturnsApiView(APIView):
    """Customer return lines (RMA) for warehouse control's triage queue."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        summary="Post customer return lines (RMA) through the inbox",
        request=RETURN_BATCH,
        responses={
            201: OpenApiResponse(RECORDS_RESULT, description="Applied (or a replay of an applied batch)."),
            400: OpenApiResponse(RECORDS_REFUSED, description="Nothing applied: every problem in errors."),
            403: OpenApiResponse(
                REFUSED, description="Not warehouse control, a manager or an administrator."
            ),
        },
    )
    def post(self, request):
        if not roles.can_open(request.user, "warehouse"):
            raise PermissionDenied("Returns are posted by warehouse control, managers and administrators.")
        try:
            body = request.data if isinstance(request.data, dict) else {}
        except ParseError as err:
            body = {"unreadable": str(err.detail)}
        records = body.get("data")
        if not isinstance(records, list) or not records:
            problem = body.get("unreadable") or "'data' must be a non-empty list of return lines"
            return Response(
                {"detail": problem, "error": problem, "errors": [{"field": "data", "message": problem}]},
                status=status.HTTP_400_BAD_REQUEST,
            )
        message = records_ingest(
            kind="returns", records=records, batch_id=str(body.get("id") or ""), actor=request.user
        )
        answer = {
            "inbox_message": message.pk,
            "status": message.status,
            "reason": message.reason,
            "summary": message.summary,
            "errors": message.errors,
        }
        ok = message.status in (InboxMessage.Status.APPLIED, InboxMessage.Status.IGNORED)
        return Response(answer, status=status.HTTP_201_CREATED if ok else status.HTTP_400_BAD_REQUEST)
