"""Reads of the exceptions app, permission-filtered in SQL.

Who sees what (enforced here, so views, the API and services all get the same answer):
- managers, auditors and administrators (permission exceptions.view_all_exceptions or superuser): everything;
- buyers: exceptions they own, of SKU-locations they buy (ItemLocation.buyer, denormalised on the exception), of
  suppliers they hold `replenish.view_supplier` on (guardian), or of their categories (CategoryOwnership);
- warehouse supervisors: exceptions they own or at locations they hold `replenish.view_location` on (guardian);
- customer service / transportation planners: exceptions they own or routed to their team.
The visibility predicate is a WHERE clause with subqueries on the (small) grant tables, so the queue stays one
query over the partial value index even at 200,000+ open exceptions.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.core.cache import cache
from django.db.models import Count, OuterRef, Prefetch, Q, QuerySet, Subquery
from django.db.models.fields.json import KT
from django.utils import timezone

from replenish import models as rm
from replenish.core import roles
from replenish.core.models import AuditEvent
from replenish.core.paging import page_number

from .attention import above_floor_q, day_plan
from .charts import projection_chart
from .filters import QUEUE_LABELS, QUEUES, QueueFilterSet, validated

__all__ = [
    "QUEUES",
    "QUEUE_LABELS",
    "QueueFilters",
    "exception_list",
    "exception_page",
    "exception_total",
    "queue_counts",
]
from .models import (
    IN_QUEUE,
    RANK,
    TODO,
    CategoryOwnership,
    Decision,
    ExceptionType,
    LocationUserObjectPermission,
    PlanningException,
    Status,
    SupplierUserObjectPermission,
    Team,
)

PAGE_SIZE = 50
ROLE_TEAMS = {
    roles.CUSTOMER_SERVICE: Team.CUSTOMER_SERVICE,
    roles.TRANSPORTATION_PLANNER: Team.TRANSPORTATION_PLANNING,
}


def _role(user) -> str | None:
    """The user's role, memoised on the user object for the request."""
    if not hasattr(user, "_distops_role"):
        user._distops_role = roles.role_of(user)
    return user._distops_role


def sees_everything(user) -> bool:
    if not getattr(user, "is_authenticated", False):
        return False
    return (
        user.is_superuser or _role(user) in roles.OVERSEERS
    )  # managers, directors, auditors, administrators


def can_decide(user) -> bool:
    return bool(getattr(user, "is_authenticated", False)) and user.has_perm("exceptions.decide_exception")


def visibility_q(user) -> Q | None:
    """The WHERE clause of what the user may see; None = everything."""
    if sees_everything(user):
        return None
    role = _role(user)
    mine = Q(owner_id=user.pk)
    if role == roles.BUYER:
        suppliers = SupplierUserObjectPermission.objects.filter(
            user_id=user.pk, permission__codename="view_supplier"
        ).values("content_object_id")
        categories = CategoryOwnership.objects.filter(user_id=user.pk).values("category")
        return mine | Q(buyer_id=user.pk) | Q(supplier_id__in=suppliers) | Q(category__in=categories)
    if role == roles.WAREHOUSE_SUPERVISOR:
        locations = LocationUserObjectPermission.objects.filter(
            user_id=user.pk, permission__codename="view_location"
        ).values("content_object_id")
        return mine | Q(location_id__in=locations)
    if role in ROLE_TEAMS:
        return mine | Q(owner_team=ROLE_TEAMS[role])
    return mine


def exception_base(*, user) -> QuerySet[PlanningException]:
    if not getattr(user, "is_authenticated", False):
        return PlanningException.objects.none()
    qs = PlanningException.objects.all()
    where = visibility_q(user)
    return qs if where is None else qs.filter(where)


def exception_visible(*, user, exception_id: int) -> bool:
    return exception_base(user=user).filter(pk=exception_id).exists()


def exception_get(*, user, pk: int) -> PlanningException:
    """One exception the user may see (DoesNotExist otherwise: another user's id is a 404), with what the drawer
    and the decision services read of its related rows (not its buyer, recommendation or plan run: their ids
    suffice, and each joined model's columns cost compiling and reading on every drawer and decision)."""
    return (
        exception_base(user=user)
        .select_related(
            "item_location__item", "item_location__location", "location", "supplier", "owner", "maker"
        )
        .get(pk=pk)
    )


