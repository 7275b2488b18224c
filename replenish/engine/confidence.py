"""Confidence in a proposed action: one definition, separate from its value (pure numpy; no Django).

DESIGN.md: "Confidence is separate from value: forecast quality for this series, data-quality flags, size of the
lead-time sample, and the acceptance model's probability that a planner would accept." Used by the detectors and
the refresh (stored on each task with its parts), the queue and the API (which show them), the automation policies
(which compare it to a floor), the simulator and the acceptance model (whose `confidence` feature is
`data_confidence`, the same figure at training and at prediction).

    data_confidence = forecast_quality x data_quality x lead_time_quality
    confidence      = (1 - ACCEPTANCE_WEIGHT) x data_confidence + ACCEPTANCE_WEIGHT x P(accept)

- forecast_quality = 1 for a backtest MASE <= 0.5 (clearly better than the naive forecast), exp(-(MASE - 0.5) / 2)
  beyond; 0.5 for a series never backtested.
- data_quality = 0.85 ^ (number of data-quality flags; choices such as pooling or EOQ fallbacks are not faults).
- lead_time_quality = the lead-time source's quality (own receipts 1, the supplier's pooled receipts 0.9, the
  contract 0.75, a default 0.5) x n / (n + LEAD_TIME_SAMPLE_HALF) for the n receipts behind it (the contract and
  the default count as LEAD_TIME_SAMPLE_HALF, i.e. x 0.5 is not applied twice: see `lead_time_quality`), x 0.8 when
  the lead time shifted recently (unstable).
"""

from __future__ import annotations

import numpy as np

LEAD_TIME_SOURCE_QUALITY = {"supplier_item": 1.0, "supplier": 0.9, "contracted": 0.75, "default": 0.5}
UNKNOWN_SOURCE_QUALITY = 0.7
BENIGN_FLAGS = frozenset(
    {"capacity_limited", "eoq_fallback", "static_min_max_used", "supplied_from_hub", "pooled_hub"}
)  # choices, not data faults
FLAG_FACTOR = 0.85
UNSTABLE_FACTOR = 0.8
LEAD_TIME_SAMPLE_HALF = 5.0  # receipts at which the sample factor is 1/2 ... 20 receipts give 0.8
ACCEPTANCE_WEIGHT = 0.3
NEUTRAL_ACCEPTANCE = 0.5


def clean_flag(name: str) -> str:
    return str(name).removeprefix("flag_")


def fault_flags(flags) -> list[str]:
    """The data-quality flags that are faults (benign choices removed), cleaned of their prefix."""
    return [clean_flag(f) for f in (flags or []) if clean_flag(f) not in BENIGN_FLAGS]


def forecast_quality(mase) -> np.ndarray:
    mase = np.asarray(mase, dtype=np.float64)
    with np.errstate(invalid="ignore"):
        return np.where(np.isfinite(mase), np.exp(-0.5 * np.maximum(mase - 0.5, 0.0)), 0.5)


def data_quality(flags) -> np.ndarray:
    counts = np.array([len(fault_flags(row)) for row in flags], dtype=float)
    return FLAG_FACTOR**counts


def lead_time_quality(source, unstable, samples=None) -> np.ndarray:
    """Source quality x sample factor x stability. History-based sources (supplier_item, supplier) are scaled by
    n / (n + LEAD_TIME_SAMPLE_HALF) for their n receipts (unknown n: no scaling); the contract and the default have
    no sample and keep their source quality."""
    source = [str(s) for s in source]
    quality = np.array([LEAD_TIME_SOURCE_QUALITY.get(s, UNKNOWN_SOURCE_QUALITY) for s in source], dtype=float)
    if samples is not None:
        n = np.asarray(samples, dtype=np.float64)
        history = np.array([s in ("supplier_item", "supplier") for s in source], dtype=bool)
        factor = np.where(
            np.isfinite(n), np.maximum(n, 0.0) / (np.maximum(n, 0.0) + LEAD_TIME_SAMPLE_HALF), 1.0
        )
        quality = quality * np.where(history, factor, 1.0)
    return quality * np.where(np.asarray(unstable, dtype=bool), UNSTABLE_FACTOR, 1.0)


def data_confidence(*, mase, flags, lead_time_source, lead_time_unstable, lead_time_samples=None) -> dict:
    """The data part of confidence and its factors (arrays)."""
    fq = forecast_quality(mase)
    dq = data_quality(flags)
    lq = lead_time_quality(lead_time_source, lead_time_unstable, lead_time_samples)
    return {"forecast": fq, "data_quality": dq, "lead_time": lq, "data": fq * dq * lq}


def confidence(data, acceptance) -> np.ndarray:
    """The blend of data confidence and P(a planner accepts), rounded to 3 places, in [0, 1]."""
    accept = np.clip(
        np.nan_to_num(np.asarray(acceptance, dtype=np.float64), nan=NEUTRAL_ACCEPTANCE), 0.0, 1.0
    )
    data = np.clip(np.nan_to_num(np.asarray(data, dtype=np.float64), nan=0.0), 0.0, 1.0)
    return np.round((1 - ACCEPTANCE_WEIGHT) * data + ACCEPTANCE_WEIGHT * accept, 3)


def supplier_sample_confidence(receipts) -> np.ndarray:
    """Confidence in a supplier-level finding from its recent receipts: n / (n + 10)."""
    n = np.maximum(np.nan_to_num(np.asarray(receipts, dtype=np.float64)), 0.0)
    return np.round(n / (n + 10.0), 3)
