"""Domain signals of the replenish app."""

from django.dispatch import Signal

# Sent when a plan run becomes current: kwargs run (PlanRun), item_location_ids (list[int] | None = whole network).
plan_run_completed = Signal()
