"""The value module's settings (replenish/engine/value.py) from Django's: one reader for the exceptions' refresh,
the queue and the simulator."""

from __future__ import annotations

from django.conf import settings

from replenish.engine import value as v


def value_settings() -> v.ValueSettings:
    """The value module's settings from Django's (DISTOPS_HOLDING_RATE, DISTOPS_ORDERING_COST, ...)."""
    return v.ValueSettings(
        holding_rate=float(settings.DISTOPS_HOLDING_RATE),
        ordering_cost=float(settings.DISTOPS_ORDERING_COST),
        review_days=float(settings.DISTOPS_REVIEW_DAYS),
        obsolescence_share=float(settings.DISTOPS_OBSOLESCENCE_SHARE),
        expedite_fee_flat=float(settings.DISTOPS_EXPEDITE_FEE_FLAT),
        expedite_fee_rate=float(settings.DISTOPS_EXPEDITE_FEE_RATE),
        transfer_freight_flat=float(settings.DISTOPS_TRANSFER_FREIGHT_FLAT),
        transfer_freight_rate=float(settings.DISTOPS_TRANSFER_FREIGHT_RATE),
    )
