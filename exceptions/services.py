"""Writers of the exceptions app: decisions on exceptions, the refresh, ownership.

Every decision locks the exception row (SELECT ... FOR UPDATE), checks the version the person saw (optimistic lock:
a stale version is a 409 with the fresh row; the same person's same action on the same version a second time is a
no-op, so a double submit is applied once), checks permission, approval tier and maker-checker (refusals are
audited in their own transaction, after the decision's transaction rolled back), writes the Decision row, the audit
event and -- for approved actions -- the outbox message, all in one transaction.
"""

from __future__ import annotations

import re
from datetime import date

from django.db import transaction
from django.db.models import OuterRef, Subquery
from django.utils import timezone

from integrations.services import outbox_enqueue
from replenish import models as rm
from replenish.core.audit import audit_record, audit_refusal
from replenish.core.roles import MANAGER_RANK, ROLE_RANK, WAREHOUSE_SUPERVISOR, user_rank
from replenish.templatetags.ui import moment

from .approval import approval_for, awaiting_refusal, role_refusal, tier_refusal
from .drafts import draft_lines_follow
from .errors import InvalidInput, NotAllowed, StaleVersion
from .inputs import _new_proposal, _parse_date, _parse_values, _reason, _validated
from .models import (
    AWAITING_POSTING,
    DECIDABLE,
    Decision,
    LocationUserObjectPermission,
    PlanningException,
    Status,
)
from .refresh import (
    OUTBOX_KINDS,
    RefreshResult,
    exceptions_refresh,
    exceptions_wake,
    idempotency_key,
    outbox_payload,
    proposal_key,
)
from .selectors import exception_get, exception_visible, queue_counts_adjust, queue_counts_invalidate

__all__ = [
    "RefreshResult",
    "exception_approve",
    "exception_mark_posted",
    "exception_override",
    "exception_reject",
    "exception_request_approval",
    "exception_snooze",
    "exceptions_bulk_approve",
    "exceptions_refresh",
    "exceptions_wake",
    "supervisor_scopes_ensure",
]


# --- helpers ------------------------------------------------------------------------------------------------------


def _locked(exception: PlanningException) -> PlanningException:
    return PlanningException.objects.select_for_update().get(pk=exception.pk)


def _snapshot(exc: PlanningException) -> dict:
    return {
        "status": exc.status,
        "version": exc.version,
        "proposal": exc.proposal,
        "value_at_stake": str(exc.value_at_stake),
        "snoozed_until": exc.snoozed_until.isoformat() if exc.snoozed_until else None,
        "maker": exc.maker_id,
    }


def _who(decision: Decision | None) -> str:
    if decision is None:
        return "the plan refresh"
    if decision.actor_id is None:
        return "the automation policy"
    user = decision.actor
    return user.get_full_name() or user.username


def _stale(exc: PlanningException) -> StaleVersion:
    """The 409's words: who changed the row since the person read it, and when (in the one date format)."""
    last = Decision.objects.select_related("actor").filter(exception=exc).order_by("-version").first()
    if exc.status == Status.CLOSED:
        message = (
            f"The plan refresh closed this exception at {moment(exc.closed_at or exc.updated_at)}: "
            "the condition no longer holds."
        )
    elif last is not None and last.version >= exc.version - 1:
        message = (
            f"{_who(last)} already decided this ({last.get_action_display().lower()}) at "
            f"{moment(last.created_at)}. The row shows the current state."
        )
    else:
        message = (
            f"The plan refresh changed this exception at {moment(exc.updated_at)}, after you opened it. "
            "The row shows the current proposal."
        )
    return StaleVersion(message, current=exc)


def _version(exc: PlanningException, *, version, actor, action: str) -> bool:
    """True when the decision should be applied; False when it is the same person's repeated submit (no-op)."""
    try:
        version = int(version)
    except (TypeError, ValueError) as err:
        raise InvalidInput({"version": "The form is missing its version: reload the page."}) from err
    if version == exc.version:
        return True
    if Decision.objects.filter(exception=exc, version=version, actor=actor, action=action).exists():
        return False
    raise _stale(exc)


