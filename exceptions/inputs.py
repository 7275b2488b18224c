"""Input of the decision services: override values and reason codes, checked field by field.

Every bad field is reported at once (InvalidInput names each one), before any row is locked.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal, InvalidOperation

from django.utils import timezone

from replenish import models as rm

from .errors import InvalidInput
from .models import PlanningException, ReasonCode
from .scoring import with_spend
from .wording import action_words


def _reason(code: str, *, applies_to: str, field: str = "reason_code") -> str:
    code = (code or "").strip()
    if not code:
        return ""
    if not ReasonCode.objects.filter(code=code, active=True, applies_to__in=["any", applies_to]).exists():
        raise InvalidInput(
            {field: f"Reason code “{code}” is not a valid {applies_to} reason: choose one from the list."}
        )
    return code


def _parse_quantity(raw) -> tuple[int | None, str | None]:
    if raw is None or str(raw).strip() == "":
        return None, "Quantity is required: enter a whole number of units, e.g. 240."
    text = str(raw).strip().replace(",", "")
    try:
        value = Decimal(text)
    except InvalidOperation:
        return None, f"Quantity must be a whole number of units, not “{raw}”."
    if not value.is_finite() or value != value.to_integral_value():
        return None, f"Quantity must be a whole number of units, not “{raw}”."
    if value < 0:
        return None, "Quantity cannot be negative."
    if value > 10_000_000:
        return None, "Quantity is implausibly large (over 10 million units)."
    return int(value), None


def _parse_date(raw) -> tuple[date | None, str | None]:
    if raw is None or str(raw).strip() == "":
        return None, None
    if isinstance(raw, date):
        return raw, None
    try:
        return date.fromisoformat(str(raw).strip()), None
    except ValueError:
        return None, f"Date must look like 2026-12-01, not “{raw}”."


def _parse_pk(model, raw, field: str, label: str):
    if raw is None or raw == "":
        return None, None
    if isinstance(raw, model):
        return raw, None
    try:
        return model.objects.get(pk=int(raw)), None
    except (TypeError, ValueError, model.DoesNotExist):
        return None, f"{label} “{raw}” does not exist."


def _parse_values(*, quantity, date_value, supplier, source_location) -> tuple[dict, dict[str, str]]:
    """Parse override values; returns (values, errors by field) without raising, so all errors show at once."""
    errors: dict[str, str] = {}
    qty, error = _parse_quantity(quantity)
    if error:
        errors["quantity"] = error
    day, error = _parse_date(date_value)
    if error:
        errors["date"] = error
    elif day is not None and day < timezone.localdate():
        errors["date"] = "Date cannot be in the past."
    sup, error = _parse_pk(rm.Supplier, supplier, "supplier", "Supplier")
    if error:
        errors["supplier"] = error
    src, error = _parse_pk(rm.Location, source_location, "source_location", "Source location")
    if error:
        errors["source_location"] = error
    return {"quantity": qty, "date": day, "supplier": sup, "source_location": src}, errors


def _validated(
    *, quantity, date_value, supplier, source_location, reason_code, comment
) -> tuple[dict, str, str]:
    """Every field of an override checked before anything is locked; InvalidInput names each bad field."""
    values, errors = _parse_values(
        quantity=quantity, date_value=date_value, supplier=supplier, source_location=source_location
    )
    code = (reason_code or "").strip()
    text = (comment or "").strip()
    if not code:
        errors["reason_code"] = "Reason code is required: choose why."
    else:
        try:
            _reason(code, applies_to="override")
        except InvalidInput as err:
            errors.update(err.errors)
    if not text:
        errors["comment"] = "Comment is required: explain the change in a few words."
    if errors:
        raise InvalidInput(errors)
    return values, code, text


def _new_proposal(exc: PlanningException, values: dict) -> dict:
    """The proposal with the override values applied (checks that depend on the exception itself)."""
    current = dict(exc.proposal or {})
    action = current.get("action")
    if current.get("lines"):
        raise InvalidInput(
            {
                "action": "A draft PO is approved, sent for approval or rejected as a whole: change a line's quantity "
                "on its SKU-location after rejecting the draft, or approve it and amend the PO in the ERP."
            }
        )
    if not action:
        raise InvalidInput(
            {"action": "Nothing to override: this exception has no proposed action. Reject or snooze."}
        )
    day, src, sup = values["date"], values["source_location"], values["supplier"]
    errors = {}
    if day is None and action != "cancel":
        errors["date"] = "Date is required: when should it happen?"
    if src is not None and exc.location_id and src.pk == exc.location_id:
        errors["source_location"] = "Source location must differ from the receiving location."
    if errors:
        raise InvalidInput(errors)
    proposal = {**current, "quantity": values["quantity"], "date": day.isoformat() if day else None}
    if sup is not None:
        proposal.update({"supplier_id": sup.pk, "supplier_code": sup.code, "supplier_name": sup.name})
        if sup.pk != current.get("supplier_id"):
            proposal.update(_supplier_terms(exc, sup))
    if src is not None:
        proposal.update({"source_location_id": src.pk, "source_location_code": src.code})
    proposal["text"] = action_words(proposal, exception_type=exc.type, today=timezone.localdate())
    if proposal.get("unit_cost") in (None, "") and exc.item_location_id:
        proposal["unit_cost"] = str(
            exc.item_location.item.unit_cost
        )  # a proposal stored before it was written
    return with_spend(proposal)


def _supplier_terms(exc: PlanningException, supplier) -> dict:
    """Unit cost, MOQ and pack of the item at another supplier (what the decided PO would spend there)."""
    terms = (
        rm.SupplierItem.objects.filter(supplier=supplier, item_id=exc.item_location.item_id)
        .values("unit_cost", "moq", "pack_size")
        .first()
        if exc.item_location_id
        else None
    )
    if terms is None:
        raise InvalidInput(
            {"supplier": f"{supplier.name} does not supply this item: choose one of its suppliers."}
        )
    return {"unit_cost": str(terms["unit_cost"]), "moq": terms["moq"], "pack_size": terms["pack_size"]}
