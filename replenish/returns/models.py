"""One returned line of a customer RMA, against the order line it was sold on, and the disposition decided."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q


class ReturnLine(models.Model):
    class Condition(models.TextChoices):
        NEW = "new", "New, unopened"
        GOOD = "good", "Opened, as new"
        DAMAGED = "damaged", "Damaged"
        DEFECTIVE = "defective", "Defective"

    class Disposition(models.TextChoices):
        RESTOCK = "restock", "Restock"
        REFURBISH = "refurbish", "Refurbish"
        RETURN_TO_VENDOR = "return_to_vendor", "Return to vendor"
        SCRAP = "scrap", "Scrap"

    class Status(models.TextChoices):
        OPEN = "open", "Awaiting triage"
        DECIDED = "decided", "Decided"

    source = models.CharField(max_length=64, default="file")
    external_id = models.CharField(max_length=64)
    rma = models.CharField(max_length=40)
    line_number = models.PositiveIntegerField()
    sales_order_line = models.ForeignKey(
        "replenish.SalesOrderLine", on_delete=models.PROTECT, related_name="return_lines"
    )
    item = models.ForeignKey("replenish.Item", on_delete=models.PROTECT, related_name="return_lines")
    location = models.ForeignKey("replenish.Location", on_delete=models.PROTECT, related_name="return_lines")
    quantity = models.PositiveIntegerField()
    condition = models.CharField(max_length=16, choices=Condition.choices)
    reason = models.CharField(max_length=200, blank=True)
    received_date = models.DateField()
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.OPEN)
    disposition = models.CharField(max_length=20, choices=Disposition.choices, blank=True)
    decided_value = models.DecimalField(max_digits=14, decimal_places=2, null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    version = models.PositiveIntegerField(default=1)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["received_date", "rma", "line_number"]
        constraints = [
            models.UniqueConstraint(fields=["source", "external_id"], name="returnline_source_ext_uniq"),
            models.UniqueConstraint(fields=["rma", "line_number"], name="returnline_rma_line_uniq"),
            models.CheckConstraint(condition=Q(quantity__gt=0), name="returnline_quantity_positive"),
        ]
        indexes = [models.Index(fields=["status", "location"], name="returnline_status_loc_idx")]

    def __str__(self) -> str:
        return f"RMA {self.rma}/{self.line_number}"
