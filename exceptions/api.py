"""REST API of exceptions and recommendations (DRF; token or session auth; the same permissions as the screens).

/api/exceptions/ (list, detail, and POST approve / override / reject / snooze / request-approval) and
/api/recommendations/ (read-only). Lists are ranked and paginated without a COUNT(*) over the table: a page is
fetched one row past its size to know whether there is a next one.
"""

from __future__ import annotations

from collections import OrderedDict

import django_filters
from django.db.models import Q
from django.utils import timezone
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view, inline_serializer
from rest_framework import serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ParseError
from rest_framework.pagination import BasePagination
from rest_framework.response import Response

from replenish import models as rm
from replenish.core import roles
from replenish.core.paging import page_number, paginate

from . import selectors, services
from .approval import queue_approvals
from .errors import InvalidInput, NotAllowed, StaleVersion
from .filters import QueueFilterSet
from .models import RANK, LocationUserObjectPermission, PlanningException
from .wording import action_words


class NoCountPagination(BasePagination):
    """?page=N&page_size=M (max 200): next/previous links, no total count."""

    page_size = 50
    max_page_size = 200

    def paginate_queryset(self, queryset, request, view=None):
        self.request = request
        self.page = page_number(request.query_params.get("page", 1))
        try:
            size = int(request.query_params.get("page_size", self.page_size))
        except ValueError:
            size = self.page_size
        self.size = min(max(size, 1), self.max_page_size)
        page = paginate(queryset, self.page, size=self.size)
        self.has_next = page.has_next()
        return page.object_list

    def _link(self, page: int) -> str:
        url = self.request.build_absolute_uri()
        from rest_framework.utils.urls import replace_query_param

        return replace_query_param(url, "page", page)

    def get_paginated_response(self, data):
        return Response(
            OrderedDict(
                [
                    ("next", self._link(self.page + 1) if self.has_next else None),
                    ("previous", self._link(self.page - 1) if self.page > 1 else None),
                    ("results", data),
                ]
            )
        )

    def get_schema_operation_parameters(self, view):
        return [
            {
                "name": "page",
                "required": False,
                "in": "query",
                "description": "Page number, from 1 (a missing or unreadable number is page 1).",
                "schema": {"type": "integer"},
            },
            {
                "name": "page_size",
                "required": False,
                "in": "query",
                "description": f"Rows per page, at most {self.max_page_size}.",
                "schema": {"type": "integer"},
            },
        ]

    def get_paginated_response_schema(self, schema):
        return {
            "type": "object",
            "properties": {
                "next": {"type": "string", "nullable": True, "format": "uri"},
                "previous": {"type": "string", "nullable": True, "format": "uri"},
                "results": schema,
            },
        }


# --- exceptions ---------------------------------------------------------------------------------------------------


class ExceptionSerializer(serializers.ModelSerializer):
    sku = serializers.CharField(
        source="item_location.item.sku", default=None, allow_null=True, read_only=True
    )
    description = serializers.CharField(
        source="item_location.item.description", default=None, allow_null=True, read_only=True
    )
    location = serializers.CharField(source="location.code", default=None, allow_null=True, read_only=True)
    supplier = serializers.CharField(source="supplier.code", default=None, allow_null=True, read_only=True)
    owner = serializers.CharField(source="owner.username", default=None, allow_null=True, read_only=True)
    recommended_action = serializers.SerializerMethodField()
    amount = serializers.SerializerMethodField(
        help_text="What the proposed action spends: quantity x unit cost + freight"
    )
    needs_approval = serializers.SerializerMethodField(
        help_text="Above your approval limit: send it for approval"
    )

    class Meta:
        model = PlanningException
        fields = [
            "id",
            "type",
            "status",
            "item_location",
            "sku",
            "description",
            "location",
            "supplier",
            "category",
            "recommendation",
            "owner_team",
            "owner",
            "due_by",
            "stockout_date",
            "value_at_stake",
            "value_parts",
            "confidence",
            "explanation",
            "proposal",
            "recommended_action",
            "amount",
            "needs_approval",
            "version",
            "maker",
            "required_role",
            "snoozed_until",
            "created_at",
            "updated_at",
            "decided_at",
        ]
        read_only_fields = fields

    def _approval(self, obj):
        if not hasattr(obj, "needs_approval"):
            request = self.context.get("request")
            queue_approvals([obj], getattr(request, "user", None))
        return obj

    def get_amount(self, obj) -> str | None:
        amount = self._approval(obj).amount
        return None if amount is None else str(amount)

    def get_needs_approval(self, obj) -> bool:
        return self._approval(obj).needs_approval

    def get_recommended_action(self, obj) -> str:
        return action_words(obj.proposal or {}, exception_type=obj.type, today=timezone.localdate())