@dataclass
class QueueFilters:
    queue: str = "open"
    location: str = ""
    supplier: str = ""
    category: str = ""
    type: str = ""
    min_value: Decimal | None = None
    search: str = ""
    ordering: str = ""
    page: int = 1
    errors: dict[str, str] = field(default_factory=dict)
    # True when the values above are the FilterSet form's cleaned values (from_query): exception_list then filters
    # with them as they are instead of validating the same values again
    checked: bool = field(default=False, compare=False, repr=False)

    @classmethod
    def from_query(cls, params) -> QueueFilters:
        """The filters of the URL, checked by the queue's one FilterSet (exceptions.filters)."""
        values, errors = validated(params)
        try:
            page = max(int(params.get("page", "1") or 1), 1)
        except ValueError:
            page = 1
        return cls(
            queue=values.get("queue") or "open",
            location=(values.get("location") or "").strip(),
            supplier=(values.get("supplier") or "").strip(),
            category=(values.get("category") or "").strip(),
            type=values.get("type") or "",
            min_value=values.get("min_value"),
            search=(values.get("q") or "").strip(),
            ordering=",".join(values.get("ordering") or []),
            page=page,
            errors=errors,
            checked=True,
        )

    def as_query(self, **override) -> dict[str, str]:
        values = {
            "queue": self.queue,
            "location": self.location,
            "supplier": self.supplier,
            "category": self.category,
            "type": self.type,
            "min_value": "" if self.min_value is None else str(self.min_value),
            "q": self.search,
            "ordering": self.ordering,
        }
        values.update({k: str(v) for k, v in override.items()})
        if values.get("queue") == "open":
            values.pop("queue")
        return {k: v for k, v in values.items() if v not in ("", None)}

    def cleaned(self) -> dict:
        """The values as the FilterSet's form cleans them (the queue's own filters; the API-only ones empty)."""
        return {
            "queue": self.queue,
            "type": self.type,
            "location": self.location,
            "supplier": self.supplier,
            "category": self.category,
            "min_value": self.min_value,
            "q": self.search,
            "ordering": self.ordering.split(",") if self.ordering else None,
        }


def exception_list(*, user, filters: QueueFilters | None = None, today: date | None = None) -> QuerySet:
    """The user's queue, ranked by value at stake, then the work-by day (replenish.engine.attention; decided: newest
    decision first), ready for one-query pages."""
    filters = filters or QueueFilters()
    base = exception_base(user=user)
    if filters.checked:
        qs = QueueFilterSet.filter_cleaned(base, filters.cleaned(), user=user, base=base)
    else:
        params = {**filters.as_query(), "queue": filters.queue}
        qs = QueueFilterSet(data=params, queryset=base, user=user, base=base).qs
    qs = qs.select_related("item_location__item", "location", "supplier")
    if filters.queue == "decided":
        qs = qs.annotate(decided_by=_decided_by())
    if filters.ordering:
        return qs  # the FilterSet's ordering (exceptions.filters.QueueOrdering), then the id
    if filters.queue == "decided":
        return qs.order_by("-decided_at", "-pk")
    return qs.order_by(*RANK)


def _decided_by():
    """The username of the exception's latest decision (empty: the automation policy decided it)."""
    latest = Decision.objects.filter(exception_id=OuterRef("pk")).order_by("-version")
    return Subquery(latest.values("actor__username")[:1])


# The Decided tab only grows (every auto-execution lands there): its total is counted up to this many rows and shown
# as "more than 10,000" beyond, so its COUNT reads at most this many index entries. The other tabs count exactly.
COUNT_CAP = 10_000


@dataclass(frozen=True)
class Total:
    count: int
    exact: bool = True


def exception_count(
    *, user, filters: QueueFilters, cap: int | None = None, listed: QuerySet | None = None
) -> int:
    """How many rows the filter matches (one COUNT over the queue's WHERE clause, an index-only scan of
    exc_queue_cover_idx or exc_decided_cover_idx); with `cap`, counting stops at cap + 1. `listed`: the
    exception_list of these filters when the caller has it already (the queue page builds it once)."""
    if listed is None:
        listed = exception_list(user=user, filters=filters)
    rows = listed.order_by().values("pk")
    return rows.count() if cap is None else rows[: cap + 1].count()


def exception_total(*, user, filters: QueueFilters, listed: QuerySet | None = None) -> Total:
    """The grid's total: exact, except on the Decided tab past COUNT_CAP rows (exact=False: "more than")."""
    if filters.queue != "decided":
        return Total(exception_count(user=user, filters=filters, listed=listed))
    counted = exception_count(user=user, filters=filters, cap=COUNT_CAP, listed=listed)
    return Total(min(counted, COUNT_CAP), exact=counted <= COUNT_CAP)


