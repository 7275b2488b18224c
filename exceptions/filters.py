"""The queue's filters, defined once (django-filter): the screens (exceptions.selectors) and the API use this
FilterSet, so a filter means the same on both."""

from __future__ import annotations

from types import SimpleNamespace

import django_filters
from django.db.models import F, Q
from django.utils import timezone
from django_filters.constants import EMPTY_VALUES

from .attention import day_plan, split_q
from .models import DECIDED, ExceptionType, PlanningException, Status

QUEUES = ("open", "later", "low", "approval", "snoozed", "decided")
QUEUE_LABELS = {
    "open": "To do",
    "later": "Later",
    "low": "Low value",
    "approval": "Awaiting approval",
    "snoozed": "Snoozed",
    "decided": "Decided",
}


def queue_q(queue: str, *, user, base, today) -> Q:
    """The WHERE clause of one queue tab (To do, Later and Low value split the open tasks: exceptions.attention)."""
    if queue == "approval":
        return Q(status=Status.AWAITING_APPROVAL)
    if queue == "snoozed":
        return Q(status=Status.SNOOZED, snoozed_until__gt=today)
    if queue == "decided":
        return Q(status__in=DECIDED)
    return split_q(queue, day_plan(user, base, today))


def search_q(term: str) -> Q:
    """SKU prefix, or words of the description (a term starting with SKU is a SKU prefix only). The SKU part reads
    the task's copy of its item's SKU (PlanningException.sku), so a SKU search is a one-table predicate."""
    sku = Q(sku__istartswith=term)
    return (
        sku if term.upper().startswith("SKU") else sku | Q(item_location__item__description__icontains=term)
    )


# The sortable columns: URL name -> (field, label). The tie-break is always the id, so pages never overlap.
# Each first-click direction reads a partial index of exceptions.models (the ORDER BY matches it exactly, so a page
# is an index scan that stops after its rows, however long the tab).
SORTS = {
    "value": ("value_at_stake", "Value"),
    "due": ("due_by", "Due"),
    "days": ("stockout_date", "Days"),
    "confidence": ("confidence", "Confidence"),
    "supplier": ("supplier__name", "Supplier"),
}
# The first click on a column sorts it the way a planner reads it: most money, soonest, most confident first.
FIRST_DIRECTION = {"value": "-", "due": "", "days": "", "confidence": "-", "supplier": ""}
# Columns that may be empty: sorted empty-last both ways. Value and confidence are never empty, so their ORDER BY
# carries no NULLS LAST (which would not match their indexes' DESC order, NULLS FIRST in PostgreSQL).
NULLABLE = {"due", "days", "supplier"}


class QueueOrdering(django_filters.OrderingFilter):
    """?ordering=due or ?ordering=-value: empty dates and suppliers last in both directions, then the id."""

    def filter(self, qs, value):
        if not value:
            return qs
        terms = []
        for param in value:
            name = param.lstrip("-")
            if name not in SORTS:
                continue
            expression, nulls_last = F(SORTS[name][0]), (True if name in NULLABLE else None)
            terms.append(
                expression.desc(nulls_last=nulls_last)
                if param.startswith("-")
                else expression.asc(nulls_last=nulls_last)
            )
        return qs.order_by(*terms, "pk") if terms else qs


class QueueFilterSet(django_filters.FilterSet):
    queue = django_filters.ChoiceFilter(
        choices=[(q, QUEUE_LABELS[q]) for q in QUEUES],
        method="filter_queue",
        label="Queue (open = To do, later, low = Low value, approval, snoozed, decided)",
    )
    type = django_filters.ChoiceFilter(choices=ExceptionType.choices)
    status = django_filters.ChoiceFilter(choices=Status.choices)
    location = django_filters.CharFilter(field_name="location__code", label="Location code")
    supplier = django_filters.CharFilter(field_name="supplier__code", label="Supplier code")
    category = django_filters.CharFilter(field_name="category")
    min_value = django_filters.NumberFilter(
        field_name="value_at_stake", lookup_expr="gte", min_value=0, label="Minimum value at stake"
    )
    q = django_filters.CharFilter(method="filter_search", label="SKU prefix or description words")
    sku = django_filters.CharFilter(field_name="item_location__item__sku", lookup_expr="istartswith")
    ordering = QueueOrdering(
        fields=[(field, name) for name, (field, _label) in SORTS.items()],
        field_labels={field: label for field, label in SORTS.values()},
        label="Sort by value, due, days, confidence or supplier (a leading - reverses)",
    )

    class Meta:
        model = PlanningException
        fields = [
            "queue",
            "type",
            "status",
            "location",
            "supplier",
            "category",
            "min_value",
            "q",
            "sku",
            "ordering",
        ]

    def __init__(self, *args, user=None, base=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user or getattr(self.request, "user", None)
        self.base = base if base is not None else self.queryset

    @classmethod
    def filter_cleaned(cls, queryset, cleaned: dict, *, user, base):
        """The queryset filtered by values already cleaned by this FilterSet's form (the screens validate the URL
        once, in QueueFilters.from_query): FilterSet.filter_queryset's loop, without validating them again and
        without an instance (whose __init__ deep-copies every filter: ~1 ms a page). The class's filters are only
        read; the two method filters call what their methods call."""
        for name, value in cleaned.items():
            if name == "queue":
                queryset = (
                    queryset if value in EMPTY_VALUES else _by_queue(queryset, value, user=user, base=base)
                )
            elif name == "q":
                queryset = queryset if value in EMPTY_VALUES else _by_search(queryset, value)
            else:
                queryset = cls.base_filters[name].filter(queryset, value)
        return queryset

    def filter_queue(self, queryset, name, value):
        return _by_queue(queryset, value, user=self.user, base=self.base)

    def filter_search(self, queryset, name, value):
        return _by_search(queryset, value)


def _by_queue(queryset, value, *, user, base):
    return queryset.filter(queue_q(value, user=user, base=base, today=timezone.localdate()))


def _by_search(queryset, value):
    term = (value or "").strip()
    return queryset.filter(search_q(term)) if term else queryset


_FORM_CLASS: type | None = None


def _form_class() -> type:
    """The FilterSet's form class, built once (its fields do not depend on the request)."""
    global _FORM_CLASS
    if _FORM_CLASS is None:
        _FORM_CLASS = QueueFilterSet(queryset=None, request=SimpleNamespace(user=None)).get_form_class()
    return _FORM_CLASS


def validated(params) -> tuple[dict, dict[str, str]]:
    """The cleaned filter values and the errors by field, in the screens' words."""
    form = _form_class()(params)
    form.is_valid()
    errors = {}
    for name, messages in form.errors.items():
        raw = (params.get(name) or "").strip()
        errors[name] = {
            "queue": f"Queue must be one of {', '.join(QUEUES)}.",
            "type": f"Unknown exception type “{raw}”.",
            "status": f"Unknown status “{raw}”.",
            "min_value": f"Minimum value must be a positive amount, not “{raw}”.",
            "ordering": f"Sort by one of {', '.join(SORTS)} (a leading - reverses), not “{raw}”.",
        }.get(name, " ".join(messages))
    return {k: v for k, v in form.cleaned_data.items() if k not in errors}, errors
