"""Writers of the governance app."""

from __future__ import annotations

from django.db import IntegrityError, transaction

from replenish.core import audit
from replenish.core.audit import audit_record, audit_refusal
from replenish.core.errors import InvalidInput, NotAllowed, StaleVersion
from replenish.core.models import AuditEvent
from replenish.core.roles import AUDITOR, MANAGER_RANK, has_role, user_rank

from .acceptance import (
    ALGORITHM,
    CATEGORICAL,
    MIN_SAMPLES,
    NUMERIC,
    acceptance_fit,
    acceptance_training_frame,
    bundle_dumps,
)
from .models import AcceptanceModel, ApprovalTier, AutomationPolicy, DriftFinding

# --- policy and tier editing (managers only; every change is a policy_change audit event with before/after) --------

TIER_FIELDS = [
    "action",
    "value_above",
    "value_up_to",
    "required_role",
    "effective_from",
    "effective_to",
    "active",
]
POLICY_FIELDS = [
    "name",
    "action",
    "abc_classes",
    "xyz_classes",
    "min_supplier_reliability",
    "max_value",
    "max_amount",
    "min_confidence",
    "require_no_quality_flags",
    "effective_from",
    "effective_to",
    "active",
]


def can_edit_policy(user) -> bool:
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    if has_role(user, AUDITOR):
        return False
    return user_rank(user) >= MANAGER_RANK or user.has_perm("governance.edit_policy")


def require_policy_editor(*, actor, action: str, subject_type: str, subject_id: str | int) -> None:
    """Refuse (and log the refusal) unless the actor may edit policies and tiers."""
    if not can_edit_policy(actor):
        reason = "Only a manager can change approval tiers and automation policies."
        audit_refusal(
            actor=actor, action=action, subject_type=subject_type, subject_id=subject_id, reason=reason
        )
        raise NotAllowed(reason)


def _snapshot(obj, fields: list[str]) -> dict:
    return audit.canonical_payload({field: getattr(obj, field) for field in fields})


def _validate(obj) -> None:
    from django.core.exceptions import ValidationError

    try:
        obj.full_clean(exclude=["created_by", "updated_by", "version"])
    except ValidationError as err:
        raise InvalidInput(
            {field: " ".join(messages) for field, messages in err.message_dict.items()}
        ) from err


def _save_audited(
    *,
    model,
    fields: list[str],
    subject_type: str,
    actor,
    obj_id: int | None,
    version: int | None,
    data: dict,
    lock_fields: list[str] | None = None,
):
    if obj_id is None:
        obj = model(created_by=actor, updated_by=actor)
        before: dict = {}
        verb = "create"
    else:
        obj = model.objects.select_for_update().get(pk=obj_id)
        if version is not None and obj.version != version:
            raise StaleVersion(
                f"{model._meta.verbose_name.capitalize()} #{obj.pk} was changed by someone else "
                f"(version {obj.version}, you edited {version}): reload and try again."
            )
        before = _snapshot(obj, fields)
        verb = "update"
    for field in fields:
        if field in data:
            setattr(obj, field, data[field])
    if lock_fields:
        # Lock every row of the same action so two managers cannot save overlapping bands at the same time
        # (PostgreSQL also has an exclusion constraint for the case where no row exists yet to lock).
        list(
            model.objects.select_for_update()
            .filter(**{k: getattr(obj, k) for k in lock_fields})
            .order_by("pk")
            .values_list("pk", flat=True)
        )
    _validate(obj)
    if obj_id is not None:
        obj.version += 1
        obj.updated_by = actor
    try:
        with transaction.atomic():
            obj.save()
    except IntegrityError as err:  # PostgreSQL's exclusion constraint: a concurrent overlapping save won
        raise InvalidInput(
            {
                "value_up_to": "This value band overlaps another active tier for the same action and "
                "dates: adjust the band or the effective dates."
            }
        ) from err
    after = _snapshot(obj, fields)
    if before and after == before:
        return obj
    audit_record(
        kind=AuditEvent.Kind.POLICY_CHANGE,
        action=f"{subject_type}_{verb}",
        actor=actor,
        subject_type=subject_type,
        subject_id=obj.pk,
        payload={"before": before, "after": after, "version": obj.version},
    )
    return obj


