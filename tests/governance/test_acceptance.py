"""The acceptance model: trained on decisions, versioned with its validation score, and overrides of a kind lower
the predicted acceptance of that kind after retraining (the feedback loop)."""

from decimal import Decimal

import numpy as np
import pandas as pd
import pytest

from governance.acceptance import acceptance_fit, acceptance_predict, acceptance_training_frame
from governance.models import AcceptanceModel
from governance.policy import acceptance_probability
from governance.services import acceptance_model_train
from replenish.core.models import AuditEvent

from . import factories as f

pytestmark = pytest.mark.django_db

KIND = {"action": "inbound_late", "category": "Pumps", "value": 2000.0, "confidence": 0.7}


def _history(buyers, n_per_cell: int, override_every: int) -> None:
    """Decisions over two types x two categories; every `override_every`-th one is an override."""
    i = 0
    for buyer in buyers:
        for exc_type in ("stockout_risk", "inbound_late"):
            for category in ("Pumps", "Valves"):
                for _ in range(n_per_cell):
                    exc = f.exception(
                        type=exc_type,
                        category=category,
                        value_at_stake=Decimal(500 + 37 * (i % 50)),
                        buyer=buyer,
                    )
                    action = "override" if i % override_every == 0 else "approve"
                    f.decision(
                        exception_=exc,
                        action=action,
                        actor=buyer,
                        reason_code="forecast_too_high" if action == "override" else "",
                    )
                    i += 1


def _p(buyer) -> float:
    return float(acceptance_probability(features=pd.DataFrame([{**KIND, "buyer": buyer.username}]))[0])


def test_training_rows_take_the_first_human_reaction_per_exception():
    buyer, manager = f.user("buyer"), f.user("manager")
    exc = f.exception(buyer=buyer)
    f.decision(exception_=exc, action="override", actor=buyer, version=1)
    f.decision(
        exception_=exc, action="approve", actor=manager, version=2
    )  # the checker approving the override
    auto = f.exception()
    f.decision(exception_=auto, action="auto_execute", actor=None)
    frame = acceptance_training_frame()
    assert len(frame) == 1 and frame.iloc[0]["accepted"] == 0 and frame.iloc[0]["buyer"] == buyer.username


def test_the_confidence_feature_is_the_data_part_at_training_as_at_prediction():
    # the stored confidence (0.7) blends in P(accept); the model's feature is the data part alone (0.42)
    exc = f.exception(explanation={"confidence_parts": {"data": 0.42, "acceptance": 0.5}})
    f.decision(exception_=exc, action="approve", actor=f.user("buyer"))
    old = f.exception()  # an exception stored before the parts existed: its confidence as it was
    f.decision(exception_=old, action="reject", actor=f.user("buyer"))
    frame = acceptance_training_frame().sort_values("accepted")
    assert list(frame["confidence"]) == pytest.approx([0.7, 0.42])


def test_no_model_means_half_and_too_few_decisions_train_nothing():
    assert _p(f.user("buyer")) == 0.5
    assert acceptance_model_train() is None
    assert not AcceptanceModel.objects.exists()


def test_overrides_of_a_kind_lower_its_acceptance_probability_after_retraining():
    # given: two buyers whose recommendations are mostly accepted
    b1, b2 = f.user("buyer"), f.user("buyer")
    _history([b1, b2], n_per_cell=10, override_every=8)
    first = acceptance_model_train()
    assert (first.version, first.n_samples) == (1, 80)
    assert first.validation_auc is not None and 0.0 <= first.validation_auc <= 1.0
    assert first.validation_log_loss is not None and first.validation_log_loss > 0
    before = _p(b1)
    # when: buyer 1 overrides many late-inbound recommendations in Pumps
    for k in range(40):
        exc = f.exception(type="inbound_late", category="Pumps", value_at_stake=Decimal(1500 + k), buyer=b1)
        f.decision(exception_=exc, action="override", actor=b1, reason_code="lead_time_wrong")
    second = acceptance_model_train()
    # then: a new version is recorded and that kind's predicted acceptance has dropped clearly
    assert second.version == 2 and second.n_samples == 120
    after = _p(b1)
    assert after < before - 0.2, (before, after)
    # the other kinds move much less
    other = float(
        acceptance_probability(
            features=pd.DataFrame(
                [{**KIND, "action": "stockout_risk", "category": "Valves", "buyer": b2.username}]
            )
        )[0]
    )
    assert other > after + 0.2
    assert AuditEvent.objects.filter(kind="system", action="acceptance_model_train").count() == 2


def test_fit_reports_auc_on_a_hold_out_that_separates_a_clear_signal():
    rng = np.random.default_rng(0)
    n = 400
    confidence = rng.uniform(0, 1, n)
    accepted = (rng.uniform(0, 1, n) < confidence).astype(int)  # P(accept) = confidence
    frame = pd.DataFrame(
        {
            "action": "purchase_order",
            "value": 100.0,
            "confidence": confidence,
            "category": "X",
            "buyer": "b",
            "accepted": accepted,
        }
    )
    bundle, metrics = acceptance_fit(frame)
    # the best possible AUC here is ~0.83 (P(accept)=confidence); a useful model is well above chance
    assert metrics["auc"] > 0.7
    low, high = acceptance_predict(bundle, pd.DataFrame({"confidence": [0.1, 0.9]}))
    assert low < 0.35 < 0.65 < high


def test_the_buyer_feature_is_the_sku_locations_buyer_at_training_as_at_prediction():
    # prediction (exceptions.refresh.rows) knows the SKU-location's buyer, not who will decide: training uses the
    # same, even when a manager made the decision
    owner, manager = f.user("buyer"), f.user("manager")
    f.decision(exception_=f.exception(buyer=owner), action="reject", actor=manager)
    f.decision(exception_=f.exception(), action="approve", actor=manager)  # no buyer: none, not the manager

    frame = acceptance_training_frame().sort_values("accepted")

    assert frame["buyer"].tolist() == [owner.username, ""]
