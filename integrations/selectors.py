"""Reads of the integrations app: keyword-only arguments, permission filtering, fixed query counts."""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import Count, Q, QuerySet

from replenish.core import roles
from replenish.models import ItemLocation, SupplierItem

from .erp import get_adapter
from .erp.breaker import reopens_at, state_get
from .models import (
    ConnectorState,
    DataQualityIssue,
    EdiDocument,
    InboxMessage,
    OutboxMessage,
)

SCREEN_ROLES = frozenset({roles.ADMINISTRATOR, roles.MANAGER, getattr(roles, "DIRECTOR", roles.MANAGER)})


def can_view_integrations(user) -> bool:
    return bool(user and user.is_authenticated and (user.is_superuser or roles.role_of(user) in SCREEN_ROLES))


def can_change_integrations(user) -> bool:
    """Fix and retry dead letters, upload files, reset the breaker: administrators and managers."""
    return can_view_integrations(user)


def quality_flags_for(item_location_ids: Iterable[int]) -> dict[int, list[str]]:
    """Open data-quality issue codes per SKU-location (absent key: no flag). Three queries whatever the size.

    An issue flags a SKU-location when it names that SKU-location; or its item (with no location, or its location);
    or its item's primary supplier with no item (a supplier-wide fault such as an implausible lead time; an unmapped
    code a supplier sent is not a fault of that supplier's other items).
    Callers (the auto-execution policy) keep flagged SKU-locations out of automation until the issue is resolved.
    """
    ids = list({int(i) for i in item_location_ids})
    if not ids:
        return {}
    rows = list(ItemLocation.objects.filter(pk__in=ids).values_list("pk", "item_id", "location_id"))
    items = {item_id for _pk, item_id, _loc in rows}
    primary = dict(
        SupplierItem.objects.filter(item_id__in=items, is_primary=True).values_list("item_id", "supplier_id")
    )
    issues = list(
        DataQualityIssue.objects.filter(status=DataQualityIssue.Status.OPEN)
        .filter(
            Q(item_location_id__in=ids)
            | Q(item_id__in=items)
            | (
                Q(item__isnull=True, supplier_id__in=set(primary.values()))
                & ~Q(code=DataQualityIssue.Code.UNMAPPED_CODE)
            )
        )
        .values_list("code", "item_location_id", "item_id", "location_id", "supplier_id")
    )
    by_il: dict[int, set[str]] = {}
    by_item: dict[int, list[tuple[int | None, str]]] = {}
    by_supplier: dict[int, set[str]] = {}
    for code, il, item_id, location_id, supplier_id in issues:
        if il is not None:
            by_il.setdefault(il, set()).add(code)
        elif item_id is not None:
            by_item.setdefault(item_id, []).append((location_id, code))
        elif supplier_id is not None:
            by_supplier.setdefault(supplier_id, set()).add(code)
    flags: dict[int, list[str]] = {}
    for pk, item_id, location_id in rows:
        codes = set(by_il.get(pk, ()))
        codes |= {code for loc, code in by_item.get(item_id, ()) if loc is None or loc == location_id}
        codes |= by_supplier.get(primary.get(item_id), set())
        if codes:
            flags[pk] = sorted(codes)
    return flags


def inbox_list(*, user, status: str = "", kind: str = "", source: str = "") -> QuerySet[InboxMessage]:
    if not can_view_integrations(user):
        return InboxMessage.objects.none()
    qs = InboxMessage.objects.defer("payload").order_by("-received_at", "-id")
    if status == "dead":
        qs = qs.filter(status__in=InboxMessage.DEAD_LETTER_STATUSES)
    elif status:
        qs = qs.filter(status=status)
    if kind:
        qs = qs.filter(kind__startswith=kind)
    if source:
        qs = qs.filter(source__startswith=source)
    return qs


def inbox_get(*, user, pk: int) -> InboxMessage:
    return inbox_list(user=user).defer(None).get(pk=pk)


def outbox_list(*, user, status: str = "") -> QuerySet[OutboxMessage]:
    if not can_view_integrations(user):
        return OutboxMessage.objects.none()
    qs = OutboxMessage.objects.order_by("-created_at", "-id")
    return qs.filter(status=status) if status else qs


def outbox_get(*, user, pk: int) -> OutboxMessage:
    return outbox_list(user=user).get(pk=pk)


def dead_letter_count(user) -> int:
    """Nav badge: dead letters in and out (one query)."""
    if not can_view_integrations(user):
        return 0
    inbox = InboxMessage.objects.filter(status__in=InboxMessage.DEAD_LETTER_STATUSES).count()
    return inbox + OutboxMessage.objects.filter(status=OutboxMessage.Status.DEAD).count()


def status_counts() -> dict[str, dict[str, int]]:
    return {
        "inbox": dict(
            InboxMessage.objects.values_list("status").annotate(n=Count("id")).values_list("status", "n")
        ),
        "outbox": dict(
            OutboxMessage.objects.values_list("status").annotate(n=Count("id")).values_list("status", "n")
        ),
    }


def erp_health() -> dict:
    state = state_get("erp")
    return {
        "state": state,
        "adapter": get_adapter().describe(),
        "reopens_at": reopens_at(state),
        "pending": OutboxMessage.objects.filter(
            status__in=[
                OutboxMessage.Status.PENDING,
                OutboxMessage.Status.FAILED,
                OutboxMessage.Status.SENDING,
            ]
        ).count(),
        "dead": OutboxMessage.objects.filter(status=OutboxMessage.Status.DEAD).count(),
    }


def connector_states() -> QuerySet[ConnectorState]:
    return ConnectorState.objects.order_by("name")


def data_quality_issue_list(*, user, status: str = "open", code: str = "") -> QuerySet[DataQualityIssue]:
    qs = DataQualityIssue.objects.select_related(
        "item", "location", "supplier", "item_location__item", "item_location__location"
    )
    if not can_view_integrations(user):
        return qs.none()
    if status:
        qs = qs.filter(status=status)
    if code:
        qs = qs.filter(code=code)
    return qs.order_by("-created_at", "-id")


def edi_document_list(*, user, transaction_set_id: str = "") -> QuerySet[EdiDocument]:
    if not can_view_integrations(user):
        return EdiDocument.objects.none()
    qs = EdiDocument.objects.defer("text").order_by("-created_at", "-id")
    return qs.filter(transaction_set_id=transaction_set_id) if transaction_set_id else qs
