"""Transportation planning's decisions: expedite freight booked for an inbound shipment, with its cost (the
emergency-freight KPI counts them: governance/kpis.py)."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class FreightDecision(models.Model):
    shipment = models.ForeignKey(
        "replenish.Shipment", on_delete=models.CASCADE, related_name="freight_decisions"
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    freight = models.DecimalField(
        max_digits=12, decimal_places=2, help_text="Expedite freight, company currency."
    )
    goods_value = models.DecimalField(max_digits=14, decimal_places=2)
    previous_eta = models.DateField()
    requested_eta = models.DateField()
    reason = models.TextField(blank=True)
    outbox_key = models.CharField(max_length=80)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        permissions = [("act_on_shipments", "Can book expedite freight and act on inbound shipments")]

    def __str__(self) -> str:
        return f"expedite {self.shipment_id} to {self.requested_eta} ({self.freight})"
