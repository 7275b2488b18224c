"""GET /api/sku-locations/{location}/{sku}/: the explanation of one SKU-location, as on its page and from
`manage.py explain` (DRF; session or token auth; visible to whoever sees the SKU-location on the SKU list)."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from .selectors import item_location_get, sku_location_explain


class StepSerializer(serializers.Serializer):
    key = serializers.CharField()
    label = serializers.CharField()
    value = serializers.JSONField(help_text="A number, or a word for the distribution and target type.")
    unit = serializers.CharField(help_text="units, units/week, days, share (0-1) or empty")
    formula = serializers.CharField(help_text="The formula with the stored inputs written in.")
    note = serializers.CharField()


class LocationSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    time_zone = serializers.CharField()


class StockSerializer(serializers.Serializer):
    on_hand = serializers.IntegerField()
    allocated = serializers.IntegerField()
    backordered = serializers.IntegerField()
    erp_min = serializers.IntegerField(allow_null=True)
    erp_max = serializers.IntegerField(allow_null=True)


class RunSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    model_version = serializers.CharField()
    finished_at = serializers.DateTimeField(allow_null=True)


class PlanSerializer(serializers.Serializer):
    """The stored plan row: the figures and every input the policy used (floats; units in the field help)."""

    demand_class = serializers.CharField()
    abc = serializers.CharField()
    xyz = serializers.CharField()
    method = serializers.CharField(help_text="The forecast method chosen by the backtest.")
    forecast_weekly = serializers.FloatField(help_text="units/week")
    forecast_sd_weekly = serializers.FloatField(help_text="Backtest RMSE of the chosen method, units/week.")
    forecast_sd_planning = serializers.FloatField(allow_null=True, help_text="The sd after segment pooling.")
    lead_time_mean = serializers.FloatField(help_text="days")
    lead_time_sd = serializers.FloatField(help_text="days")
    lead_time_source = serializers.CharField()
    policy_forecast_weekly = serializers.FloatField(
        allow_null=True, help_text="The demand the policy covered."
    )
    policy_forecast_sd_weekly = serializers.FloatField(allow_null=True)
    policy_lead_time_days = serializers.FloatField(allow_null=True)
    policy_lead_time_sd_days = serializers.FloatField(allow_null=True)
    policy_target = serializers.FloatField(allow_null=True, help_text="The target the policy computed for.")
    target_type = serializers.CharField(help_text="fill_rate or cycle")
    service_target = serializers.FloatField(help_text="The business target (0-1).")
    lead_time_demand_mean = serializers.FloatField(
        allow_null=True, help_text="Mean demand over L + R, units."
    )
    lead_time_demand_sd = serializers.FloatField(allow_null=True)
    lead_time_demand_distribution = serializers.CharField()
    undershoot = serializers.FloatField(allow_null=True)
    safety_factor = serializers.FloatField(allow_null=True)
    eoq = serializers.FloatField(allow_null=True)
    moq = serializers.FloatField(allow_null=True)
    pack_size = serializers.FloatField(allow_null=True)
    capacity = serializers.FloatField(allow_null=True)
    safety_stock = serializers.FloatField()
    reorder_point = serializers.FloatField()
    order_up_to = serializers.FloatField()
    order_quantity = serializers.FloatField()
    inventory_position = serializers.FloatField()
    stockout_probability = serializers.FloatField()
    projected_stockout_date = serializers.DateField(allow_null=True)
    flags = serializers.ListField(child=serializers.CharField())


class MethodErrorSerializer(serializers.Serializer):
    method = serializers.CharField()
    rmse = serializers.FloatField(allow_null=True)
    mase = serializers.FloatField(allow_null=True)
    bias = serializers.FloatField(allow_null=True, help_text="Mean of forecast - actual, units/week.")
    chosen = serializers.BooleanField()


class WeekSerializer(serializers.Serializer):
    week = serializers.DateField()
    quantity = serializers.IntegerField(required=False)
    promotion = serializers.BooleanField(required=False)
    forecast = serializers.FloatField(required=False, allow_null=True)


class DemandSerializer(serializers.Serializer):
    history = WeekSerializer(many=True)
    weeks_of_history = serializers.IntegerField()
    mean_weekly_demand = serializers.FloatField(allow_null=True)
    backtest_fit = WeekSerializer(
        many=True, help_text="The chosen method's one-step forecasts, backtest weeks."
    )
    forecast_path = WeekSerializer(many=True)
    selection_metric = serializers.CharField()
    methods = MethodErrorSerializer(many=True)
    chosen_method = serializers.CharField(allow_null=True)
    demand_class = serializers.CharField(allow_null=True)
    segment = serializers.CharField(allow_null=True)


class LeadTimeSerializer(serializers.Serializer):
    supplier = serializers.DictField(allow_null=True)
    source = serializers.CharField(required=False)
    receipts = serializers.ListField(child=serializers.DictField())
    receipt_count = serializers.IntegerField(required=False)
    observed_mean = serializers.FloatField(allow_null=True, required=False)
    observed_sd = serializers.FloatField(allow_null=True, required=False)
    histogram = serializers.ListField(child=serializers.DictField())
    planned_mean = serializers.FloatField(allow_null=True, required=False)
    planned_sd = serializers.FloatField(allow_null=True, required=False)
    long_run_mean = serializers.FloatField(allow_null=True, required=False)
    recent_mean = serializers.FloatField(allow_null=True, required=False)
    unstable = serializers.BooleanField(required=False)
    drift = serializers.DictField(
        allow_null=True, help_text="Recent vs reference receipts: shift, p-value, flag."
    )
    findings = serializers.ListField(child=serializers.DictField())


class PolicySerializer(serializers.Serializer):
    complete = serializers.BooleanField(help_text="False for a plan row stored before the inputs were kept.")
    targets = StepSerializer(many=True)
    lead_time_demand = StepSerializer(many=True)
    order_quantity = StepSerializer(many=True)
    binding_constraint = serializers.CharField(
        help_text="EOQ, weeks of cover, MOQ, pack size, storage capacity"
    )
    reorder_point = StepSerializer(many=True)
    static_min_max_used = serializers.BooleanField()


class ExplainSerializer(serializers.Serializer):
    sku = serializers.CharField()
    description = serializers.CharField()
    category = serializers.CharField()
    location = LocationSerializer()
    buyer = serializers.CharField(allow_null=True)
    stock = StockSerializer()
    unit_cost = serializers.DecimalField(max_digits=12, decimal_places=4)
    unit_price = serializers.DecimalField(max_digits=12, decimal_places=4)
    as_of = serializers.DateField()
    run = RunSerializer(allow_null=True)
    plan = PlanSerializer(allow_null=True)
    demand = DemandSerializer()
    lead_time = LeadTimeSerializer()
    policy = PolicySerializer(allow_null=True)
    supply = serializers.DictField(help_text="purchase_order_lines, transfers, order_lines (open ones).")
    projection = serializers.DictField(help_text="Projected available stock day by day, with s and S.")
    history = serializers.DictField(help_text="recommendations, decisions, open_exceptions.")


class SkuLocationExplainView(APIView):
    @extend_schema(
        summary="Explain one SKU-location",
        description="Demand history against the forecast with every candidate method's backtest errors, the "
        "lead-time distribution from receipts with drift, the policy derivation from the stored inputs (lead-time "
        "demand, safety stock, reorder point, order-up-to level, order quantity and its binding constraint), the "
        "projection, open supply and orders, and the decision history.",
        responses={
            200: ExplainSerializer,
            404: OpenApiResponse(description="Unknown or not visible to you."),
        },
        tags=["sku-locations"],
    )
    def get(self, request, location: str, sku: str) -> Response:
        item_location = item_location_get(user=request.user, location=location, sku=sku)
        return Response(sku_location_explain(item_location))
