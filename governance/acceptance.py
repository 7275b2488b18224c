"""The acceptance model: P(a planner accepts a recommendation unchanged), learned from past decisions.

Pure part (`acceptance_fit`, `acceptance_predict`) takes and returns DataFrames/arrays; the database part (reading
decisions, storing the fitted model) lives in governance.services. The fitted bundle carries the pipeline plus the
smoothed override rates by buyer, category and action at training time, so overrides of a kind lower the
probability for that kind after the next retraining (the feedback loop), even for a buyer the model has few rows of.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

import joblib
import numpy as np
import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import log_loss, roc_auc_score
from sklearn.model_selection import train_test_split
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from exceptions.models import Decision
from replenish.models import SkuPlan

from .models import AcceptanceModel

CATEGORICAL = ["action", "abc", "xyz", "lead_time_source", "supplier", "category"]
RATE_KEYS = ["buyer", "category", "action"]  # override history features: smoothed override rate of each
NUMERIC = ["log_value", "confidence", *[f"{key}_override_rate" for key in RATE_KEYS]]
DEFAULTS = {
    "action": "",
    "value": 0.0,
    "confidence": 0.5,
    "abc": "",
    "xyz": "",
    "lead_time_source": "",
    "supplier": "",
    "category": "",
    "buyer": "",
}
SMOOTHING = 5.0  # pseudo-decisions at the overall rate: a buyer with 2 decisions is not 0% or 100%
MIN_SAMPLES = 20
ALGORITHM = "LogisticRegression, one-hot categories + scaled numbers"


@dataclass
class AcceptanceBundle:
    pipeline: Pipeline | None
    rates: dict[str, dict[str, float]]
    prior_override_rate: float
    constant: float | None = None  # only one class seen: predict this probability


def _normalise(features: pd.DataFrame) -> pd.DataFrame:
    frame = features.copy()
    for column, default in DEFAULTS.items():
        if column not in frame.columns:
            frame[column] = default
    for column in ["action", "abc", "xyz", "lead_time_source", "supplier", "category", "buyer"]:
        frame[column] = frame[column].fillna("").astype(str)
    frame["value"] = pd.to_numeric(frame["value"], errors="coerce").fillna(0.0).astype(float)
    frame["confidence"] = pd.to_numeric(frame["confidence"], errors="coerce").fillna(0.5).astype(float)
    frame["log_value"] = np.log1p(frame["value"].clip(lower=0))
    return frame


def _override_rates(frame: pd.DataFrame) -> tuple[dict[str, dict[str, float]], float]:
    prior = float(1.0 - frame["accepted"].mean())
    rates: dict[str, dict[str, float]] = {}
    for key in RATE_KEYS:
        grouped = frame.groupby(key)["accepted"].agg(["count", "sum"])
        overrides = grouped["count"] - grouped["sum"]
        smoothed = (overrides + SMOOTHING * prior) / (grouped["count"] + SMOOTHING)
        rates[key] = {str(k): float(v) for k, v in smoothed.items()}
    return rates, prior


def _with_rates(frame: pd.DataFrame, rates: dict[str, dict[str, float]], prior: float) -> pd.DataFrame:
    out = frame.copy()
    for key in RATE_KEYS:
        out[f"{key}_override_rate"] = out[key].map(rates.get(key, {})).fillna(prior).astype(float)
    return out


def _pipeline() -> Pipeline:
    return Pipeline(
        [
            (
                "columns",
                ColumnTransformer(
                    [
                        ("categories", OneHotEncoder(handle_unknown="ignore", min_frequency=3), CATEGORICAL),
                        ("numbers", StandardScaler(), NUMERIC),
                    ]
                ),
            ),
            ("model", LogisticRegression(C=1.0, max_iter=1000)),
        ]
    )


def acceptance_fit(decisions: pd.DataFrame, *, random_state: int = 0) -> tuple[AcceptanceBundle, dict]:
    """Fit on past decisions (feature columns + `accepted` 0/1). Returns the bundle and validation metrics.

    Validation: a stratified 25% hold-out gives AUC and log-loss; the model kept is refitted on all rows.
    """
    if len(decisions) < MIN_SAMPLES:
        raise ValueError(f"needs at least {MIN_SAMPLES} decisions to train, has {len(decisions)}")
    frame = _normalise(decisions)
    frame["accepted"] = frame["accepted"].astype(int)
    rates, prior = _override_rates(frame)
    metrics: dict[str, float | int | None] = {
        "n_samples": len(frame),
        "n_accepted": int(frame["accepted"].sum()),
        "auc": None,
        "log_loss": None,
    }
    if frame["accepted"].nunique() < 2:
        constant = float(frame["accepted"].iloc[0])
        return AcceptanceBundle(None, rates, prior, constant=constant), metrics
    counts = frame["accepted"].value_counts()
    stratify = frame["accepted"] if counts.min() >= 2 else None
    train, test = train_test_split(frame, test_size=0.25, random_state=random_state, stratify=stratify)
    if train["accepted"].nunique() == 2 and test["accepted"].nunique() == 2:
        # rates from the training part only, so the hold-out score is honest
        train_rates, train_prior = _override_rates(train)
        held = _pipeline().fit(_with_rates(train, train_rates, train_prior), train["accepted"])
        proba = held.predict_proba(_with_rates(test, train_rates, train_prior))[:, 1]
        metrics["auc"] = float(roc_auc_score(test["accepted"], proba))
        metrics["log_loss"] = float(log_loss(test["accepted"], proba, labels=[0, 1]))
    pipeline = _pipeline().fit(_with_rates(frame, rates, prior), frame["accepted"])
    return AcceptanceBundle(pipeline, rates, prior), metrics


def acceptance_predict(bundle: AcceptanceBundle, features: pd.DataFrame) -> np.ndarray:
    if len(features) == 0:
        return np.zeros(0)
    if bundle.pipeline is None:
        return np.full(len(features), bundle.constant if bundle.constant is not None else 0.5)
    frame = _with_rates(_normalise(features), bundle.rates, bundle.prior_override_rate)
    return bundle.pipeline.predict_proba(frame)[:, 1]


def bundle_dumps(bundle: AcceptanceBundle) -> bytes:
    buffer = io.BytesIO()
    joblib.dump(bundle, buffer)
    return buffer.getvalue()


def bundle_loads(blob: bytes) -> AcceptanceBundle:
    return joblib.load(io.BytesIO(bytes(blob)))


_CACHE: dict[tuple, AcceptanceBundle] = {}


def current_bundle() -> AcceptanceBundle | None:
    """The newest active model, unpickled once per process per version (one small query per call)."""
    row = (
        AcceptanceModel.objects.filter(active=True)
        .order_by("-version")
        .values_list("pk", "version", "trained_at")
        .first()
    )
    if row is None:
        return None
    pk = row[0]
    if row not in _CACHE:
        blob = AcceptanceModel.objects.values_list("blob", flat=True).get(pk=pk)
        _CACHE.clear()
        _CACHE[row] = bundle_loads(blob)
    return _CACHE[row]


# --- database: training rows from decisions ----------------------------------------------------------------------

LABELS = {"approve": 1, "override": 0, "reject": 0}


def acceptance_training_frame() -> pd.DataFrame:
    """One row per (exception, recommendation): the first human approve/override/reject, with its features.

    Label accepted = 1 when that first reaction was an approval without change. Later decisions on the same
    recommendation (a manager approving an overridden proposal) say nothing about the engine's proposal.
    """
    rows = list(
        Decision.objects.filter(action__in=list(LABELS), actor__isnull=False)
        .order_by("created_at", "pk")
        .values(
            "exception_id",
            "recommendation_id",
            "action",
            "value",
            "confidence",
            "exception__buyer__username",
            "exception__explanation__confidence_parts__data",
            "recommendation__action",
            "exception__type",
            "exception__category",
            "exception__supplier__code",
            "exception__item_location_id",
            "exception__run_id",
            "recommendation__run_id",
        )
    )
    if not rows:
        return pd.DataFrame(columns=[*DEFAULTS, "accepted"])
    frame = pd.DataFrame(rows).drop_duplicates(["exception_id", "recommendation_id"], keep="first")
    frame["run_id"] = frame["recommendation__run_id"].fillna(frame["exception__run_id"])
    keys = frame[["run_id", "exception__item_location_id"]].dropna()
    plans = pd.DataFrame(
        list(
            SkuPlan.objects.filter(
                run_id__in=keys["run_id"].astype(int).unique().tolist(),
                item_location_id__in=keys["exception__item_location_id"].astype(int).unique().tolist(),
            ).values("run_id", "item_location_id", "abc", "xyz", "lead_time_source")
        ),
        columns=["run_id", "item_location_id", "abc", "xyz", "lead_time_source"],
    )
    if len(plans):
        plans["run_id"] = plans["run_id"].astype(float)
        plans["item_location_id"] = plans["item_location_id"].astype(float)
        frame = frame.merge(
            plans,
            how="left",
            left_on=["run_id", "exception__item_location_id"],
            right_on=["run_id", "item_location_id"],
        )
    return pd.DataFrame(
        {
            "action": frame["recommendation__action"].fillna(frame["exception__type"]),
            "value": frame["value"].astype(float),
            # the same feature as at prediction (exceptions.refresh.rows._confidence): the data part of
            # confidence (replenish.engine.confidence), not the blend that already contains P(accept)
            "confidence": pd.to_numeric(
                frame["exception__explanation__confidence_parts__data"], errors="coerce"
            )
            .fillna(frame["confidence"])
            .astype(float),
            "abc": frame.get("abc", pd.Series("", index=frame.index)).fillna(""),
            "xyz": frame.get("xyz", pd.Series("", index=frame.index)).fillna(""),
            "lead_time_source": frame.get("lead_time_source", pd.Series("", index=frame.index)).fillna(""),
            "supplier": frame["exception__supplier__code"].fillna(""),
            "category": frame["exception__category"].fillna(""),
            # the SKU-location's buyer, as at prediction (who will decide is not known then), not the decider
            "buyer": frame["exception__buyer__username"].fillna(""),
            "accepted": frame["action"].map(LABELS).astype(int),
        }
    )
