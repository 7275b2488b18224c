"""Readers of the governance app: the approvals inbox, override history, audit trail and timelines."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal, InvalidOperation

from django.db.models import Q, QuerySet
from django.utils import timezone

from exceptions.models import Decision, ExceptionType, PlanningException, ReasonCode
from integrations.models import OutboxMessage
from replenish.core.models import AuditEvent
from replenish.core.roles import ADMINISTRATOR, AUDITOR, MANAGER_RANK, ROLE_RANK, has_role, user_rank
from replenish.models import Recommendation

from .models import ApprovalTier, AutomationPolicy, DriftFinding


def is_auditor(user) -> bool:
    return has_role(user, AUDITOR)


def can_view_audit(user) -> bool:
    """Auditors, managers and directors (and administrators) read the audit screens.

    By group, not by the core.view_audit permission: roles_ensure() grants every role all view_* codenames of
    the planning apps, which includes view_audit.
    """
    if not getattr(user, "is_authenticated", False):
        return False
    if user.is_superuser or user_rank(user) >= MANAGER_RANK:
        return True
    return has_role(user, AUDITOR, ADMINISTRATOR)


def can_approve_tiers(user) -> bool:
    return user_rank(user) >= MANAGER_RANK and not is_auditor(user)


# --- approvals inbox -----------------------------------------------------------------------------------------------


def approvals_inbox_list(*, user) -> QuerySet:
    """Exceptions awaiting approval whose required role this user's rank covers, largest value first."""
    rank = user_rank(user)
    roles = [role for role, role_rank in ROLE_RANK.items() if role_rank <= rank]
    if rank < MANAGER_RANK:
        return PlanningException.objects.none()
    return (
        PlanningException.objects.filter(status="awaiting_approval", required_role__in=roles)
        .select_related("item_location__item", "location", "supplier", "maker", "recommendation", "buyer")
        .order_by("-value_at_stake", "pk")
    )


def approvals_waiting_count(user) -> int:
    try:
        return approvals_inbox_list(user=user).count()
    except LookupError:
        return 0


# --- override history ----------------------------------------------------------------------------------------------


@dataclass
class OverrideFilters:
    user: str = ""
    reason: str = ""
    date_from: date | None = None
    date_to: date | None = None
    type: str = ""
    value_min: Decimal | None = None
    value_max: Decimal | None = None
    action: str = "override"

    ACTIONS = ("override", "approve", "reject", "auto_execute", "request_approval", "snooze", "all")

    @classmethod
    def from_query(cls, params) -> tuple[OverrideFilters, dict[str, str]]:
        """Parse GET parameters; bad values are reported by field name and ignored."""
        errors: dict[str, str] = {}
        filters = cls(
            user=params.get("user", "").strip(),
            reason=params.get("reason", "").strip(),
            type=params.get("type", "").strip(),
            action=params.get("action", "override") or "override",
        )
        if filters.action not in cls.ACTIONS:
            errors["action"] = f"Decision must be one of {', '.join(cls.ACTIONS)}."
            filters.action = "override"
        for field in ("date_from", "date_to"):
            raw = params.get(field, "").strip()
            if raw:
                try:
                    setattr(filters, field, date.fromisoformat(raw))
                except ValueError:
                    errors[field] = f"{field.replace('_', ' ').capitalize()} must be a date like 2026-01-31."
        for field in ("value_min", "value_max"):
            raw = params.get(field, "").strip().replace(",", "")
            if raw:
                try:
                    setattr(filters, field, Decimal(raw))
                except InvalidOperation:
                    errors[field] = f"{field.replace('_', ' ').capitalize()} must be a number."
        return filters, errors

    def as_query(self) -> dict[str, str]:
        return {k: str(v) for k, v in self.__dict__.items() if v not in (None, "")}


def override_history_list(*, user, filters: OverrideFilters) -> QuerySet:
    """Decisions (overrides by default) with who, why, when, what and how much, newest first."""
    if not can_view_audit(user):
        return Decision.objects.none()
    qs = Decision.objects.select_related(
        "exception", "actor", "recommendation", "exception__item_location__item", "exception__location"
    )
    if filters.action != "all":
        qs = qs.filter(action=filters.action)
    if filters.user:
        qs = (
            qs.filter(actor__username__iexact=filters.user)
            if filters.user != "system"
            else qs.filter(actor__isnull=True)
        )
    if filters.reason:
        qs = qs.filter(reason_code=filters.reason)
    if filters.type:
        qs = qs.filter(Q(exception__type=filters.type) | Q(recommendation__action=filters.type))
    tz = timezone.get_current_timezone()
    if filters.date_from:
        qs = qs.filter(created_at__gte=timezone.make_aware(datetime.combine(filters.date_from, time.min), tz))
    if filters.date_to:
        qs = qs.filter(
            created_at__lt=timezone.make_aware(
                datetime.combine(filters.date_to + timedelta(days=1), time.min), tz
            )
        )
    if filters.value_min is not None:
        qs = qs.filter(value__gte=filters.value_min)
    if filters.value_max is not None:
        qs = qs.filter(value__lte=filters.value_max)
    return qs.order_by("-created_at", "-pk")


def override_filter_choices() -> dict[str, list]:
    types = [*ExceptionType.choices, *Recommendation.Action.choices]
    used = set(Decision.objects.exclude(reason_code="").values_list("reason_code", flat=True).distinct())
    reasons = list(ReasonCode.objects.values_list("code", "label"))
    reasons += [(code, code) for code in sorted(used - {code for code, _ in reasons})]
    from django.contrib.auth import get_user_model

    users = list(
        get_user_model()
        .objects.filter(pk__in=Decision.objects.filter(actor__isnull=False).values("actor_id"))
        .order_by("username")
        .values_list("username", flat=True)
    )
    return {"types": types, "reasons": reasons, "users": users, "actions": list(OverrideFilters.ACTIONS)}