class VersionSerializer(serializers.Serializer):
    version = serializers.IntegerField(help_text="The version you read (optimistic lock).")
    comment = serializers.CharField(required=False, allow_blank=True, default="")


class OverrideSerializer(serializers.Serializer):
    version = serializers.IntegerField()
    quantity = serializers.CharField(help_text="Whole units, not negative.")
    date = serializers.CharField(required=False, allow_blank=True, default="", help_text="YYYY-MM-DD")
    supplier = serializers.IntegerField(required=False, allow_null=True, default=None)
    source_location = serializers.IntegerField(required=False, allow_null=True, default=None)
    reason_code = serializers.CharField(allow_blank=True)
    comment = serializers.CharField(allow_blank=True)


class RejectSerializer(serializers.Serializer):
    version = serializers.IntegerField()
    reason_code = serializers.CharField(allow_blank=True)
    comment = serializers.CharField(required=False, allow_blank=True, default="")


class SnoozeSerializer(serializers.Serializer):
    version = serializers.IntegerField()
    until = serializers.CharField(help_text="YYYY-MM-DD, after today")


class RequestApprovalSerializer(serializers.Serializer):
    version = serializers.IntegerField()
    quantity = serializers.CharField(required=False, allow_blank=True, default="")
    date = serializers.CharField(required=False, allow_blank=True, default="")
    reason_code = serializers.CharField(required=False, allow_blank=True, default="")
    comment = serializers.CharField(required=False, allow_blank=True, default="")


ERROR = inline_serializer("Error", {"detail": serializers.CharField()})
FIELD_ERRORS = inline_serializer(
    "FieldErrors",
    {"detail": serializers.CharField(), "errors": serializers.DictField(child=serializers.CharField())},
)
# A filter value that does not parse (?min_value=abc): django-filter's errors, a list of messages per parameter.
FILTER_ERRORS = OpenApiResponse(
    {"type": "object", "additionalProperties": {"type": "array", "items": {"type": "string"}}},
    description="A filter or paging value is wrong: the messages per query parameter.",
)
NOT_FOUND = OpenApiResponse(ERROR, description="No such id, or not one you may see.")
STALE = inline_serializer("Stale", {"detail": serializers.CharField(), "current": ExceptionSerializer()})
DECISION_RESPONSES = {
    200: ExceptionSerializer,
    400: OpenApiResponse(FIELD_ERRORS, description="A field is missing or wrong (named in errors)."),
    403: OpenApiResponse(ERROR, description="Refused (role, tier or maker-checker); audited."),
    404: OpenApiResponse(ERROR, description="Not one of your exceptions."),
    409: OpenApiResponse(STALE, description="Someone decided first; `current` is the fresh exception."),
}


