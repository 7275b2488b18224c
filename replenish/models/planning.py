"""What DistOps computes: plan runs, SKU plans, recommendations, simulations, scenario and worker records."""

from django.conf import settings
from django.db import models
from django.db.models import Q

from .base import NON_NEGATIVE, non_negative
from .master import ItemLocation, Location, Supplier
from .orders import PurchaseOrderLine


class ScenarioRun(models.Model):
    """Which generated scenario the database holds (the simulator regenerates its demand process from this)."""

    seed = models.PositiveIntegerField()
    skus = models.PositiveIntegerField()
    locations = models.PositiveSmallIntegerField()
    weeks = models.PositiveSmallIntegerField()
    as_of = models.DateField()
    counts = models.JSONField(default=dict)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"seed {self.seed}: {self.skus} x {self.locations} x {self.weeks}"


class WorkerHeartbeat(models.Model):
    """The last time each Celery worker ran the heartbeat task (ops health, shown to administrators)."""

    hostname = models.CharField(max_length=200, unique=True)
    seen_at = models.DateTimeField()
    tasks_seen = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return self.hostname


class PlanRun(models.Model):
    """One plan refresh. Readers see only the current complete run, so a refresh never shows half old, half new."""

    class Status(models.TextChoices):
        RUNNING = "running", "Running"
        COMPLETE = "complete", "Complete"
        FAILED = "failed", "Failed"

    class Scope(models.TextChoices):
        FULL = "full", "Full network"
        PARTIAL = "partial", "Touched SKU-locations"

    status = models.CharField(max_length=16, choices=Status.choices, default=Status.RUNNING)
    scope = models.CharField(max_length=16, choices=Scope.choices, default=Scope.FULL)
    filters = models.JSONField(
        default=dict, blank=True, help_text="--location / --items of a partial refresh."
    )
    is_current = models.BooleanField(default=False)
    chunks_total = models.PositiveIntegerField(default=0)
    chunks_done = models.PositiveIntegerField(default=0)
    series_count = models.PositiveIntegerField(default=0)
    recommendation_count = models.PositiveIntegerField(default=0)
    model_version = models.CharField(
        max_length=40, blank=True, help_text="Engine version and parameters hash."
    )
    input_snapshot = models.JSONField(
        default=dict, blank=True, help_text="Counts and checksums of the inputs."
    )
    timings = models.JSONField(default=dict, blank=True)
    options = models.JSONField(
        default=dict,
        blank=True,
        help_text="The engine settings the run planned with (policy, forecast methods).",
    )
    # Service calibration (replenish/planning/calibration.py): the per-group factors this run planned with
    # ({"factors": {"AX|own": 0.8, ...}, "learned_by_run": id}) and those its replay learned for the next run.
    calibration_applied = models.JSONField(default=dict, blank=True)
    calibration_learned = models.JSONField(default=dict, blank=True)
    # targets allocated within each calibration group at least stock (engine/allocation.py): a full run records per
    # group the demand-weighted sums of the log price of a unit short its chunks solved ({"groups": {group:
    # [sum of weight x log price, sum of weight]}}); a partial run plans at the current run's prices
    # ({"applied": {group: log price}, "from_run": id}), so the SKU-locations it re-plans keep their share
    allocation_prices = models.JSONField(default=dict, blank=True)
    error = models.TextField(blank=True)
    started_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    triggered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-started_at"]
        permissions = [("refresh_plan", "Can start a plan refresh")]
        constraints = [
            models.UniqueConstraint(
                fields=["is_current"], condition=Q(is_current=True), name="planrun_one_current"
            )
        ]

    def __str__(self) -> str:
        return f"run {self.pk} ({self.status})"

    @property
    def progress(self) -> float:
        return 100.0 * self.chunks_done / self.chunks_total if self.chunks_total else 0.0