# --- audit trail and timelines -------------------------------------------------------------------------------------


def audit_event_list(
    *, kind: str = "", subject_type: str = "", subject_id: str = "", actor: str = ""
) -> QuerySet:
    qs = AuditEvent.objects.select_related("actor").order_by("-sequence")
    if kind:
        qs = qs.filter(kind=kind)
    if subject_type:
        qs = qs.filter(subject_type=subject_type)
    if subject_id:
        qs = qs.filter(subject_id=subject_id)
    if actor:
        qs = qs.filter(actor_name__iexact=actor)
    return qs


def _batch_creations(exception_ids: list[int]) -> list[AuditEvent]:
    """The creation of exceptions a large refresh audited in one batch event of its plan run (kind recommendation,
    action create_batch): that event, narrowed to the rows of these exceptions."""
    runs = set(
        PlanningException.objects.filter(pk__in=exception_ids, creation_audited=False).values_list(
            "run_id", flat=True
        )
    )
    wanted = {int(pk) for pk in exception_ids}
    out = []
    for event in AuditEvent.objects.filter(
        kind=AuditEvent.Kind.RECOMMENDATION,
        action="create_batch",
        subject_type="plan_run",
        subject_id__in=[str(r) for r in runs],
    ).order_by("sequence"):
        rows = [row for row in event.payload.get("exceptions", []) if row and row[0] in wanted]
        if rows:
            # each row as its named fields (the batch stores the column names once), for the readable timeline
            columns = event.payload.get("columns") or []
            named = [dict(zip(columns, row, strict=False)) if columns else row for row in rows]
            rest = {k: v for k, v in event.payload.items() if k not in ("exceptions", "columns", "count")}
            event.payload = {**rest, "created": named[0] if len(named) == 1 else named}
            out.append(event)
    return out


@dataclass
class TimelineEntry:
    at: datetime
    source: str  # "audit" or "outbox"
    title: str
    actor: str
    detail: dict
    sequence: int | None = None


def recommendation_timeline(*, subject_type: str, subject_id: int) -> dict:
    """Everything that happened to one recommendation (or exception) from creation to the ERP's answer:
    audit events about the recommendation, its exceptions and their outbox messages, and the messages' state."""
    if subject_type == "exception":
        exception = PlanningException.objects.select_related("recommendation").filter(pk=subject_id).first()
        recommendation_id = exception.recommendation_id if exception else None
        exception_ids = [subject_id]
    elif subject_type == "recommendation":
        recommendation_id = subject_id
        exception_ids = list(
            PlanningException.objects.filter(recommendation_id=subject_id).values_list("pk", flat=True)
        )
    else:
        raise ValueError(f"unknown subject type {subject_type!r}")
    messages = list(
        OutboxMessage.objects.filter(
            subject_type="exception", subject_id__in=[str(pk) for pk in exception_ids]
        ).order_by("pk")
    )
    subjects = Q(subject_type="exception", subject_id__in=[str(pk) for pk in exception_ids])
    if recommendation_id:
        subjects |= Q(subject_type="recommendation", subject_id=str(recommendation_id))
    if messages:
        subjects |= Q(
            subject_type__in=["outbox", "outboxmessage", "outbox_message"],
            subject_id__in=[str(m.pk) for m in messages],
        )
    events = list(AuditEvent.objects.filter(subjects).order_by("sequence"))
    events += _batch_creations(exception_ids)
    entries = [
        TimelineEntry(
            at=e.created_at,
            source="audit",
            title=f"{e.get_kind_display()}: {e.action.replace('_', ' ')}",
            actor=e.actor_name,
            detail=e.payload,
            sequence=e.sequence,
        )
        for e in events
    ]
    for m in messages:
        entries.append(
            TimelineEntry(
                at=m.created_at,
                source="outbox",
                title=f"Outbox {m.kind}: queued",
                actor="system",
                detail={"idempotency_key": m.idempotency_key},
            )
        )
        if m.delivered_at:
            entries.append(
                TimelineEntry(
                    at=m.delivered_at,
                    source="outbox",
                    title=f"Outbox {m.kind}: delivered",
                    actor="system",
                    detail={"erp_transaction_id": m.erp_transaction_id},
                )
            )
    entries.sort(key=lambda e: (e.at, e.sequence or 0))

    return {
        "recommendation": Recommendation.objects.select_related(
            "item_location__item", "item_location__location", "supplier"
        )
        .filter(pk=recommendation_id)
        .first()
        if recommendation_id
        else None,
        "exceptions": list(PlanningException.objects.filter(pk__in=exception_ids)),
        "outbox_messages": messages,
        "entries": entries,
    }


# --- policies, tiers, drift ----------------------------------------------------------------------------------------


def tier_list(*, include_inactive: bool = False) -> QuerySet:
    qs = ApprovalTier.objects.select_related("updated_by")
    return qs if include_inactive else qs.filter(active=True)


def policy_list(*, include_inactive: bool = False) -> QuerySet:
    qs = AutomationPolicy.objects.select_related("updated_by")
    return qs if include_inactive else qs.filter(active=True)


def drift_finding_list(*, status: str = "open") -> QuerySet:
    qs = DriftFinding.objects.select_related("supplier", "closed_by", "report")
    return qs.filter(status=status) if status in ("open", "closed") else qs