def _can_decide(actor, exc: PlanningException) -> str | None:
    """Why the actor may not decide this exception (None = may)."""
    if actor is None or not getattr(actor, "is_authenticated", False):
        return "Log in to decide exceptions."
    if not actor.has_perm("exceptions.decide_exception"):
        return "Your role can read exceptions but not decide them."
    if not exception_visible(user=actor, exception_id=exc.pk):
        return "This exception belongs to another team's queue."
    return None


def _refuse(*, actor, action: str, exc: PlanningException, reason: str, payload: dict | None = None):
    audit_refusal(
        actor=actor,
        action=action,
        subject_type="exception",
        subject_id=exc.pk,
        reason=reason,
        payload={"version": exc.version, "status": exc.status, **(payload or {})},
    )
    raise NotAllowed(reason)


def _decide(
    exc: PlanningException,
    *,
    actor,
    action: str,
    status: str,
    before: dict,
    reason_code: str = "",
    comment: str = "",
    post: bool = False,
    extra_payload: dict | None = None,
) -> PlanningException:
    """Write the decision: new status and version, Decision row, audit event, outbox message (same transaction)."""
    decided_version = exc.version
    was = (
        before["status"],
        date.fromisoformat(before["snoozed_until"]) if before.get("snoozed_until") else None,
    )
    exc.status = status
    exc.version = decided_version + 1
    exc.decided_at = timezone.now()
    exc.save(
        update_fields=[
            "status",
            "version",
            "decided_at",
            "proposal",
            "maker",
            "required_role",
            "snoozed_until",
            "updated_at",
        ]
    )
    draft_lines_follow(exc)
    Decision.objects.create(
        exception=exc,
        recommendation_id=exc.recommendation_id,
        actor=actor,
        action=action,
        version=decided_version,
        before=before,
        after=_snapshot(exc),
        reason_code=reason_code,
        comment=comment,
        value=exc.value_at_stake,
        confidence=exc.confidence,
    )
    message = None
    if post and exc.proposal.get("action"):
        message = _post(exc, actor=actor, action=action, reason_code=reason_code, comment=comment)
    audit_record(
        kind="decision",
        action=action,
        actor=actor,
        subject_type="exception",
        subject_id=exc.pk,
        payload={
            "version": decided_version,
            "before": before,
            "after": _snapshot(exc),
            "reason_code": reason_code,
            "comment": comment,
            "recommendation_id": exc.recommendation_id,
            "outbox_key": message.idempotency_key if message else None,
            **(extra_payload or {}),
        },
    )

    actor_id, now = getattr(actor, "pk", None), (exc.status, exc.snoozed_until)
    if actor_id:
        transaction.on_commit(lambda: queue_counts_adjust(user_id=actor_id, before=was, after=now))
    return exc


def _post(exc: PlanningException, *, actor, action: str, reason_code: str = "", comment: str = ""):
    proposal = exc.proposal
    kind = OUTBOX_KINDS.get(proposal["action"], proposal["action"])
    message = outbox_enqueue(
        kind=kind,
        idempotency_key=idempotency_key(exc.pk, kind),
        payload=outbox_payload(
            exc, proposal, actor=actor, action=action, reason_code=reason_code, comment=comment
        ),
        subject_type="exception",
        subject_id=exc.pk,
    )
    if message.status == message.Status.DELIVERED:  # rolls the decision back: the ERP has this action already
        raise NotAllowed(
            f"This action was already posted to the ERP ({message.erp_transaction_id}): it is never posted twice."
        )
    return message


# --- decisions ----------------------------------------------------------------------------------------------------


