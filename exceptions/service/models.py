"""Customer-service state: what customer service did about an at-risk or backordered order line.

The at-risk lines themselves are the live CustomerServiceTask rows of exceptions.workflows (one per line, written by
the order-line ATP); a ServiceAction is one thing a person did to a line (re-promise, substitute, split, reallocate,
contact), with the outbox message that carried it to the ERP. The audit trail holds the same, hash-chained.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models


class ServiceAction(models.Model):
    class Kind(models.TextChoices):
        REPROMISE = "repromise", "Re-promised"
        SUBSTITUTE = "substitute", "Substitute offered"
        SPLIT = "split", "Split / partial ship"
        REALLOCATE = "reallocate", "Stock reallocated"
        CONTACT = "contact", "Customer contacted"

    kind = models.CharField(max_length=16, choices=Kind.choices)
    sales_order_line = models.ForeignKey(
        "replenish.SalesOrderLine", on_delete=models.CASCADE, related_name="service_actions"
    )
    task = models.ForeignKey(
        "workflows.CustomerServiceTask", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    details = models.JSONField(default=dict, blank=True, help_text="What was decided, in the outbox's words.")
    outbox_key = models.CharField(max_length=80, blank=True, help_text="Idempotency key of the ERP posting.")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        permissions = [
            ("act_on_order_lines", "Can re-promise, substitute, split and reallocate customer order lines"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} line {self.sales_order_line_id}"