class SkuPlan(models.Model):
    """The plan of one SKU-location in one run (engine statistics are floats; money stays in Decimal elsewhere)."""

    run = models.ForeignKey(PlanRun, on_delete=models.CASCADE, related_name="plans")
    item_location = models.ForeignKey(ItemLocation, on_delete=models.CASCADE, related_name="plans")
    demand_class = models.CharField(max_length=16)
    abc = models.CharField(max_length=1)
    xyz = models.CharField(max_length=1)
    method = models.CharField(max_length=24)
    forecast_weekly = models.FloatField()
    forecast_sd_weekly = models.FloatField()
    mase = models.FloatField(null=True)
    bias = models.FloatField(null=True)
    lead_time_mean = models.FloatField()
    lead_time_sd = models.FloatField()
    lead_time_source = models.CharField(max_length=16)
    lead_time_unstable = models.BooleanField(default=False)
    target_type = models.CharField(max_length=16)
    service_target = models.FloatField()
    # the target the policy was computed for: 1 - (1 - service_target) x calibration_factor (engine/calibration.py)
    planning_target = models.FloatField(null=True)
    calibration_factor = models.FloatField(default=1.0)
    calibration_group = models.CharField(max_length=24, blank=True)
    safety_stock = models.FloatField()
    reorder_point = models.FloatField()
    order_up_to = models.FloatField()
    order_quantity = models.FloatField()
    inventory_position = models.FloatField()
    stockout_probability = models.FloatField()
    projected_stockout_date = models.DateField(null=True)
    flags = models.JSONField(default=list, blank=True, help_text="Data-quality fallbacks applied, by name.")
    # Every input the policy computed this row from, as it used them (a pooled hub's network demand, a branch's
    # transfer lead time), so that its figures can be re-derived from the stored row (governance/explain).
    # Null on rows planned before these were kept.
    forecast_sd_planning = models.FloatField(null=True, help_text="Weekly sd after pooling with the segment.")
    backtest = models.JSONField(
        default=dict,
        blank=True,
        help_text="Per-method rmse/mase/bias (run.options methods order), fit, path.",
    )
    lead_time_long_run_mean = models.FloatField(null=True)
    lead_time_recent_mean = models.FloatField(null=True)
    lead_time_n_samples = models.IntegerField(null=True)
    policy_forecast_weekly = models.FloatField(null=True)
    policy_forecast_sd_weekly = models.FloatField(null=True)
    policy_lead_time_days = models.FloatField(null=True)
    policy_lead_time_sd_days = models.FloatField(null=True)
    policy_target = models.FloatField(null=True)
    error_growth = models.FloatField(
        null=True, help_text="Forecast error growth over L + R (x the weekly sd)."
    )
    demand_size_mean = models.FloatField(null=True)
    demand_size_cv2 = models.FloatField(null=True)
    undershoot = models.FloatField(null=True, help_text="Expected undershoot of the reorder point (units).")
    lead_time_demand_mean = models.FloatField(null=True, help_text="Mean demand over L + R (units).")
    lead_time_demand_sd = models.FloatField(null=True)
    lead_time_demand_distribution = models.CharField(max_length=24, blank=True)
    safety_factor = models.FloatField(null=True)
    eoq = models.FloatField(null=True, help_text="EOQ within its weeks-of-cover bounds, before MOQ and pack.")
    unit_cost = models.FloatField(null=True)
    ordering_cost = models.FloatField(null=True)
    holding_rate = models.FloatField(null=True)
    moq = models.FloatField(null=True)
    pack_size = models.FloatField(null=True)
    capacity = models.FloatField(null=True)
    safety_stock_floor = models.FloatField(null=True)
    supply_location = models.ForeignKey(
        Location, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["run", "item_location"], name="skuplan_run_itemloc_uniq"),
        ]
        indexes = [models.Index(fields=["item_location", "run"], name="skuplan_itemloc_run_idx")]

    def __str__(self) -> str:
        return f"plan {self.item_location_id} run {self.run_id}"


class Recommendation(models.Model):
    """A proposed action: generated by the engine, never posted by it."""

    class Action(models.TextChoices):
        PURCHASE_ORDER = "purchase_order", "New purchase order"
        EXPEDITE = "expedite", "Expedite an open PO"
        DEFER = "defer", "Defer an open PO"
        CANCEL = "cancel", "Cancel an open PO"
        TRANSFER = "transfer", "Inter-warehouse transfer"
        REALLOCATE = "reallocate", "Reallocate constrained stock"

    run = models.ForeignKey(PlanRun, on_delete=models.CASCADE, related_name="recommendations")
    item_location = models.ForeignKey(ItemLocation, on_delete=models.CASCADE, related_name="recommendations")
    action = models.CharField(max_length=16, choices=Action.choices)
    quantity = models.IntegerField(validators=NON_NEGATIVE)
    due_date = models.DateField()
    supplier = models.ForeignKey(Supplier, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    source_location = models.ForeignKey(
        Location,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="Where a transfer ships from.",
    )
    po_line = models.ForeignKey(
        PurchaseOrderLine, null=True, blank=True, on_delete=models.SET_NULL, related_name="recommendations"
    )
    new_date = models.DateField(null=True, blank=True, help_text="Target arrival of an expedite or deferral.")
    factors = models.JSONField(default=dict, help_text="The numbers behind it, machine-readable.")
    reason = models.TextField(help_text="One plain sentence.")
    confidence = models.FloatField(default=0.5)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [*non_negative("quantity", name="recommendation")]
        indexes = [models.Index(fields=["run", "action"], name="rec_run_action_idx")]

    def __str__(self) -> str:
        return f"{self.get_action_display()} {self.quantity} for {self.item_location_id}"


class PlanChunk(models.Model):
    """One idempotent slice of a plan run (whole items, all their locations), computed by any worker."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        DONE = "done", "Done"
        FAILED = "failed", "Failed"

    run = models.ForeignKey(PlanRun, on_delete=models.CASCADE, related_name="chunks")
    index = models.PositiveIntegerField()
    item_id_low = models.BigIntegerField()
    item_id_high = models.BigIntegerField()
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    series_count = models.PositiveIntegerField(default=0)
    seconds = models.FloatField(default=0)
    timings = models.JSONField(default=dict, blank=True)
    error = models.TextField(blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["run", "index"], name="planchunk_run_index_uniq")]

    def __str__(self) -> str:
        return f"run {self.run_id} chunk {self.index}"


class JobStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    COMPLETE = "complete", "Complete"
    FAILED = "failed", "Failed"


class SimulationReport(models.Model):
    """A policy simulation or backtest report (replenish.evaluation): what was run and its results, as JSON."""

    class Kind(models.TextChoices):
        SIMULATION = "simulation", "Policy simulation"
        BACKTEST = "backtest", "Backtest"

    kind = models.CharField(max_length=16, choices=Kind.choices, default=Kind.SIMULATION)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    source = models.CharField(max_length=32, default="command", help_text="command, web or test")
    parameters = models.JSONField(default=dict)
    results = models.JSONField(default=dict)
    # a run started from the screen is a Celery task: the row exists from the start and shows its progress
    status = models.CharField(max_length=16, choices=JobStatus.choices, default=JobStatus.COMPLETE)
    progress = models.PositiveSmallIntegerField(default=100, help_text="percent done")
    message = models.CharField(max_length=200, blank=True, help_text="the step it is on")
    error = models.TextField(blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    progressed_at = models.DateTimeField(null=True, blank=True, help_text="The last progress a run reported.")

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.created_at:%Y-%m-%d %H:%M}"
