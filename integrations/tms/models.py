"""TMS milestones: what the carrier's transportation system says about an inbound shipment (ASN) on its way.

One row per milestone the inbox applied (picked up, departed, at hub, out for delivery, delivered, exception), with
the ETA it announced and the one it replaced. A milestone moving the ETA moves the shipment's expected arrival, and
from there ATP, the plan and the at-risk order lines exactly as an 856 slip does (integrations/tms/handlers.py).
"""

from __future__ import annotations

from django.db import models


class Milestone(models.Model):
    class Kind(models.TextChoices):
        PICKED_UP = "picked_up", "Picked up"
        DEPARTED = "departed", "Departed"
        AT_HUB = "at_hub", "At hub"
        OUT_FOR_DELIVERY = "out_for_delivery", "Out for delivery"
        DELIVERED = "delivered", "Delivered"
        EXCEPTION = "exception", "Exception"

    shipment = models.ForeignKey("replenish.Shipment", on_delete=models.CASCADE, related_name="milestones")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    occurred_at = models.DateTimeField()
    eta = models.DateField(null=True, blank=True, help_text="The ETA the milestone announced.")
    previous_eta = models.DateField(
        null=True, blank=True, help_text="The shipment's expected arrival before it."
    )
    carrier = models.CharField(max_length=60, blank=True)
    place = models.CharField(max_length=120, blank=True)
    note = models.TextField(blank=True, help_text="The carrier's words, e.g. the reason of an exception.")
    source = models.CharField(max_length=64, help_text="webhook:<source> or file:<name>")
    external_id = models.CharField(max_length=200, help_text="The TMS event id.")
    message_id = models.BigIntegerField(null=True, blank=True, help_text="integrations.InboxMessage id.")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-occurred_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["source", "external_id"], name="tms_milestone_event_uniq"),
            models.UniqueConstraint(fields=["shipment", "kind", "occurred_at"], name="tms_milestone_once"),
        ]

    def __str__(self) -> str:
        return f"{self.shipment_id} {self.kind} {self.occurred_at:%Y-%m-%d %H:%M}"