def exception_approve(
    *, exception: PlanningException, actor, version, comment: str = ""
) -> PlanningException:
    """Approve the proposal as it stands (or an awaiting-approval request, by someone of the required rank).

    Refused (and audited) when the actor's role does not decide this action, when what it spends is above the
    actor's approval limit, or for the maker of a changed proposal (maker-checker)."""
    refusal, audit, comment = None, {}, comment or ""
    with transaction.atomic():
        exc = _locked(exception)
        if not _version(exc, version=version, actor=actor, action=Decision.Action.APPROVE):
            return exc
        refusal = _can_decide(actor, exc) or role_refusal(actor, exc.proposal)
        if refusal is None and exc.maker_id and exc.maker_id == getattr(actor, "pk", None):
            refusal = "You made or changed this proposal: someone else must approve it (maker-checker)."
        if refusal is None:
            if exc.status == Status.AWAITING_APPROVAL:
                refusal, audit = awaiting_refusal(actor, exc)
            elif exc.status in DECIDABLE:
                approval = approval_for(exc, exc.proposal)
                refusal, audit = tier_refusal(actor, approval), approval.audit() if approval else {}
                if (
                    refusal is None
                    and approval is not None
                    and approval.above_ceiling
                    and not comment.strip()
                ):
                    raise InvalidInput({"comment": f"{approval.ceiling_reason}: say why in the comment."})
            else:
                raise _stale(exc)
        if refusal is None:
            before = _snapshot(exc)
            exc.required_role = ""
            return _decide(
                exc,
                actor=actor,
                action=Decision.Action.APPROVE,
                status=Status.APPROVED,
                before=before,
                comment=comment.strip(),
                post=True,
                extra_payload=audit,
            )
    _refuse(actor=actor, action="approve", exc=exception, reason=refusal, payload=audit)


def exception_override(
    *,
    exception: PlanningException,
    actor,
    version,
    quantity,
    date,
    supplier=None,
    source_location=None,
    reason_code,
    comment,
) -> PlanningException:
    """Decide with other values (quantity, date, supplier or source location), a reason code and a comment; the
    approval tier is the one of the overridden amount."""
    audit: dict = {}
    values, code, text = _validated(
        quantity=quantity,
        date_value=date,
        supplier=supplier,
        source_location=source_location,
        reason_code=reason_code,
        comment=comment,
    )
    refusal = None
    with transaction.atomic():
        exc = _locked(exception)
        if not _version(exc, version=version, actor=actor, action=Decision.Action.OVERRIDE):
            return exc
        if exc.status not in DECIDABLE:
            raise _stale(exc)
        proposal = _new_proposal(exc, values)
        refusal = _can_decide(actor, exc) or role_refusal(actor, proposal)
        approval = approval_for(
            exc, proposal
        )  # at the decided values: the tier cannot be bypassed by override
        audit = approval.audit() if approval else {}
        refusal = refusal or tier_refusal(actor, approval)
        if refusal is None:
            before = _snapshot(exc)
            exc.proposal = proposal
            exc.maker = actor
            return _decide(
                exc,
                actor=actor,
                action=Decision.Action.OVERRIDE,
                status=Status.OVERRIDDEN,
                before=before,
                reason_code=code,
                comment=text,
                post=True,
                extra_payload={
                    "changed": proposal_key(proposal) != proposal_key(before["proposal"]),
                    **audit,
                },
            )
    _refuse(actor=actor, action="override", exc=exception, reason=refusal, payload=audit)


def exception_reject(
    *, exception: PlanningException, actor, version, reason_code, comment: str = ""
) -> PlanningException:
    """Reject the proposal with a reason code (the same proposal is not raised again for SUPPRESS_DAYS)."""
    if not (reason_code or "").strip():
        raise InvalidInput({"reason_code": "Reason code is required: choose why you reject it."})
    code, text = _reason(reason_code, applies_to="reject"), (comment or "").strip()
    refusal = None
    with transaction.atomic():
        exc = _locked(exception)
        if not _version(exc, version=version, actor=actor, action=Decision.Action.REJECT):
            return exc
        if exc.status not in (*DECIDABLE, Status.AWAITING_APPROVAL):
            raise _stale(exc)
        refusal = _can_decide(actor, exc) or role_refusal(actor, exc.proposal)
        if (
            refusal is None
            and exc.status == Status.AWAITING_APPROVAL
            and exc.maker_id != getattr(actor, "pk", None)
            and user_rank(actor) < ROLE_RANK.get(exc.required_role, MANAGER_RANK)
        ):
            refusal = f"This request needs a {exc.required_role or 'manager'} to decide it."
        if refusal is None:
            before = _snapshot(exc)
            exc.required_role = ""
            return _decide(
                exc,
                actor=actor,
                action=Decision.Action.REJECT,
                status=Status.REJECTED,
                before=before,
                reason_code=code,
                comment=text,
            )
    _refuse(actor=actor, action="reject", exc=exception, reason=refusal)