@extend_schema_view(
    list=extend_schema(
        summary="Your exceptions, ranked by value at stake",
        responses={200: ExceptionSerializer(many=True), 400: FILTER_ERRORS},
    ),
    retrieve=extend_schema(
        summary="One exception with its value parts, explanation and proposal",
        responses={200: ExceptionSerializer, 404: NOT_FOUND},
    ),
)
class ExceptionViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = ExceptionSerializer
    filterset_class = QueueFilterSet  # the same filters as the screens (exceptions.filters)
    pagination_class = NoCountPagination

    def paginate_queryset(self, queryset):
        page = super().paginate_queryset(queryset)
        if page is not None:
            queue_approvals(page, self.request.user)  # the tiers read once for the page
        return page

    def get_queryset(self):
        return (
            selectors.exception_base(user=self.request.user)
            .select_related("item_location__item", "location", "supplier", "owner")
            .order_by(*RANK)
        )

    def _decide(self, request, pk, serializer_class, call):
        exc = self.get_object()  # 404 when not visible
        try:
            payload = request.data
        except ParseError as err:  # a body that is not JSON: the same 400 shape as a wrong field
            return Response(
                {"detail": str(err.detail), "errors": {"body": str(err.detail)}},
                status=status.HTTP_400_BAD_REQUEST,
            )
        data = serializer_class(data=payload)
        if not data.is_valid():
            errors = {field: " ".join(str(m) for m in messages) for field, messages in data.errors.items()}
            return Response(
                {"detail": "; ".join(f"{f}: {m}" for f, m in errors.items()), "errors": errors},
                status=status.HTTP_400_BAD_REQUEST,
            )
        try:
            exc = call(exc, data.validated_data)
        except InvalidInput as err:
            return Response({"detail": str(err), "errors": err.errors}, status=status.HTTP_400_BAD_REQUEST)
        except StaleVersion as err:
            current = err.current or exc
            current = self.get_queryset().get(pk=current.pk)
            return Response(
                {
                    "detail": str(err),
                    "current": ExceptionSerializer(current, context={"request": request}).data,
                },
                status=status.HTTP_409_CONFLICT,
            )
        except NotAllowed as err:
            return Response({"detail": str(err)}, status=status.HTTP_403_FORBIDDEN)
        return Response(
            ExceptionSerializer(self.get_queryset().get(pk=exc.pk), context={"request": request}).data
        )

    @extend_schema(request=VersionSerializer, responses=DECISION_RESPONSES, summary="Approve the proposal")
    @action(detail=True, methods=["post"])
    def approve(self, request, pk=None):
        return self._decide(
            request,
            pk,
            VersionSerializer,
            lambda exc, d: services.exception_approve(
                exception=exc, actor=request.user, version=d["version"], comment=d.get("comment", "")
            ),
        )

    @extend_schema(
        request=OverrideSerializer,
        responses=DECISION_RESPONSES,
        summary="Override quantity / date / supplier / source, with a reason code and a comment",
    )
    @action(detail=True, methods=["post"])
    def override(self, request, pk=None):
        return self._decide(
            request,
            pk,
            OverrideSerializer,
            lambda exc, d: services.exception_override(
                exception=exc,
                actor=request.user,
                version=d["version"],
                quantity=d["quantity"],
                date=d["date"],
                supplier=d["supplier"],
                source_location=d["source_location"],
                reason_code=d["reason_code"],
                comment=d["comment"],
            ),
        )

    @extend_schema(
        request=RejectSerializer, responses=DECISION_RESPONSES, summary="Reject with a reason code"
    )
    @action(detail=True, methods=["post"])
    def reject(self, request, pk=None):
        return self._decide(
            request,
            pk,
            RejectSerializer,
            lambda exc, d: services.exception_reject(
                exception=exc,
                actor=request.user,
                version=d["version"],
                reason_code=d["reason_code"],
                comment=d["comment"],
            ),
        )

    @extend_schema(request=SnoozeSerializer, responses=DECISION_RESPONSES, summary="Snooze until a date")
    @action(detail=True, methods=["post"])
    def snooze(self, request, pk=None):
        return self._decide(
            request,
            pk,
            SnoozeSerializer,
            lambda exc, d: services.exception_snooze(
                exception=exc, actor=request.user, version=d["version"], until=d["until"]
            ),
        )

    @extend_schema(
        request=RequestApprovalSerializer,
        responses=DECISION_RESPONSES,
        summary="Send to an approver of the required tier",
    )
    @action(detail=True, methods=["post"], url_path="request-approval")
    def request_approval(self, request, pk=None):
        return self._decide(
            request,
            pk,
            RequestApprovalSerializer,
            lambda exc, d: services.exception_request_approval(
                exception=exc,
                actor=request.user,
                version=d["version"],
                quantity=d["quantity"] or None,
                date=d["date"] or None,
                reason_code=d["reason_code"],
                comment=d["comment"],
            ),
        )