UNSHOWN = ("explanation", "value_parts", "outcome")  # the detail panel's, never a queue row's
# what a row reads of its SKU, item, location and supplier (queue.html's queue-row, the approval amount)
ROW_RELATED = (
    "item_location__item",
    "item_location__item__sku",
    "item_location__item__description",
    "item_location__item__unit_cost",
    "location__code",
    "supplier__name",
)


def _row_columns() -> list[str]:
    own = [f.name for f in PlanningException._meta.concrete_fields if f.name not in UNSHOWN]
    return own + list(ROW_RELATED)


def exception_page(
    *, user, filters: QueueFilters, today: date | None = None, listed: QuerySet | None = None
) -> tuple[list[PlanningException], bool]:
    """One page of the queue: a single query fetching one row past the page (no COUNT(*) over the table), without
    the large JSON columns and the related rows' columns that the rows do not show (the explanation's ASN number
    is read alone): ~250 model instances a page, each with only what it shows.

    The rows to skip (page 5 skips 200) are skipped on the ids alone, in a subquery that reads only the covering
    index (exceptions.models); the row, its SKU-location, item, location and supplier are read for the page's rows
    only, not for every row skipped. The outer query selects those ids alone (the subquery holds the permission and
    filter WHERE clause: not compiled, planned and checked twice) in the list's order.

    `listed`: the exception_list of these filters when the caller has it already (the queue page builds it once
    for the page and its total)."""
    rows = listed if listed is not None else exception_list(user=user, filters=filters, today=today)
    start = (page_number(filters.page) - 1) * PAGE_SIZE
    ids = rows.values("pk")[start : start + PAGE_SIZE + 1]
    page = (
        PlanningException.objects.filter(pk__in=ids)
        .select_related("item_location__item", "location", "supplier")
        .only(*_row_columns())
        .annotate(asn_number=KT("explanation__facts__asn_number"))
        .order_by(*rows.query.order_by)
    )
    if filters.queue == "decided":
        page = page.annotate(decided_by=_decided_by())
    fetched = list(page)
    return fetched[:PAGE_SIZE], len(fetched) > PAGE_SIZE


# --- counts (navigation and queue tabs) ---------------------------------------------------------------------------

COUNTS_TTL = 60
GENERATION_KEY = "exceptions:queue-generation"


def _bump(key: str) -> None:
    try:
        cache.incr(key)
    except ValueError:
        cache.set(key, 1, None)


def queue_counts_invalidate() -> None:
    """A refresh (or a wake-up) moves everyone's counts on."""
    _bump(GENERATION_KEY)


def _counts_key(user_id: int, today: date) -> str:
    return f"exceptions:counts:{user_id}:{cache.get(GENERATION_KEY, 0)}:{today.isoformat()}"


def _tab(status: str, snoozed_until: date | None, today: date) -> str | None:
    for tab in ("open", "approval", "snoozed"):
        if tab == "open" and status in TODO:
            return tab
        if tab == "approval" and status == Status.AWAITING_APPROVAL:
            return tab
        if tab == "snoozed" and status == Status.SNOOZED and snoozed_until and snoozed_until > today:
            return tab
    return None


def queue_counts_adjust(
    *, user_id: int, before: tuple[str, date | None], after: tuple[str, date | None]
) -> None:
    """After the user's own decision, move one from the tab it left to the tab it entered (no recount: a count
    over 100,000 rows per click would cost more than the click). Other users' counts catch up within a minute."""
    today = timezone.localdate()
    key = _counts_key(user_id, today)
    counts = cache.get(key)
    if counts is None:
        return
    left, entered = _tab(*before, today), _tab(*after, today)
    if left == entered:
        return
    counts = dict(counts)
    if left:
        counts[left] = max(counts.get(left, 0) - 1, 0)
    if entered:
        counts[entered] = counts.get(entered, 0) + 1
    cache.set(key, counts, COUNTS_TTL)


def queue_counts(user, today: date | None = None) -> dict[str, int]:
    """Counts of the user's queues: one aggregate query, cached per user for a minute (adjusted by their own
    decisions, recounted after every refresh)."""
    if not getattr(user, "is_authenticated", False):
        return {}
    today = today or timezone.localdate()
    key = _counts_key(user.pk, today)
    counts = cache.get(key)
    if counts is None:
        base = exception_base(user=user)
        plan = day_plan(user, base, today)
        above = Q(status__in=TODO) & above_floor_q(plan.floors)
        counts = base.filter(status__in=IN_QUEUE).aggregate(
            above=Count("pk", filter=above),
            low=Count("pk", filter=Q(status__in=TODO) & ~above_floor_q(plan.floors)),
            approval=Count("pk", filter=Q(status=Status.AWAITING_APPROVAL)),
            snoozed=Count("pk", filter=Q(status=Status.SNOOZED, snoozed_until__gt=today)),
        )
        above_floor = counts.pop("above")
        counts["open"] = min(plan.room, above_floor)  # To do: today's work, sized to the capacity left
        counts["later"] = above_floor - counts["open"]
        cache.set(key, counts, COUNTS_TTL)
    return counts


