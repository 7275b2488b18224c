"""Master-data quality gates: unmapped codes, contradictory units of measure, zero cost, lead-time outliers.

A gate does not reject the data (the ERP is the system of record and holds it already): it opens a
`DataQualityIssue`, one per fault (fingerprint), and the affected SKU-locations are kept out of auto-execution
(`integrations.selectors.quality_flags_for`) until the fault is fixed. A later import that no longer shows the
fault resolves the issue by itself.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from replenish.core.audit import audit_record
from replenish.models import Item, Supplier, SupplierItem, UomConversion

from . import conf
from .inbound import IssueSpec
from .models import DataQualityIssue, InboxMessage

Code = DataQualityIssue.Code


def _num(value: Decimal) -> str:
    return format(Decimal(value).normalize(), "f")


def issues_open(
    specs: Iterable[IssueSpec], *, source: str = "", inbox_message: InboxMessage | None = None
) -> int:
    """Open the issues that are not open yet (same fingerprint = same fault). Returns how many were opened."""
    specs = list({s.fingerprint: s for s in specs}.values())
    if not specs:
        return 0
    already = set(
        DataQualityIssue.objects.filter(
            status=DataQualityIssue.Status.OPEN, fingerprint__in=[s.fingerprint for s in specs]
        ).values_list("fingerprint", flat=True)
    )
    new = [
        DataQualityIssue(
            code=s.code,
            message=s.message,
            item_id=s.item_id,
            location_id=s.location_id,
            supplier_id=s.supplier_id,
            item_location_id=s.item_location_id,
            details=s.details,
            fingerprint=s.fingerprint,
            source=source,
            inbox_message=inbox_message,
        )
        for s in specs
        if s.fingerprint not in already
    ]
    try:
        with transaction.atomic():
            DataQualityIssue.objects.bulk_create(new, batch_size=1000)
    except IntegrityError:  # a concurrent import opened one of them: open the rest one by one
        for issue in new:
            try:
                with transaction.atomic():
                    issue.save()
            except IntegrityError:
                continue
    return len(new)


def issues_resolve_passing(*, code: str, fingerprints_failing: set[str], scope: Q, actor=None) -> int:
    """Resolve the open issues of `code` within `scope` whose fault is no longer seen."""
    stale = DataQualityIssue.objects.filter(scope, code=code, status=DataQualityIssue.Status.OPEN).exclude(
        fingerprint__in=fingerprints_failing
    )
    return stale.update(
        status=DataQualityIssue.Status.RESOLVED,
        resolved_at=timezone.now(),
        resolved_by=actor if getattr(actor, "pk", None) else None,
    )


@transaction.atomic
def data_quality_issue_resolve(*, issue: DataQualityIssue, actor, note: str = "") -> DataQualityIssue:
    """A person marks an issue fixed (e.g. corrected in the ERP before the next sync)."""
    issue = DataQualityIssue.objects.select_for_update().get(pk=issue.pk)
    if issue.status == DataQualityIssue.Status.RESOLVED:
        return issue
    issue.status = DataQualityIssue.Status.RESOLVED
    issue.resolved_at = timezone.now()
    issue.resolved_by = actor if getattr(actor, "pk", None) else None
    issue.save(update_fields=["status", "resolved_at", "resolved_by"])
    audit_record(
        kind="system",
        action="data_quality_resolved",
        actor=actor,
        subject_type="data_quality_issue",
        subject_id=issue.pk,
        payload={"code": issue.code, "message": issue.message, "note": note},
    )
    return issue


# -- the gates -------------------------------------------------------------------------------------------------


def gate_item_costs(item_ids: Iterable[int]) -> list[IssueSpec]:
    """Zero unit cost on items (and resolve zero-cost issues of items that now have a cost)."""
    item_ids = list(item_ids)
    failing = []
    for item_id, sku in Item.objects.filter(pk__in=item_ids, unit_cost=0).values_list("pk", "sku"):
        failing.append(
            IssueSpec(
                code=Code.ZERO_COST,
                item_id=item_id,
                fingerprint=f"zero_cost:item:{item_id}",
                message=f"Item {sku} has a unit cost of 0: its value at stake and order economics cannot be computed.",
            )
        )
    issues_resolve_passing(
        code=Code.ZERO_COST,
        fingerprints_failing={s.fingerprint for s in failing},
        scope=Q(item_id__in=item_ids, supplier__isnull=True),
    )
    return failing


def gate_supplier_items(pairs: Iterable[tuple[int, int]]) -> list[IssueSpec]:
    """Zero cost, contradictory purchase unit and lead-time outliers of supplier items (supplier_id, item_id)."""
    pairs = list(pairs)
    if not pairs:
        return []
    item_ids = {i for _s, i in pairs}
    supplier_ids = {s for s, _i in pairs}
    rows = list(
        SupplierItem.objects.filter(supplier_id__in=supplier_ids, item_id__in=item_ids).values_list(
            "supplier_id",
            "item_id",
            "supplier__code",
            "item__sku",
            "item__base_uom",
            "purchase_uom",
            "pack_size",
            "unit_cost",
            "contracted_lead_time_days",
            "supplier__contracted_lead_time_days",
        )
    )
    wanted = set(pairs)
    factors = {
        (item_id, uom): factor
        for item_id, uom, factor in UomConversion.objects.filter(item_id__in=item_ids).values_list(
            "item_id", "uom", "factor"
        )
    }
    outlier_days = conf.lead_time_outlier_days()
    failing: list[IssueSpec] = []
    by_code: dict[str, set[str]] = {
        Code.ZERO_COST: set(),
        Code.CONTRADICTORY_UOM: set(),
        Code.LEAD_TIME_OUTLIER: set(),
    }
    for (
        supplier_id,
        item_id,
        supplier_code,
        sku,
        base_uom,
        purchase_uom,
        pack,
        cost,
        lead,
        supplier_lead,
    ) in rows:
        if (supplier_id, item_id) not in wanted:
            continue
        ids = {"supplier_id": supplier_id, "item_id": item_id}
        if cost == 0:
            fp = f"zero_cost:supplier_item:{supplier_id}:{item_id}"
            failing.append(
                IssueSpec(
                    code=Code.ZERO_COST,
                    fingerprint=fp,
                    **ids,
                    message=f"Supplier {supplier_code} quotes {sku} at a unit cost of 0.",
                )
            )
        factor = factors.get((item_id, purchase_uom))
        contradiction = None
        if purchase_uom == base_uom and factor is not None and factor != 1:
            contradiction = f"its base unit {base_uom} has a conversion factor of {_num(factor)} (must be 1)"
        elif purchase_uom != base_uom and factor is not None and factor != Decimal(pack):
            contradiction = (
                f"supplier {supplier_code} sells it in {purchase_uom} of {pack}, but the item's "
                f"conversion says 1 {purchase_uom} = {_num(factor)} {base_uom}"
            )
        if contradiction:
            fp = f"contradictory_uom:{supplier_id}:{item_id}"
            failing.append(
                IssueSpec(
                    code=Code.CONTRADICTORY_UOM,
                    fingerprint=fp,
                    **ids,
                    message=f"Item {sku}: {contradiction}.",
                )
            )
        outlier = None
        if lead is not None and lead > outlier_days:
            outlier = f"{lead} days is more than {outlier_days} days"
        elif lead is not None and supplier_lead and lead > 4 * supplier_lead:
            outlier = f"{lead} days is more than 4 x the supplier's contracted {supplier_lead} days"
        elif lead == 0:
            outlier = "0 days cannot be right for a purchased item"
        if outlier:
            fp = f"lead_time_outlier:{supplier_id}:{item_id}"
            failing.append(
                IssueSpec(
                    code=Code.LEAD_TIME_OUTLIER,
                    fingerprint=fp,
                    **ids,
                    message=f"Lead time of {sku} from {supplier_code}: {outlier}.",
                )
            )
    for spec in failing:
        by_code[spec.code].add(spec.fingerprint)
    scope = Q(supplier_id__in=supplier_ids, item_id__in=item_ids)
    for code, fingerprints in by_code.items():
        issues_resolve_passing(code=code, fingerprints_failing=fingerprints, scope=scope)
    return failing


def gate_suppliers(supplier_ids: Iterable[int]) -> list[IssueSpec]:
    supplier_ids = list(supplier_ids)
    outlier_days = conf.lead_time_outlier_days()
    failing = [
        IssueSpec(
            code=Code.LEAD_TIME_OUTLIER,
            supplier_id=pk,
            fingerprint=f"lead_time_outlier:supplier:{pk}",
            message=f"Supplier {code} has a contracted lead time of {days} days "
            f"({'0 days cannot be right' if days == 0 else f'more than {outlier_days} days'}).",
        )
        for pk, code, days in Supplier.objects.filter(pk__in=supplier_ids)
        .filter(Q(contracted_lead_time_days__gt=outlier_days) | Q(contracted_lead_time_days=0))
        .values_list("pk", "code", "contracted_lead_time_days")
    ]
    issues_resolve_passing(
        code=Code.LEAD_TIME_OUTLIER,
        fingerprints_failing={s.fingerprint for s in failing},
        scope=Q(supplier_id__in=supplier_ids, item__isnull=True),
    )
    return failing


def gate_uom_conversions(item_ids: Iterable[int]) -> list[IssueSpec]:
    """A base unit converted with a factor other than 1, or a purchase unit whose pack disagrees."""
    item_ids = list(item_ids)
    failing: list[IssueSpec] = []
    rows = UomConversion.objects.filter(item_id__in=item_ids).values_list(
        "item_id", "item__sku", "item__base_uom", "uom", "factor"
    )
    for item_id, sku, base_uom, uom, factor in rows:
        if uom == base_uom and factor != 1:
            failing.append(
                IssueSpec(
                    code=Code.CONTRADICTORY_UOM,
                    item_id=item_id,
                    fingerprint=f"contradictory_uom:base:{item_id}",
                    message=f"Item {sku}: its base unit {uom} has a conversion factor of {_num(factor)} (must be 1).",
                )
            )
    issues_resolve_passing(
        code=Code.CONTRADICTORY_UOM,
        fingerprints_failing={s.fingerprint for s in failing},
        scope=Q(item_id__in=item_ids, supplier__isnull=True),
    )
    pairs = SupplierItem.objects.filter(item_id__in=item_ids).values_list("supplier_id", "item_id")
    return failing + [s for s in gate_supplier_items(pairs) if s.code == Code.CONTRADICTORY_UOM]


def unmapped_code_issue(
    *,
    source: str,
    kind: str,
    code: str,
    supplier_id: int | None = None,
    location_id: int | None = None,
    context: str = "",
) -> IssueSpec:
    where = f" ({context})" if context else ""
    return IssueSpec(
        code=Code.UNMAPPED_CODE,
        supplier_id=supplier_id,
        location_id=location_id,
        fingerprint=f"unmapped_code:{source}:{kind}:{code}"[:200],
        message=f"{source} sent the {kind} code '{code}', which maps to nothing here{where}: "
        f"add it to the master data or a code mapping.",
        details={"source": source, "kind": kind, "code": code},
    )
