"""Governance: approval tiers, automation policies, the acceptance model, KPIs and drift (the audit chain is in
replenish.core)."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q

from replenish.core import roles
from replenish.core.roles import ROLE_RANK

# --- approval tiers and automation policies (data, edited by managers, every change audited) ----------------------


ACTION_CHOICES = [
    ("purchase_order", "New purchase order"),
    ("expedite", "Expedite an open PO"),
    ("defer", "Defer an open PO"),
    ("cancel", "Cancel an open PO"),
    ("transfer", "Inter-warehouse transfer"),
    ("reallocate", "Reallocate constrained stock"),
    ("chase", "Chase the supplier (a message)"),
    ("repromise", "Re-promise order lines"),
]


def _ranges_overlap(lo1, hi1, lo2, hi2) -> bool:
    """Half-open value bands (lo, hi]: lo None = from minus infinity, hi None = no upper limit."""
    below = hi2 is None or lo1 is None or lo1 < hi2
    above = hi1 is None or lo2 is None or lo2 < hi1
    return below and above


def _dates_overlap(f1, t1, f2, t2) -> bool:
    """Closed date ranges [from, to]: to None = open-ended."""
    return (t2 is None or f1 <= t2) and (t1 is None or f2 <= t1)


class ApprovalTier(models.Model):
    """Action type x value band -> the role whose approval is needed, valid between two dates.

    The band is (value_above, value_up_to]: "up to 5,000" includes 5,000; the next band starts "above 5,000".
    Active tiers of one action may not overlap in both value band and effective dates (clean() and the service).
    """

    class Role(models.TextChoices):
        BUYER = roles.BUYER, "Buyer (any planner)"
        MANAGER = roles.MANAGER, roles.ROLE_LABELS[roles.MANAGER]
        DIRECTOR = roles.DIRECTOR, roles.ROLE_LABELS[roles.DIRECTOR]

    action = models.CharField(max_length=16, choices=ACTION_CHOICES)
    value_above = models.DecimalField(
        max_digits=14,
        decimal_places=2,
        null=True,
        blank=True,
        help_text="Lower bound, exclusive; empty = from zero.",
    )
    value_up_to = models.DecimalField(
        max_digits=14,
        decimal_places=2,
        null=True,
        blank=True,
        help_text="Upper bound, inclusive; empty = no limit.",
    )
    required_role = models.CharField(max_length=16, choices=Role.choices)
    effective_from = models.DateField()
    effective_to = models.DateField(
        null=True, blank=True, help_text="Last day it applies; empty = open-ended."
    )
    active = models.BooleanField(default=True)
    version = models.PositiveIntegerField(default=1)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["action", "effective_from", "value_above"]
        permissions = [
            ("approve_tier", "Can approve decisions that need a manager's tier"),
            ("edit_policy", "Can edit approval tiers and automation policies"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(value_above__isnull=True)
                | Q(value_up_to__isnull=True)
                | Q(value_up_to__gt=F("value_above")),
                name="approvaltier_band_ordered",
                violation_error_message="value up to must be above the lower bound.",
            ),
            models.CheckConstraint(
                condition=Q(effective_to__isnull=True) | Q(effective_to__gte=F("effective_from")),
                name="approvaltier_dates_ordered",
                violation_error_message="effective to cannot precede effective from.",
            ),
        ]
        indexes = [models.Index(fields=["action", "active", "effective_from"], name="tier_action_idx")]

    def __str__(self) -> str:
        return f"{self.action} {self.band_label} -> {self.required_role}"

    @property
    def rank(self) -> int:
        return ROLE_RANK[self.required_role]

    @property
    def band_label(self) -> str:
        if self.value_above is None and self.value_up_to is None:
            return "any value"
        if self.value_above is None:
            return f"up to {self.value_up_to:,.0f}"
        if self.value_up_to is None:
            return f"above {self.value_above:,.0f}"
        return f"above {self.value_above:,.0f} up to {self.value_up_to:,.0f}"

    def overlapping(self):
        """Other active tiers of the same action whose dates and value bands both overlap this one."""
        others = ApprovalTier.objects.filter(action=self.action, active=True).exclude(pk=self.pk)
        return [
            other
            for other in others
            if _dates_overlap(
                self.effective_from, self.effective_to, other.effective_from, other.effective_to
            )
            and _ranges_overlap(self.value_above, self.value_up_to, other.value_above, other.value_up_to)
        ]

    def clean(self) -> None:
        errors: dict[str, str] = {}
        if (
            self.value_above is not None
            and self.value_up_to is not None
            and self.value_up_to <= self.value_above
        ):
            errors["value_up_to"] = "Value up to must be above the lower bound."
        if self.effective_from and self.effective_to and self.effective_to < self.effective_from:
            errors["effective_to"] = "Effective to cannot precede effective from."
        if not errors and self.active and self.action and self.effective_from:
            clash = self.overlapping()
            if clash:
                other = clash[0]
                errors["value_up_to"] = (
                    f"This value band overlaps tier #{other.pk} ({other.band_label}, from {other.effective_from}"
                    f"{' to ' + str(other.effective_to) if other.effective_to else ''}) for the same action and "
                    "dates: adjust the band or the effective dates."
                )
        if errors:
            raise ValidationError(errors)


class AutomationPolicy(models.Model):
    """When an action may be executed without a person: every condition must hold, otherwise a person decides."""

    name = models.CharField(max_length=80)
    action = models.CharField(max_length=16, choices=ACTION_CHOICES)
    abc_classes = models.CharField(
        max_length=3, default="C", help_text="ABC classes allowed, e.g. 'C' or 'BC'."
    )
    xyz_classes = models.CharField(max_length=3, default="XY", help_text="XYZ classes allowed, e.g. 'XY'.")
    min_supplier_reliability = models.FloatField(default=0.9, help_text="0-1, on-time share of the supplier.")
    max_value = models.DecimalField(max_digits=14, decimal_places=2)
    max_amount = models.DecimalField(
        max_digits=14,
        decimal_places=2,
        null=True,
        blank=True,
        help_text="What the action may spend at most (quantity x unit cost, freight); empty = no limit.",
    )
    min_confidence = models.FloatField(default=0.8)
    require_no_quality_flags = models.BooleanField(default=True)
    effective_from = models.DateField()
    effective_to = models.DateField(null=True, blank=True)
    active = models.BooleanField(default=True)
    version = models.PositiveIntegerField(default=1)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["action", "name"]
        verbose_name_plural = "automation policies"
        constraints = [
            models.CheckConstraint(
                condition=Q(min_confidence__gte=0, min_confidence__lte=1),
                name="autopolicy_confidence_range",
                violation_error_message="minimum confidence must be between 0 and 1.",
            ),
            models.CheckConstraint(
                condition=Q(min_supplier_reliability__gte=0, min_supplier_reliability__lte=1),
                name="autopolicy_reliability_range",
                violation_error_message="supplier reliability floor must be between 0 and 1.",
            ),
            models.CheckConstraint(
                condition=Q(max_value__gte=0),
                name="autopolicy_max_value_non_negative",
                violation_error_message="maximum value cannot be negative.",
            ),
            models.CheckConstraint(
                condition=Q(max_amount__isnull=True) | Q(max_amount__gte=0),
                name="autopolicy_max_amount_non_negative",
                violation_error_message="maximum amount cannot be negative.",
            ),
            models.CheckConstraint(
                condition=Q(effective_to__isnull=True) | Q(effective_to__gte=F("effective_from")),
                name="autopolicy_dates_ordered",
                violation_error_message="effective to cannot precede effective from.",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        errors: dict[str, str] = {}
        for field in ("abc_classes", "xyz_classes"):
            value = (getattr(self, field) or "").upper()
            allowed = "ABC" if field == "abc_classes" else "XYZ"
            if not value or any(ch not in allowed for ch in value):
                errors[field] = f"Use letters from {allowed} only, e.g. '{allowed[-1]}'."
        if self.effective_from and self.effective_to and self.effective_to < self.effective_from:
            errors["effective_to"] = "Effective to cannot precede effective from."
        if errors:
            raise ValidationError(errors)


class AcceptanceModel(models.Model):
    """A trained acceptance model: P(planner accepts a recommendation unchanged). The newest active row is used."""

    version = models.PositiveIntegerField(unique=True)
    trained_at = models.DateTimeField()
    n_samples = models.PositiveIntegerField()
    n_accepted = models.PositiveIntegerField(default=0)
    algorithm = models.CharField(max_length=60)
    validation_auc = models.FloatField(null=True, blank=True)
    validation_log_loss = models.FloatField(null=True, blank=True)
    features = models.JSONField(default=list)
    blob = models.BinaryField(
        help_text="joblib/pickle of the fitted scikit-learn pipeline (trusted, our own)."
    )
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["-version"]

    def __str__(self) -> str:
        return f"acceptance model v{self.version}"


# --- KPIs and drift ------------------------------------------------------------------------------------------------


class KpiSnapshot(models.Model):
    """One KPI's value on one day (optionally for one dimension: a buyer, a reason, a category).

    Computed by governance.kpis.kpi_snapshot_compute (daily, Celery beat) and backfilled from history, so the
    dashboard shows trends. `is_proxy` marks figures approximated from the data the mirror holds.
    """

    on = models.DateField()
    kpi = models.CharField(max_length=40)
    dimension = models.CharField(
        max_length=120,
        blank=True,
        default="",
        help_text="'' = the whole network; 'buyer:<name>', 'reason:<code>', 'category:<x>'",
    )
    value = models.FloatField(null=True)
    numerator = models.FloatField(null=True)
    denominator = models.FloatField(null=True)
    unit = models.CharField(max_length=16, blank=True)
    is_proxy = models.BooleanField(default=False)
    computed_at = models.DateTimeField()

    class Meta:
        ordering = ["kpi", "dimension", "on"]
        constraints = [
            models.UniqueConstraint(fields=["on", "kpi", "dimension"], name="kpisnapshot_day_kpi_dim")
        ]
        indexes = [models.Index(fields=["kpi", "on"], name="kpisnapshot_kpi_on_idx")]

    def __str__(self) -> str:
        return f"{self.kpi}[{self.dimension}] {self.on}: {self.value}"


class DriftReport(models.Model):
    """One run of the drift checks (monthly on a schedule, or on demand by a manager)."""

    run_at = models.DateTimeField()
    triggered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    summary = models.JSONField(default=dict)

    class Meta:
        ordering = ["-run_at"]

    def __str__(self) -> str:
        return f"drift report {self.run_at:%Y-%m-%d}"


class DriftFinding(models.Model):
    """A flagged category (and supplier, for lead times): a review task for a manager, open until closed."""

    class Kind(models.TextChoices):
        FORECAST_ERROR = "forecast_error", "Forecast error drift"
        DEMAND_SHIFT = "demand_shift", "Demand distribution shift"
        LEAD_TIME_SHIFT = "lead_time_shift", "Lead-time shift"
        SERVICE_CALIBRATION = "service_calibration", "Service calibration drift"

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        CLOSED = "closed", "Closed"

    report = models.ForeignKey(DriftReport, on_delete=models.CASCADE, related_name="findings")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    category = models.CharField(max_length=60)
    supplier = models.ForeignKey(
        "replenish.Supplier", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    score = models.FloatField(help_text="PSI, relative MASE change, or lead-time shift in days.")
    metrics = models.JSONField(default=dict)
    message = models.TextField()
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.OPEN)
    created_at = models.DateTimeField()
    last_seen_at = models.DateTimeField()
    closed_at = models.DateTimeField(null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    close_note = models.TextField(blank=True)

    class Meta:
        ordering = ["status", "-score"]
        indexes = [models.Index(fields=["status", "kind"], name="driftfinding_status_idx")]
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "category", "supplier"],
                condition=Q(status="open"),
                name="driftfinding_one_open_per_subject",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.category}"