def open_count(user) -> int:
    return queue_counts(user).get("open", 0)


# --- detail -------------------------------------------------------------------------------------------------------


def exception_detail(*, exception: PlanningException) -> dict:
    """What the detail panel shows beside the exception: plan, open supply, orders at risk, history, audit."""
    il = exception.item_location
    plan = None
    if il is not None:
        plan_id = (exception.explanation or {}).get("plan_id")
        plans = rm.SkuPlan.objects.filter(item_location=il)
        plan = (plans.filter(pk=plan_id).first() if plan_id else None) or plans.filter(
            run__is_current=True
        ).first()
    po_lines, order_lines, transfers = [], [], []
    if il is not None:
        po_lines = list(
            rm.PurchaseOrderLine.objects.filter(
                item_id=il.item_id,
                order__location_id=il.location_id,
                status__in=["open", "accepted", "changed", "partial"],
            )
            .select_related("order__supplier")
            # the lines' shipment lines with their shipment in one read (not one for each)
            .prefetch_related(
                Prefetch("shipment_lines", queryset=rm.ShipmentLine.objects.select_related("shipment"))
            )
            .order_by("promised_date")[:20]
        )
        for line in po_lines:
            shipments = [s.shipment for s in line.shipment_lines.all() if s.shipment.status == "in_transit"]
            line.asn = min(shipments, key=lambda s: s.expected_arrival) if shipments else None
            line.arrival = (
                line.asn.expected_arrival if line.asn else (line.acknowledged_date or line.promised_date)
            )
            line.is_late = line.arrival > line.promised_date
        order_lines = list(
            rm.SalesOrderLine.objects.filter(
                item_id=il.item_id,
                order__location_id=il.location_id,
                status__in=["open", "backordered"],
            )
            .select_related("order__customer__service_tier")
            .order_by("requested_ship_date")[:20]
        )
        transfers = list(
            rm.TransferOrder.objects.filter(
                item_id=il.item_id, to_location_id=il.location_id, status__in=["planned", "in_transit"]
            )
            .select_related("from_location")
            .order_by("expected_arrival")[:10]
        )
    decisions = list(
        Decision.objects.filter(exception=exception).select_related("actor").order_by("-version")[:20]
    )
    audit = list(
        AuditEvent.objects.filter(subject_type="exception", subject_id=str(exception.pk)).order_by(
            "-sequence"
        )[:20]
    )
    chart = (
        projection_chart(exception=exception, plan=plan, po_lines=po_lines, transfers=transfers)
        if plan
        else None
    )
    return {
        "plan": plan,
        "po_lines": po_lines,
        "order_lines": order_lines,
        "transfers": transfers,
        "decisions": decisions,
        "audit": audit,
        "chart": chart,
    }


def filter_choices() -> dict:
    return {
        "locations": list(rm.Location.objects.order_by("code").values_list("code", "name")),
        "suppliers": list(
            rm.Supplier.objects.filter(active=True).order_by("code").values_list("code", "name")
        ),
        "categories": sorted(set(rm.Item.objects.order_by().values_list("category", flat=True).distinct())),
        "types": ExceptionType.choices,
    }


# what the banner shows of a run (queue.html's refresh-progress): not the run's JSON (inputs, timings, calibration)
BANNER_FIELDS = ("status", "is_current", "chunks_done", "chunks_total", "started_at", "finished_at")


def plan_runs_now() -> tuple[rm.PlanRun | None, rm.PlanRun | None]:
    """The refresh running now (the newest) and the current plan run, in one query (the queue page's banner)."""
    runs = list(
        rm.PlanRun.objects.filter(Q(status=rm.PlanRun.Status.RUNNING) | Q(is_current=True))
        .only(*BANNER_FIELDS)
        .order_by("-started_at", "-pk")[:20]
    )
    running = next((run for run in runs if run.status == rm.PlanRun.Status.RUNNING), None)
    return running, next((run for run in runs if run.is_current), None)


def current_plan_run() -> rm.PlanRun | None:
    return rm.PlanRun.objects.filter(is_current=True).first()
