"""Carriers and carrier cut-offs (master data, `import_file carrier_cutoffs`, integrations/files/FORMATS.md)."""

from __future__ import annotations

from django.core.validators import MaxValueValidator
from django.db import models
from django.db.models import Q


class Carrier(models.Model):
    code = models.CharField(max_length=32, unique=True, help_text="e.g. UPS, FDXG, XPO.")
    name = models.CharField(max_length=120)
    source = models.CharField(max_length=32, default="file")
    external_id = models.CharField(max_length=64)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class CarrierCutoff(models.Model):
    """One pickup window: what a location ships with a carrier (and service) leaves at `cutoff_time` local time on
    the listed weekdays; picking and packing must be done `pick_lead_minutes` before it. `service_tier` routes the
    customers of that service tier (its code) to this window; a blank one is the location's default window."""

    location = models.ForeignKey(
        "replenish.Location", on_delete=models.CASCADE, related_name="carrier_cutoffs"
    )
    carrier = models.ForeignKey(Carrier, on_delete=models.CASCADE, related_name="cutoffs")
    service = models.CharField(max_length=32, default="ground")
    service_tier = models.CharField(
        max_length=16, blank=True, help_text="Code of the customer service tier routed here; blank = default."
    )
    cutoff_time = models.TimeField(help_text="Local time of the pickup.")
    pick_lead_minutes = models.PositiveIntegerField(default=60, validators=[MaxValueValidator(720)])
    weekdays = models.CharField(
        max_length=7, default="12345", help_text="ISO weekdays with a pickup, 1 = Monday."
    )
    source = models.CharField(max_length=32, default="file")
    external_id = models.CharField(max_length=64)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["location", "cutoff_time", "carrier"]
        constraints = [
            models.UniqueConstraint(
                fields=["location", "carrier", "service", "service_tier"], name="carriercutoff_window_uniq"
            ),
            models.CheckConstraint(condition=Q(pick_lead_minutes__lte=720), name="carriercutoff_lead_max"),
        ]

    def __str__(self) -> str:
        return f"{self.location_id} {self.carrier_id} {self.service} {self.cutoff_time}"

    def runs_on(self, day) -> bool:
        return str(day.isoweekday()) in self.weekdays