def exception_snooze(*, exception: PlanningException, actor, version, until) -> PlanningException:
    """Hide the exception from the queue until a date (it comes back then, or at the next refresh after it)."""
    day, error = _parse_date(until)
    if error or day is None:
        raise InvalidInput({"until": error or "Until is required: pick the date it should come back."})
    today = timezone.localdate()
    if day <= today:
        raise InvalidInput({"until": "Until must be after today."})
    if (day - today).days > 180:
        raise InvalidInput({"until": "Until can be at most 180 days ahead."})
    refusal = None
    with transaction.atomic():
        exc = _locked(exception)
        if not _version(exc, version=version, actor=actor, action=Decision.Action.SNOOZE):
            return exc
        if exc.status not in DECIDABLE:
            raise _stale(exc)
        refusal = _can_decide(actor, exc)
        if refusal is None:
            before = _snapshot(exc)
            exc.snoozed_until = day
            return _decide(
                exc, actor=actor, action=Decision.Action.SNOOZE, status=Status.SNOOZED, before=before
            )
    _refuse(actor=actor, action="snooze", exc=exception, reason=refusal)


def exception_request_approval(
    *,
    exception: PlanningException,
    actor,
    version,
    quantity=None,
    date=None,
    supplier=None,
    source_location=None,
    reason_code: str = "",
    comment: str = "",
) -> PlanningException:
    """Send the proposal (optionally changed) to an approver of the tier its amount needs; the actor becomes its
    maker. Unchanged, it needs no reason; changed, a reason code and a comment like an override."""
    given = any(v not in (None, "") for v in (quantity, date, supplier, source_location))
    values, errors = (
        _parse_values(quantity=quantity, date_value=date, supplier=supplier, source_location=source_location)
        if given
        else ({}, {})
    )
    if errors:
        raise InvalidInput(errors)
    code, text = _reason(reason_code, applies_to="override"), (comment or "").strip()
    refusal = None
    with transaction.atomic():
        exc = _locked(exception)
        if not _version(exc, version=version, actor=actor, action=Decision.Action.REQUEST_APPROVAL):
            return exc
        if exc.status not in DECIDABLE:
            raise _stale(exc)
        proposal = _new_proposal(exc, values) if given else exc.proposal
        if proposal_key(proposal) == proposal_key(exc.proposal):
            proposal = (
                exc.proposal
            )  # the form sent the values as they were: nothing changed, no reason needed
        else:
            _validated(
                quantity=quantity,
                date_value=date,
                supplier=supplier,
                source_location=source_location,
                reason_code=reason_code,
                comment=comment,
            )  # a changed proposal needs a reason code and a comment, like an override
        refusal = _can_decide(actor, exc) or role_refusal(actor, proposal)
        if refusal is None and not (proposal or {}).get("action"):
            raise InvalidInput({"action": "Nothing to approve: this exception has no proposed action."})
        if refusal is None:
            approval = approval_for(exc, proposal)
            before = _snapshot(exc)
            exc.proposal = proposal
            exc.maker = actor
            exc.required_role = approval.role if approval and approval.role else "manager"
            return _decide(
                exc,
                actor=actor,
                action=Decision.Action.REQUEST_APPROVAL,
                status=Status.AWAITING_APPROVAL,
                before=before,
                reason_code=code,
                comment=text,
                extra_payload={
                    "required_role": exc.required_role,
                    "tier": approval.label() if approval else "",
                    **(approval.audit() if approval else {}),
                },
            )
    _refuse(actor=actor, action="request_approval", exc=exception, reason=refusal)


