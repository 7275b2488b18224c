from datetime import date

import numpy as np
import pandas as pd
import pytest
from django.core.management import CommandError, call_command
from django.db.models import F, Sum

from replenish import models as m
from replenish.scenario.generate import ScenarioGenerator, ScenarioSpec
from replenish.scenario.load import ScenarioExists, scenario_load

AS_OF = date(2026, 11, 23)
SPEC = ScenarioSpec(skus=600, locations=3, weeks=104, seed=11, as_of=AS_OF)


pytestmark = pytest.mark.slow  # each test builds on a generated scenario (11-15 s)


def _frames(spec: ScenarioSpec) -> dict[str, pd.DataFrame]:
    generator = ScenarioGenerator(spec)
    chunk = next(generator.chunks())
    return {"suppliers": generator.suppliers(), "customers": generator.customers(), **chunk}


def test_same_seed_same_data_and_another_seed_differs():
    # given two generators with the same spec and one with another seed
    first, second = _frames(SPEC), _frames(SPEC)
    other = _frames(ScenarioSpec(skus=600, locations=3, weeks=104, seed=12, as_of=AS_OF))
    # then every table is identical for the same seed
    for name in first:
        pd.testing.assert_frame_equal(first[name], second[name], check_dtype=True)
    # and the demand differs for another seed
    assert not first["demand"]["quantity"].equals(other["demand"]["quantity"])


@pytest.mark.django_db
def test_loaded_scenario_is_deterministic_across_replace():
    scenario_load(SPEC)
    checksum = (
        m.DemandHistory.objects.count(),
        m.DemandHistory.objects.aggregate(s=Sum("quantity"))["s"],
        m.ItemLocation.objects.aggregate(s=Sum("on_hand"))["s"],
        m.PurchaseOrderLine.objects.count(),
    )
    scenario_load(SPEC, replace=True)
    again = (
        m.DemandHistory.objects.count(),
        m.DemandHistory.objects.aggregate(s=Sum("quantity"))["s"],
        m.ItemLocation.objects.aggregate(s=Sum("on_hand"))["s"],
        m.PurchaseOrderLine.objects.count(),
    )
    assert checksum == again
    assert m.ItemLocation.objects.count() == 600 * 3


@pytest.mark.django_db
def test_second_load_without_replace_is_refused_and_changes_nothing():
    scenario_load(SPEC)
    before = m.DemandHistory.objects.count()
    with pytest.raises(ScenarioExists, match="--replace"):
        scenario_load(SPEC)
    assert m.DemandHistory.objects.count() == before


@pytest.fixture
def loaded(db):
    scenario_load(ScenarioSpec(skus=2_000, locations=5, weeks=104, seed=3, as_of=AS_OF))


def _weekly_panel() -> tuple[np.ndarray, np.ndarray]:
    """Dense (SKU-location x week) demand rebuilt from the sparse rows, observed weeks only."""
    ils = pd.DataFrame(m.ItemLocation.objects.values("id", "history_start"))
    rows = pd.DataFrame(m.DemandHistory.objects.values("item_location_id", "period_start", "quantity"))
    first = AS_OF - pd.Timedelta(weeks=104)
    ils = ils[ils.history_start.notna()].reset_index(drop=True)
    index = pd.Series(np.arange(len(ils)), index=ils.id)
    panel = np.zeros((len(ils), 104))
    rows = rows[rows.item_location_id.isin(index.index)]
    weeks = ((pd.to_datetime(rows.period_start) - pd.Timestamp(first)).dt.days // 7).to_numpy()
    panel[index[rows.item_location_id].to_numpy(), weeks] = rows.quantity.to_numpy()
    start_week = ((pd.to_datetime(ils.history_start) - pd.Timestamp(first)).dt.days // 7).to_numpy()
    observed = np.arange(104)[None, :] >= start_week[:, None]
    return panel, observed


def test_generated_statistics_are_realistic(loaded):
    panel, observed = _weekly_panel()
    # Syntetos-Boylan ADI computed independently: observed weeks / non-zero weeks.
    nonzero = ((panel > 0) & observed).sum(axis=1)
    adi = observed.sum(axis=1) / np.maximum(nonzero, 1)
    intermittent_share = np.mean(adi >= 1.32)
    assert 0.6 <= intermittent_share <= 0.93, intermittent_share  # by design ~70% slow items, plus branches
    # A minority of fast movers (average above 10 units a week).
    mean_weekly = panel.sum(axis=1) / np.maximum(observed.sum(axis=1), 1)
    assert 0.03 <= np.mean(mean_weekly > 10) <= 0.15
    # Some SKU-locations are new (no history or a short one).
    assert 0.005 <= m.ItemLocation.objects.filter(history_start__isnull=True).count() / 10_000 <= 0.03
    # Promotions are flagged.
    assert m.DemandHistory.objects.filter(promotion=True).exists()


def test_late_asns_and_tier_mix_and_backlog(loaded):
    # Late ASN: expected arrival after the promised date of the PO line it carries.
    shipped_lines = m.ShipmentLine.objects.filter(shipment__status="in_transit")
    late = shipped_lines.filter(shipment__expected_arrival__gt=F("po_line__promised_date")).count()
    share_late = late / shipped_lines.count()
    assert 0.05 <= share_late <= 0.5, share_late
    tiers = pd.Series(list(m.Customer.objects.values_list("service_tier__code", flat=True))).value_counts(
        normalize=True
    )
    assert abs(tiers["platinum"] - 0.10) < 0.08
    assert abs(tiers["gold"] - 0.25) < 0.12
    assert abs(tiers["standard"] - 0.65) < 0.15
    backlog = m.SalesOrderLine.objects.filter(status="backordered", requested_ship_date__lt=AS_OF).count()
    assert 0.02 <= backlog / m.SalesOrderLine.objects.count() <= 0.12
    assert m.ItemLocation.objects.filter(backordered__gt=0).exists()


def test_static_min_max_are_naive_and_unstable_suppliers_drift(loaded):
    # min/max were set from the first year and never revisited: min <= max everywhere, and for items whose
    # demand changed the ERP's min is off (the dynamic policy has room to win).
    assert not m.ItemLocation.objects.filter(static_max__lt=F("static_min")).exists()
    generator = ScenarioGenerator(ScenarioSpec(skus=2_000, locations=5, weeks=104, seed=3, as_of=AS_OF))
    drifting = np.flatnonzero(generator.truth.supplier_drift > 1.0) + 1
    stable = np.flatnonzero(generator.truth.supplier_drift == 1.0) + 1
    assert len(drifting) >= 1 and len(stable) >= 1
    receipts = pd.DataFrame(m.Receipt.objects.values("supplier_id", "order_date", "received_date"))
    receipts["lead"] = (pd.to_datetime(receipts.received_date) - pd.to_datetime(receipts.order_date)).dt.days
    receipts["recent"] = pd.to_datetime(receipts.received_date) >= pd.Timestamp(AS_OF) - pd.Timedelta(days=91)
    ratio = receipts.groupby(["supplier_id", "recent"]).lead.mean().unstack()
    shift = ratio[True] / ratio[False]
    assert shift.loc[drifting].mean() > shift.loc[stable].mean() + 0.15


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--locations", "0"], "--locations must be between 1"),
        (["--weeks", "-3"], "--weeks must be at least 1"),
        (["--skus", "0"], "--skus must be at least 1"),
        (["--seed", "-1"], "--seed must be a non-negative"),
    ],
)
def test_impossible_arguments_give_a_clear_message(args, message):
    with pytest.raises(CommandError, match=message):
        call_command("generate_scenario", *args)
    assert not m.Item.objects.exists()