def tier_save(*, actor, data: dict, tier_id: int | None = None, version: int | None = None):
    """Create (tier_id None) or change an approval tier; overlapping active bands are refused (InvalidInput)."""
    require_policy_editor(
        actor=actor,
        action="tier_create" if tier_id is None else "tier_update",
        subject_type="approval_tier",
        subject_id=tier_id or "new",
    )
    with transaction.atomic():
        return _save_audited(
            model=ApprovalTier,
            fields=TIER_FIELDS,
            subject_type="approval_tier",
            actor=actor,
            obj_id=tier_id,
            version=version,
            data=data,
            lock_fields=["action"],
        )


def tier_deactivate(*, actor, tier_id: int, version: int | None = None):
    return tier_save(actor=actor, tier_id=tier_id, version=version, data={"active": False})


def policy_save(*, actor, data: dict, policy_id: int | None = None, version: int | None = None):
    """Create or change an automation policy."""
    if "abc_classes" in data:
        data = {**data, "abc_classes": (data["abc_classes"] or "").upper().replace(" ", "")}
    if "xyz_classes" in data:
        data = {**data, "xyz_classes": (data["xyz_classes"] or "").upper().replace(" ", "")}
    require_policy_editor(
        actor=actor,
        action="policy_create" if policy_id is None else "policy_update",
        subject_type="automation_policy",
        subject_id=policy_id or "new",
    )
    with transaction.atomic():
        return _save_audited(
            model=AutomationPolicy,
            fields=POLICY_FIELDS,
            subject_type="automation_policy",
            actor=actor,
            obj_id=policy_id,
            version=version,
            data=data,
        )


def policy_deactivate(*, actor, policy_id: int, version: int | None = None):
    return policy_save(actor=actor, policy_id=policy_id, version=version, data={"active": False})


# --- the acceptance model (feedback loop) --------------------------------------------------------------------------


@transaction.atomic
def acceptance_model_train(*, actor=None, random_state: int = 0):
    """Retrain the acceptance model on past decisions; store it with its validation score as the new version.
    Returns None (and changes nothing) while there are too few decisions."""
    from django.db.models import Max
    from django.utils import timezone

    frame = acceptance_training_frame()
    if len(frame) < MIN_SAMPLES:
        return None
    bundle, metrics = acceptance_fit(frame, random_state=random_state)
    version = (AcceptanceModel.objects.select_for_update().aggregate(v=Max("version"))["v"] or 0) + 1
    model = AcceptanceModel.objects.create(
        version=version,
        trained_at=timezone.now(),
        n_samples=metrics["n_samples"],
        n_accepted=metrics["n_accepted"],
        algorithm=ALGORITHM,
        validation_auc=metrics["auc"],
        validation_log_loss=metrics["log_loss"],
        features=[*CATEGORICAL, *NUMERIC],
        blob=bundle_dumps(bundle),
    )
    audit_record(
        kind=AuditEvent.Kind.SYSTEM,
        action="acceptance_model_train",
        actor=actor,
        subject_type="acceptance_model",
        subject_id=model.pk,
        payload={"version": version, **metrics},
    )
    return model


# --- drift findings ----------------------------------------------------------------------------------------------


def drift_finding_close(*, actor, finding_id: int, note: str = ""):
    """A manager closes a reviewed drift finding (audited)."""
    require_policy_editor(
        actor=actor, action="drift_finding_close", subject_type="drift_finding", subject_id=finding_id
    )  # outside the transaction: the refusal must survive the rollback
    with transaction.atomic():
        return _drift_finding_close(actor=actor, finding_id=finding_id, note=note)


def _drift_finding_close(*, actor, finding_id: int, note: str):
    from django.utils import timezone

    finding = DriftFinding.objects.select_for_update().get(pk=finding_id)
    if finding.status == DriftFinding.Status.CLOSED:
        raise InvalidInput({"status": f"Finding #{finding.pk} is already closed."})
    finding.status, finding.closed_by, finding.closed_at = DriftFinding.Status.CLOSED, actor, timezone.now()
    finding.close_note = note.strip()
    finding.save(update_fields=["status", "closed_by", "closed_at", "close_note"])
    audit_record(
        kind=AuditEvent.Kind.SYSTEM,
        action="drift_finding_close",
        actor=actor,
        subject_type="drift_finding",
        subject_id=finding.pk,
        payload={"kind": finding.kind, "category": finding.category, "note": finding.close_note},
    )
    return finding