def exceptions_bulk_approve(
    *, actor, items: list[tuple[int, int]]
) -> list[tuple[PlanningException | None, str]]:
    """Approve many (id, version) pairs, each in its own transaction; returns (exception, error message or '')."""
    results = []
    for pk, version in items:
        try:
            exc = exception_get(user=actor, pk=pk)
        except PlanningException.DoesNotExist:
            results.append((None, f"Exception #{pk} is not in your queue."))
            continue
        try:
            results.append((exception_approve(exception=exc, actor=actor, version=version), ""))
        except (StaleVersion, NotAllowed, InvalidInput) as err:
            exc.refresh_from_db()
            results.append((exc, str(err)))
    return results


@transaction.atomic
def exception_skus_copy(*, skus: list[str]) -> int:
    """The tasks of the items now coded `skus` take their item's code again (PlanningException.sku: the queue's SKU
    search reads the copy), after an import renamed them. Returns the number of tasks updated."""
    updated = 0
    for start in range(0, len(skus), 500):  # under SQLite's limit on a statement's parameters
        updated += (
            PlanningException.objects.filter(item_location__item__sku__in=skus[start : start + 500])
            .order_by()
            .update(
                sku=Subquery(
                    rm.ItemLocation.objects.filter(pk=OuterRef("item_location_id")).values("item__sku")[:1]
                )
            )
        )
    return updated


def exception_mark_posted(*, exception_id: int, outcome: dict, ok: bool = True) -> PlanningException | None:
    """Record the ERP's answer for a decided exception: posted, or back to review when the posting failed.

    The posting outcome itself is audited by the integrations relay (kind "posting"); this records the state.
    """
    with transaction.atomic():
        exc = PlanningException.objects.select_for_update().filter(pk=exception_id).first()
        if exc is None:
            return None
        if exc.status not in AWAITING_POSTING:
            return exc  # already posted, closed or re-decided: a repeated outcome changes nothing
        exc.outcome = {**(outcome or {}), "ok": bool(ok), "at": timezone.now().isoformat()}
        exc.status = Status.POSTED if ok else Status.IN_REVIEW
        exc.version += 1
        if ok:
            exc.decided_at = exc.decided_at or timezone.now()
        exc.save(update_fields=["outcome", "status", "version", "decided_at", "updated_at"])
        draft_lines_follow(exc)

    queue_counts_invalidate()
    return exc


# --- ownership ----------------------------------------------------------------------------------------------------

SUPERVISOR_NAME = re.compile(r"^supervisor(\d+)$")


def supervisor_scopes_ensure() -> int:
    """Grant each warehouse supervisor (demo users supervisor<N>) replenish.view_location on location WH<N>.

    Demo seeding, run by `demo_setup` only (never by a refresh). Idempotent. Real deployments grant locations in
    the admin.
    """
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Permission

    users = list(
        get_user_model().objects.filter(groups__name=WAREHOUSE_SUPERVISOR, username__startswith="supervisor")
    )
    if not users:
        return 0
    locations = {loc.code: loc for loc in rm.Location.objects.filter(code__startswith="WH")}
    have = set(
        LocationUserObjectPermission.objects.filter(
            user__in=users, permission__codename="view_location"
        ).values_list("user_id", "content_object_id")
    )
    permission = None
    granted = 0
    for user in users:
        match = SUPERVISOR_NAME.match(user.username)
        location = locations.get(f"WH{match.group(1)}") if match else None
        if location is None or (user.pk, location.pk) in have:
            continue
        permission = permission or Permission.objects.get(
            content_type__app_label="replenish", codename="view_location"
        )
        LocationUserObjectPermission.objects.get_or_create(
            user=user, permission=permission, content_object=location
        )
        granted += 1
    return granted
