"""What a scenario is asked for (``ScenarioSpec``), the random streams it is drawn from, and the generating
parameters the simulator reads back (``NetworkTruth``).

Split from ``generate`` (which names these too) so that the per-chunk draws in ``supply`` can type against them.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass, field
from datetime import date, timedelta

import numpy as np

from replenish.calendar import monday_of

from .reference import REGIONS

ITEM_CHUNK = (
    5_000  # fixed: the chunking is part of the random streams, so it must not depend on the size asked
)


class ScenarioError(ValueError):
    """Impossible generator arguments."""


@dataclass(frozen=True)
class ScenarioSpec:
    skus: int = 2_000
    locations: int = 5
    weeks: int = 104
    seed: int = 7
    as_of: date = field(default_factory=lambda: monday_of(date.today()))  # noqa: DTZ011

    def validate(self) -> None:
        if self.skus < 1:
            raise ScenarioError(f"--skus must be at least 1 (got {self.skus}).")
        if not 1 <= self.locations <= len(REGIONS):
            raise ScenarioError(f"--locations must be between 1 and {len(REGIONS)} (got {self.locations}).")
        if self.weeks < 1:
            raise ScenarioError(f"--weeks must be at least 1 (got {self.weeks}).")
        if self.weeks > 520:
            raise ScenarioError(f"--weeks must be at most 520, ten years (got {self.weeks}).")
        if self.seed < 0:
            raise ScenarioError(f"--seed must be a non-negative integer (got {self.seed}).")

    @property
    def first_week(self) -> date:
        return self.as_of - timedelta(weeks=self.weeks)

    @property
    def n_suppliers(self) -> int:
        return int(np.clip(self.skus // 1_500, 6, 400))

    @property
    def n_customers(self) -> int:
        return int(np.clip(self.skus // 40, 30, 5_000))


def rng_for(seed: int, stream: str, chunk: int = 0) -> np.random.Generator:
    return np.random.default_rng([seed, zlib.crc32(stream.encode()), chunk])


@dataclass
class NetworkTruth:
    """Generating parameters the simulator needs (not ERP data)."""

    supplier_lead_time_mean: np.ndarray
    supplier_lead_time_sd: np.ndarray
    supplier_drift: np.ndarray  # multiplier on the lead time over the last quarter (1.0 = stable)
    supplier_fill_rate: np.ndarray
    category_amplitude: np.ndarray
    category_phase: np.ndarray
    location_factor: np.ndarray
    event_multiplier: np.ndarray  # (regions used, weeks + future, categories)
