"""KPIs: computed from the data the mirror holds, stored as daily snapshots so the dashboard shows trends.

Each KPI is a function `(on: date) -> list[KpiValue]` reading a trailing window that ends on `on`. Figures the mirror
cannot measure directly are computed from the nearest data we have and marked as proxies (`is_proxy`), with the
approximation said in `KPI_DEFINITIONS[...].how` (shown on the dashboard).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.db import transaction
from django.db.models import Avg, Count, F, Max, Min, Q, Sum
from django.utils import timezone

from exceptions.models import Decision
from exceptions.transport.selectors import freight_spend  # expedite freight booked on inbound shipments
from replenish.models import (
    DemandHistory,
    ItemLocation,
    PlanRun,
    Receipt,
    SalesOrderLine,
    SkuPlan,
    TransferOrder,
)

from .models import KpiSnapshot

WINDOW_DAYS = (
    28  # trailing window of every rate: four weeks smooths weekly noise, still shows a month's change
)


@dataclass(frozen=True)
class KpiValue:
    value: float | None
    numerator: float | None = None
    denominator: float | None = None
    dimension: str = ""


@dataclass(frozen=True)
class KpiDefinition:
    key: str
    label: str
    unit: str
    is_proxy: bool
    how: str
    compute: Callable[[date], list[KpiValue]]
    higher_is_better: bool = True
    dimensioned: bool = False


def _window(on: date, days: int = WINDOW_DAYS) -> tuple[date, date]:
    return on - timedelta(days=days - 1), on


def _aware_range(start: date, end: date) -> tuple[datetime, datetime]:
    tz = timezone.get_current_timezone()
    return (
        timezone.make_aware(datetime.combine(start, time.min), tz),
        timezone.make_aware(datetime.combine(end + timedelta(days=1), time.min), tz),
    )


def _ratio(numerator, denominator, scale: float = 1.0, dimension: str = "") -> KpiValue:
    num = float(numerator or 0)
    den = float(denominator or 0)
    return KpiValue(num / den * scale if den else None, num, den, dimension)


def _reason_lookup(model) -> str:
    field = model._meta.get_field("reason_code")
    return "reason_code__code" if field.is_relation else "reason_code"


def _decisions(on: date):
    start, end = _aware_range(*_window(on))
    return Decision.objects.filter(created_at__gte=start, created_at__lt=end)


HUMAN = ("approve", "override", "reject")


def plan_run_as_of(on: date) -> PlanRun | None:
    """The last complete plan run finished on or before the day."""
    _, end = _aware_range(on, on)
    return (
        PlanRun.objects.filter(status=PlanRun.Status.COMPLETE, finished_at__lt=end)
        .order_by("-finished_at")
        .first()
    )


# --- the KPIs ----------------------------------------------------------------------------------------------------


def fill_rate(on: date) -> list[KpiValue]:
    start, end = _window(on)
    lines = SalesOrderLine.objects.filter(requested_ship_date__range=(start, end)).exclude(
        status=SalesOrderLine.Status.CANCELLED
    )
    totals = lines.aggregate(
        ordered=Sum("quantity_ordered"),
        backordered=Sum("quantity_ordered", filter=Q(status=SalesOrderLine.Status.BACKORDERED)),
        short=Sum(
            F("quantity_ordered") - F("quantity_shipped"), filter=Q(status=SalesOrderLine.Status.SHIPPED)
        ),
    )
    ordered = totals["ordered"] or 0
    return [_ratio(ordered - (totals["backordered"] or 0) - (totals["short"] or 0), ordered, 100.0)]


def stockout_frequency(on: date) -> list[KpiValue]:
    run = plan_run_as_of(on)
    if run is None:
        return [KpiValue(None)]
    horizon = (run.finished_at or run.started_at).date() + timedelta(days=14)
    totals = SkuPlan.objects.filter(run=run).aggregate(
        n=Count("pk"), short=Count("pk", filter=Q(projected_stockout_date__lte=horizon))
    )
    return [_ratio(totals["short"], totals["n"], 100.0)]


def inventory_turns(on: date) -> list[KpiValue]:
    # annual cost of goods sold / inventory value: demand of the last 13 weeks at unit cost, times 4
    demand_cost = DemandHistory.objects.filter(
        period_start__gt=on - timedelta(weeks=13),
        period_start__lte=on,
    ).aggregate(v=Sum(F("quantity") * F("item_location__item__unit_cost")))["v"] or Decimal(0)
    # on-hand value today: the mirror keeps no on-hand history, so past points use today's stock (proxy)
    value = ItemLocation.objects.filter(on_hand__gt=0).aggregate(v=Sum(F("on_hand") * F("item__unit_cost")))[
        "v"
    ]
    return [_ratio(float(demand_cost) * 4, float(value or 0))]


def exception_review_time(on: date) -> list[KpiValue]:
    decisions = _decisions(on)
    firsts = (
        decisions.filter(action__in=HUMAN)
        .values("exception_id")
        .annotate(first=Min("created_at"), opened=Max("exception__created_at"))
    )
    hours = [(row["first"] - row["opened"]).total_seconds() / 3600 for row in firsts if row["opened"]]
    return [KpiValue(sum(hours) / len(hours) if hours else None, sum(hours), len(hours))]


def _approved_actions(on: date, actions: tuple[str, ...]):
    decisions = _decisions(on)
    return decisions.filter(
        action__in=("approve", "override", "auto_execute"), recommendation__action__in=actions
    )


def expedite_frequency(on: date) -> list[KpiValue]:
    expedites = _approved_actions(on, ("expedite",))
    if expedites is None:
        return [KpiValue(None)]
    n = expedites.count()
    return [KpiValue(n / (WINDOW_DAYS / 7), n, WINDOW_DAYS / 7)]


def emergency_freight(on: date) -> list[KpiValue]:
    urgent = _approved_actions(on, ("expedite", "transfer"))
    if urgent is None:
        return [KpiValue(None)]
    rows = urgent.values_list("created_at", "recommendation__due_date")
    n = sum(
        1 for created, due in rows if due is not None and (due - timezone.localtime(created).date()).days <= 7
    )

    booked, _cost = freight_spend(start=_window(on)[0], end=on)
    n += booked
    return [KpiValue(n / (WINDOW_DAYS / 7), n, WINDOW_DAYS / 7)]


def order_cycle_time(on: date) -> list[KpiValue]:
    start, end = _window(on)
    rows = Receipt.objects.filter(received_date__range=(start, end)).values_list(
        "order_date", "received_date"
    )
    days = [(received - ordered).days for ordered, received in rows]
    return [KpiValue(sum(days) / len(days) if days else None, sum(days), len(days))]


def transfer_efficiency(on: date) -> list[KpiValue]:
    start, end = _window(on)
    due = TransferOrder.objects.filter(expected_arrival__range=(start, end)).exclude(
        status=TransferOrder.Status.CANCELLED
    )
    totals = due.aggregate(
        n=Count("pk"), received=Count("pk", filter=Q(status=TransferOrder.Status.RECEIVED))
    )
    return [_ratio(totals["received"], totals["n"], 100.0)]


def acceptance_rate(on: date) -> list[KpiValue]:
    decisions = _decisions(on)
    totals = decisions.filter(action__in=HUMAN).aggregate(
        n=Count("pk"), ok=Count("pk", filter=Q(action="approve"))
    )
    return [_ratio(totals["ok"], totals["n"], 100.0)]


def override_rate(on: date) -> list[KpiValue]:
    decisions = _decisions(on)
    human = decisions.filter(action__in=HUMAN)
    totals = human.aggregate(n=Count("pk"), o=Count("pk", filter=Q(action="override")))
    values = [_ratio(totals["o"], totals["n"], 100.0)]
    for row in (
        human.values("actor__username")
        .annotate(n=Count("pk"), o=Count("pk", filter=Q(action="override")))
        .order_by("actor__username")
    ):
        values.append(_ratio(row["o"], row["n"], 100.0, f"buyer:{row['actor__username'] or 'system'}"))
    reason = _reason_lookup(Decision)
    for row in human.filter(action="override").values(reason).annotate(o=Count("pk")).order_by(reason):
        values.append(_ratio(row["o"], totals["n"], 100.0, f"reason:{row[reason] or 'none'}"))
    return values


def _forecast_by_category(on: date, field: str) -> list[KpiValue]:
    run = plan_run_as_of(on)
    if run is None:
        return [KpiValue(None)]
    plans = SkuPlan.objects.filter(run=run, mase__isnull=False)
    if field == "mase":
        overall = plans.aggregate(v=Avg("mase"), n=Count("pk"))
        values = [KpiValue(overall["v"], None, overall["n"])]
        rows = plans.values("item_location__item__category").annotate(v=Avg("mase"), n=Count("pk"))
        values += [
            KpiValue(r["v"], None, r["n"], f"category:{r['item_location__item__category']}") for r in rows
        ]
        return values
    # bias as a share of the forecast: sum(forecast - actual) / sum(forecast), in percent (+ = over-forecast)
    overall = plans.aggregate(b=Sum("bias"), f=Sum("forecast_weekly"))
    values = [_ratio(overall["b"], overall["f"], 100.0)]
    bias_rows = plans.values("item_location__item__category").annotate(
        b=Sum("bias"), f=Sum("forecast_weekly")
    )
    values += [
        _ratio(r["b"], r["f"], 100.0, f"category:{r['item_location__item__category']}") for r in bias_rows
    ]
    return values


def forecast_error(on: date) -> list[KpiValue]:
    return _forecast_by_category(on, "mase")


def forecast_bias(on: date) -> list[KpiValue]:
    return _forecast_by_category(on, "bias")


KPI_DEFINITIONS: dict[str, KpiDefinition] = {
    d.key: d
    for d in [
        KpiDefinition(
            "fill_rate",
            "Fill rate",
            "%",
            True,
            "Proxy: units on order lines requested in the last 28 days, less those backordered and those a "
            "shipped line was short, over all units ordered (open lines count as filled until they are not).",
            fill_rate,
        ),
        KpiDefinition(
            "stockout_frequency",
            "Stockout frequency",
            "%",
            True,
            "Proxy: share of planned SKU-locations whose projected stockout falls within 14 days of the "
            "plan run in force that day (no history of actual on-hand zero days).",
            stockout_frequency,
            higher_is_better=False,
        ),
        KpiDefinition(
            "inventory_turns",
            "Inventory turns",
            "x/yr",
            True,
            "Proxy: demand of the last 13 weeks at unit cost x 4, over today's on-hand value at unit cost "
            "(the mirror keeps no on-hand history, so earlier points divide by today's stock).",
            inventory_turns,
        ),
        KpiDefinition(
            "exception_review_time",
            "Exception review time",
            "h",
            False,
            "Hours from an exception's creation to its first human decision, for decisions in the last "
            "28 days.",
            exception_review_time,
            higher_is_better=False,
        ),
        KpiDefinition(
            "expedite_frequency",
            "Expedite frequency",
            "/wk",
            False,
            "Expedites approved, overridden or auto-executed per week over the last 28 days.",
            expedite_frequency,
            higher_is_better=False,
        ),
        KpiDefinition(
            "emergency_freight",
            "Emergency freight",
            "/wk",
            True,
            "Proxy: approved expedites and transfers due within 7 days of the decision, plus expedite freight booked on "
            "inbound shipments by transportation, per week (no freight invoices in the mirror).",
            emergency_freight,
            higher_is_better=False,
        ),
        KpiDefinition(
            "order_cycle_time",
            "Order cycle time",
            "days",
            True,
            "Proxy: days from purchase-order date to receipt for receipts in the last 28 days (replenishment "
            "cycle; customer order-to-ship times are not in the mirror).",
            order_cycle_time,
            higher_is_better=False,
        ),
        KpiDefinition(
            "transfer_efficiency",
            "Transfer efficiency",
            "%",
            True,
            "Proxy: share of transfers due in the last 28 days that are received (no receipt dates on "
            "transfers in the mirror).",
            transfer_efficiency,
        ),
        KpiDefinition(
            "acceptance_rate",
            "Recommendation acceptance rate",
            "%",
            False,
            "Approvals without change over all human decisions (approve, override, reject) in the last 28 "
            "days.",
            acceptance_rate,
        ),
        KpiDefinition(
            "override_rate",
            "Override rate",
            "%",
            False,
            "Overrides over all human decisions in the last 28 days, overall, by buyer, and by reason (share "
            "of all decisions).",
            override_rate,
            higher_is_better=False,
            dimensioned=True,
        ),
        KpiDefinition(
            "forecast_error",
            "Forecast error (MASE)",
            "MASE",
            False,
            "Mean backtest MASE of the plan run in force, overall and by category (below 1 beats the naive "
            "forecast).",
            forecast_error,
            higher_is_better=False,
            dimensioned=True,
        ),
        KpiDefinition(
            "forecast_bias",
            "Forecast bias",
            "%",
            False,
            "Sum of backtest bias (forecast - actual) over sum of forecast, by category (+ = over-forecast).",
            forecast_bias,
            higher_is_better=False,
            dimensioned=True,
        ),
    ]
}


@transaction.atomic
def kpi_snapshot_compute(*, on: date | None = None) -> int:
    """Compute every KPI as of a day and upsert its snapshot rows (idempotent). Returns the rows written."""
    on = on or timezone.localdate()
    now = timezone.now()
    rows = []
    for definition in KPI_DEFINITIONS.values():
        for v in definition.compute(on):
            rows.append(
                KpiSnapshot(
                    on=on,
                    kpi=definition.key,
                    dimension=v.dimension,
                    value=v.value,
                    numerator=v.numerator,
                    denominator=v.denominator,
                    unit=definition.unit,
                    is_proxy=definition.is_proxy,
                    computed_at=now,
                )
            )
    # Replace the day's rows: a buyer or reason that no longer appears must not keep yesterday's figure.
    KpiSnapshot.objects.filter(on=on).delete()
    KpiSnapshot.objects.bulk_create(rows)
    return len(rows)


def kpi_backfill(*, end: date | None = None, weeks: int = 26) -> int:
    """Weekly snapshots for the past `weeks` weeks from the history the mirror holds (demand, receipts, plan runs,
    decisions), so a new installation shows trends on day one."""
    end = end or timezone.localdate()
    return sum(kpi_snapshot_compute(on=end - timedelta(weeks=w)) for w in range(weeks, -1, -1))


def kpi_series(*, kpis: list[str] | None = None, since: date | None = None) -> dict[str, dict[str, list]]:
    """{kpi: {dimension: [(day, value), ...]}} for the charts."""
    qs = KpiSnapshot.objects.order_by("kpi", "dimension", "on")
    if kpis:
        qs = qs.filter(kpi__in=kpis)
    if since:
        qs = qs.filter(on__gte=since)
    series: dict[str, dict[str, list]] = defaultdict(lambda: defaultdict(list))
    for kpi, dimension, on, value in qs.values_list("kpi", "dimension", "on", "value"):
        series[kpi][dimension].append((on, value))
    return {k: dict(v) for k, v in series.items()}