# --- recommendations ----------------------------------------------------------------------------------------------


class RecommendationSerializer(serializers.ModelSerializer):
    sku = serializers.CharField(source="item_location.item.sku", read_only=True)
    location = serializers.CharField(source="item_location.location.code", read_only=True)
    supplier_code = serializers.CharField(
        source="supplier.code", default=None, allow_null=True, read_only=True
    )
    source_location_code = serializers.CharField(
        source="source_location.code", default=None, allow_null=True, read_only=True
    )

    class Meta:
        model = rm.Recommendation
        fields = [
            "id",
            "run",
            "item_location",
            "sku",
            "location",
            "action",
            "quantity",
            "due_date",
            "supplier",
            "supplier_code",
            "source_location",
            "source_location_code",
            "po_line",
            "new_date",
            "factors",
            "reason",
            "confidence",
            "created_at",
        ]
        read_only_fields = fields


class RecommendationFilter(django_filters.FilterSet):
    action = django_filters.ChoiceFilter(choices=rm.Recommendation.Action.choices)
    run = django_filters.NumberFilter(
        field_name="run_id",
        label="Plan run id (default: the current run)",
        min_value=1,
        max_value=2**63 - 1,  # a larger number is a 400, not a database overflow
    )
    location = django_filters.CharFilter(field_name="item_location__location__code")
    supplier = django_filters.CharFilter(field_name="supplier__code")
    sku = django_filters.CharFilter(field_name="item_location__item__sku", lookup_expr="istartswith")

    class Meta:
        model = rm.Recommendation
        fields = ["action", "run", "location", "supplier", "sku"]


def recommendation_list(*, user):
    """Recommendations the user may see: everything for managers/auditors; otherwise those of the SKU-locations in
    their scope (buyer: SKU-locations they buy; supervisor: their locations) or linked to one of their exceptions."""
    qs = rm.Recommendation.objects.all()
    if not selectors.sees_everything(user):
        linked = selectors.exception_base(user=user).exclude(recommendation=None).values("recommendation_id")
        where = Q(pk__in=linked)
        role = selectors._role(user)
        if role == roles.BUYER:
            where |= Q(item_location__buyer_id=user.pk)
        elif role == roles.WAREHOUSE_SUPERVISOR:
            where |= Q(
                item_location__location_id__in=LocationUserObjectPermission.objects.filter(
                    user_id=user.pk, permission__codename="view_location"
                ).values("content_object_id")
            )
        qs = qs.filter(where)
    return qs.select_related("item_location__item", "item_location__location", "supplier", "source_location")


@extend_schema_view(
    list=extend_schema(
        summary="Recommendations of the current plan run (or ?run=)",
        responses={200: RecommendationSerializer(many=True), 400: FILTER_ERRORS},
    ),
    retrieve=extend_schema(
        summary="One recommendation", responses={200: RecommendationSerializer, 404: NOT_FOUND}
    ),
)
class RecommendationViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = RecommendationSerializer
    filterset_class = RecommendationFilter
    pagination_class = NoCountPagination

    def get_queryset(self):
        qs = recommendation_list(user=self.request.user).order_by("-run_id", "pk")
        if self.action == "list" and "run" not in self.request.query_params:
            current = selectors.current_plan_run()
            qs = qs.filter(run=current) if current else qs.none()
        return qs
