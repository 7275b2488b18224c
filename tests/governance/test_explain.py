"""The SKU-location explanation: every policy figure re-derived independently (scipy) from what the plan stored,
and the same content on the page, from `manage.py explain` and from the API."""

from __future__ import annotations

import json
import math
from datetime import date
from io import StringIO

import numpy as np
import pytest
from django.core.management import call_command
from scipy import optimize, stats

from replenish import models as m
from replenish.planning.refresh import plan_refresh
from replenish.scenario.generate import ScenarioSpec
from replenish.scenario.load import scenario_load

AS_OF = date(2026, 11, 23)


@pytest.fixture
def planned(db):
    scenario_load(ScenarioSpec(skus=80, locations=3, weeks=104, seed=5, as_of=AS_OF))
    return plan_refresh(as_of=AS_OF)


# --- independent re-derivation ----------------------------------------------------------------------------------


def _normal_loss(k: float) -> float:
    return stats.norm.pdf(k) - k * stats.norm.sf(k)


def _discrete_loss(dist, s: float, support: np.ndarray, pmf: np.ndarray) -> float:
    """E[(X - s)^+] by summing the pmf over the support (no recursion, no shared code with the engine)."""
    return float(np.sum(np.maximum(support - s, 0) * pmf))


def _protection_mean_from_path(path: list[float], days: float) -> float:
    """Expected demand over `days` days of a weekly forecast path, each week spread evenly over its 7 days."""
    daily = np.repeat(np.asarray(path, dtype=float) / 7.0, 7)
    whole = int(math.floor(days))
    total = daily[:whole].sum() if whole <= len(daily) else daily.sum() + (whole - len(daily)) * daily[-1]
    rate = daily[whole] if whole < len(daily) else daily[-1]
    return float(total + (days - whole) * rate)


def _undershoot(plan: m.SkuPlan, discrete: bool, review_days: float) -> float:
    size_mean = 1.0 if plan.demand_size_mean is None else plan.demand_size_mean
    size_cv2 = 0.0 if plan.demand_size_cv2 is None else plan.demand_size_cv2
    by_size = max((max(size_mean, 1.0) * (1.0 + max(size_cv2, 0.0)) - 1.0) / 2.0, 0.0)
    weekly, weekly_sd = plan.policy_forecast_weekly, plan.policy_forecast_sd_weekly
    if discrete or weekly <= 0:
        return by_size
    by_period = max((weekly_sd**2 / weekly + weekly * max(review_days, 1.0) / 7.0 - 1.0) / 2.0, 0.0)
    return max(by_size, by_period)


def _order_quantity(plan: m.SkuPlan, policy: dict) -> float:
    weekly = plan.policy_forecast_weekly
    if weekly <= 0:
        return 0.0
    cost, holding, ordering = plan.unit_cost, plan.holding_rate, plan.ordering_cost
    if cost and cost > 0 and holding and holding > 0 and ordering is not None and ordering >= 0:
        eoq = math.sqrt(2 * 52 * weekly * ordering / (holding * cost))
        eoq = min(max(eoq, policy["min_cover_weeks"] * weekly), policy["max_cover_weeks"] * weekly)
    else:
        eoq = policy["fallback_cover_weeks"] * weekly
    pack = plan.pack_size if plan.pack_size and plan.pack_size > 0 else 1.0
    wanted = math.ceil(max(eoq, plan.moq or 0.0) / pack - 1e-9) * pack
    if plan.capacity is not None:
        room = math.floor(max(plan.capacity - plan.inventory_position, 0.0) / pack + 1e-9) * pack
        wanted = min(wanted, room)
    return wanted


def _reorder_point(plan: m.SkuPlan, policy: dict, review_days: float) -> tuple[float, float]:
    """(reorder point before any approved floor, mean demand over L + R)."""
    protection = plan.policy_lead_time_days + review_days
    mean = plan.lead_time_demand_mean
    daily_sd = (plan.error_growth or 1.0) * plan.policy_forecast_sd_weekly / math.sqrt(7.0)
    rate = mean / protection if protection > 0 else plan.policy_forecast_weekly / 7.0
    sd = math.sqrt(protection * daily_sd**2 + rate**2 * plan.policy_lead_time_sd_days**2)
    assert plan.lead_time_demand_sd == pytest.approx(sd, rel=1e-4, abs=1e-6)
    discrete = plan.lead_time_demand_distribution != "normal"
    undershoot = _undershoot(plan, discrete, review_days)
    assert plan.undershoot == pytest.approx(undershoot, rel=1e-4, abs=1e-6)
    cover_mean, cover_sd = mean + undershoot, math.sqrt(sd**2 + undershoot**2 / 3.0)
    q = plan.order_quantity + undershoot if plan.order_quantity > 0 else 0.0
    target, exact = plan.policy_target, policy.get("exact_fill_rate", False)
    fill = plan.target_type == "fill_rate" and plan.order_quantity > 0
    if not discrete:
        if not fill:
            k = stats.norm.ppf(target)
        else:
            allowed = q * (1 - target) / cover_sd

            def gap(k: float) -> float:
                extra = _normal_loss(k + q / cover_sd) if exact else 0.0
                return _normal_loss(k) - extra - allowed

            k = (
                optimize.brentq(gap, -6.0, 6.0)
                if gap(-6.0) > 0 > gap(6.0)
                else (-6.0 if gap(-6.0) <= 0 else 6.0)
            )
        k = max(k, policy["min_safety_factor"])
        return cover_mean + k * cover_sd, mean
    variance = cover_sd**2
    if variance > cover_mean > 0:
        p = cover_mean / variance
        dist = stats.nbinom(cover_mean**2 / (variance - cover_mean), p)
        assert plan.lead_time_demand_distribution == "negative_binomial"
    else:
        dist = stats.poisson(cover_mean)
        assert plan.lead_time_demand_distribution == "poisson"
    if not fill:
        return float(dist.ppf(target - 1e-12)), mean
    support = np.arange(0, int(dist.ppf(1 - 1e-13)) + int(q) + 50)
    pmf = dist.pmf(support)
    # the exact condition n(s) - n(s + q) <= q (1 - beta) at the real q (n is piecewise linear between integers),
    # which may allow a negative s when q is large against the lead-time demand

    def short(s: float) -> float:
        loss = _discrete_loss(dist, s, support, pmf)
        return loss - _discrete_loss(dist, s + q, support, pmf) if exact else loss

    for s in range(-int(math.ceil(q)) if exact else 0, len(support)):
        if short(s) <= q * (1 - target) + 1e-9:
            if exact and policy.get("mixed_rounding", False):
                # mixed rounding: s with probability w, s - 1 otherwise, so that the expected units short per
                # cycle are q (1 - beta); the SKU-location's fixed draw frac(id x (sqrt(5) - 1) / 2) picks one
                span = short(s - 1) - short(s)
                weight = min(max((short(s - 1) - q * (1 - target)) / span, 0.0), 1.0) if span > 1e-12 else 1.0
                draw = (plan.item_location_id * (math.sqrt(5.0) - 1.0) / 2.0) % 1.0
                return float(s if draw < weight else s - 1), mean
            return float(s), mean
    raise AssertionError("no reorder point found")


def _kinds(plan: m.SkuPlan) -> set[str]:
    kinds = {plan.lead_time_demand_distribution, plan.target_type}
    kinds |= {flag for flag in plan.flags if flag in ("supplied_from_hub", "pooled_hub")}
    return kinds


def test_policy_figures_are_recomputed_from_the_stored_inputs_with_scipy(planned):
    # given a planned network and the settings the run stored
    options = planned.options
    policy, review_days = options["policy"], options["review_days"]
    plans = [
        p
        for p in m.SkuPlan.objects.filter(run=planned).order_by("pk")
        if "static_min_max_used" not in p.flags
    ]
    rng = np.random.default_rng(3)
    sample = [plans[i] for i in rng.choice(len(plans), 40, replace=False)]
    # every kind of row is in the sample: normal, negative binomial, hubs and pooled branches
    for wanted in ("normal", "negative_binomial", "supplied_from_hub", "pooled_hub"):
        if not any(wanted in _kinds(p) for p in sample):
            sample.append(next(p for p in plans if wanted in _kinds(p)))
    for plan in sample:
        # then the order quantity, reorder point, safety stock and order-up-to level follow from the stored inputs
        assert plan.order_quantity == pytest.approx(_order_quantity(plan, policy), abs=1e-6), plan.pk
        reorder_point, mean = _reorder_point(plan, policy, review_days)
        floor_raise = max((plan.safety_stock_floor or -math.inf) - (reorder_point - mean), 0.0)
        assert plan.reorder_point == pytest.approx(reorder_point + floor_raise, rel=1e-3, abs=1e-3), plan.pk
        assert plan.safety_stock == pytest.approx(reorder_point + floor_raise - mean, rel=1e-3, abs=1e-3)
        assert plan.order_up_to == pytest.approx(plan.reorder_point + plan.order_quantity, abs=1e-6)
        if "supplied_from_hub" not in plan.flags and "pooled_hub" not in plan.flags:
            # an unpooled row's mean demand over L + R is its own forecast path summed over L + R days
            days = plan.policy_lead_time_days + review_days
            assert plan.lead_time_demand_mean == pytest.approx(
                _protection_mean_from_path(plan.backtest["path"], days), rel=1e-3, abs=1e-3
            )
            assert plan.policy_forecast_weekly == pytest.approx(plan.forecast_weekly)
            assert plan.policy_forecast_sd_weekly == pytest.approx(plan.forecast_sd_planning)
        if "supplied_from_hub" in plan.flags:
            # a pooled branch buys in eaches over the transfer lead time, from its hub's location
            assert (plan.moq, plan.pack_size, plan.policy_lead_time_sd_days) == (0.0, 1.0, 0.0)
            assert plan.supply_location_id is not None


def test_the_backtest_keeps_every_candidate_method_and_the_chosen_one_has_the_lowest_rmse(planned):
    methods = planned.options["forecast_methods"]
    checked = 0
    scored_rows = m.SkuPlan.objects.filter(run=planned, mase__isnull=False).exclude(
        method__in=["zero", "none"]
    )
    for plan in scored_rows[:200]:
        rmse = dict(zip(methods, plan.backtest["rmse"], strict=True))
        scored = {name: value for name, value in rmse.items() if value is not None}
        assert plan.method in scored
        assert scored[plan.method] == pytest.approx(min(scored.values()), abs=1e-3)
        assert len(plan.backtest["fit"]) == planned.options["backtest_periods"]
        assert len(plan.backtest["path"]) == planned.options["horizon_weeks"]
        checked += 1
    assert checked > 50


# --- the page, the command and the API show the same content ----------------------------------------------------


def _sample(run) -> m.SkuPlan:
    """A planned, purchased (not pooled) SKU-location with history, an order quantity and open supply if any."""
    plans = (
        m.SkuPlan.objects.filter(run=run, order_quantity__gt=0, mase__isnull=False)
        .select_related("item_location__item", "item_location__location")
        .order_by("pk")
    )
    return next(p for p in plans if not {"supplied_from_hub", "static_min_max_used"} & set(p.flags))


def test_explain_command_json_carries_the_stored_plan_and_the_derivation_agrees_with_it(planned):
    plan = _sample(planned)
    il = plan.item_location
    out = StringIO()
    call_command("explain", il.item.sku, il.location.code, "--json", stdout=out)
    x = json.loads(out.getvalue())
    assert (x["sku"], x["location"]["code"], x["run"]["id"]) == (il.item.sku, il.location.code, planned.pk)
    for name in ("safety_stock", "reorder_point", "order_up_to", "order_quantity", "forecast_sd_planning"):
        assert x["plan"][name] == pytest.approx(getattr(plan, name))
    # the derivation's worked steps end on the stored figures
    steps = {s["key"]: s["value"] for part in ("order_quantity", "reorder_point") for s in x["policy"][part]}
    last_bound = steps.get("after_capacity", steps["after_pack"])
    assert last_bound == pytest.approx(plan.order_quantity)
    assert steps["order_up_to"] == pytest.approx(steps["reorder_point"] + steps["order_quantity"])
    assert x["policy"]["binding_constraint"] in {
        "EOQ",
        "weeks of cover",
        "MOQ",
        "pack size",
        "storage capacity",
    }
    # the chosen method is one of the scored candidates; history covers the weeks since the history start
    chosen = [mth for mth in x["demand"]["methods"] if mth["chosen"]]
    assert [mth["method"] for mth in chosen] == [plan.method]
    total = sum(w["quantity"] for w in x["demand"]["history"])
    stored = sum(m.DemandHistory.objects.filter(item_location=il).values_list("quantity", flat=True))
    assert total <= stored and len(x["demand"]["history"]) <= 104
    # lead times: the receipts' mean as a person would compute it
    receipts = m.Receipt.objects.filter(supplier__code=x["lead_time"]["supplier"]["code"])
    if x["lead_time"]["source"] != "supplier":
        receipts = receipts.filter(item=il.item)
    days = [(r.received_date - r.order_date).days for r in receipts]
    assert x["lead_time"]["receipt_count"] == len(days)
    assert x["lead_time"]["observed_mean"] == pytest.approx(np.mean(days), abs=0.01)


def test_explain_command_text_and_unknown_sku_location(planned):
    plan = _sample(planned)
    il = plan.item_location
    out = StringIO()
    call_command("explain", il.item.sku, il.location.code, stdout=out)
    text = out.getvalue()
    assert f"{il.item.sku} " in text and "Reorder point s" in text and "Order quantity Q" in text
    assert f"{plan.reorder_point:,.2f}" in text
    with pytest.raises(Exception, match="No SKU-location NOPE at"):
        call_command("explain", "NOPE", il.location.code)


def test_api_returns_the_same_explanation_and_is_documented(planned, client):
    from tests.governance import factories as f

    plan = _sample(planned)
    il = plan.item_location
    client.force_login(f.user("manager"))
    response = client.get(f"/api/sku-locations/{il.location.code}/{il.item.sku}/")
    assert response.status_code == 200
    body = response.json()
    assert body["plan"]["reorder_point"] == pytest.approx(plan.reorder_point)
    assert body["policy"]["order_quantity"][-1]["value"] == pytest.approx(plan.order_quantity)
    schema = client.get("/api/schema/?format=json").json()
    assert "/api/sku-locations/{location}/{sku}/" in schema["paths"]
    assert client.get(f"/api/sku-locations/{il.location.code}/NOPE/").status_code == 404


def test_page_shows_every_section_and_only_to_who_may_see_the_sku_location(planned, client):
    from tests.governance import factories as f

    plan = _sample(planned)
    il = plan.item_location
    owner, other = f.user("buyer"), f.user("buyer")
    m.ItemLocation.objects.filter(pk=il.pk).update(buyer=owner)
    url = f"/skus/{il.location.code}/{il.item.sku}/"
    client.force_login(other)
    assert client.get(url).status_code == 404
    client.force_login(owner)
    page = client.get(url).content.decode()
    for section in ('id="demand"', 'id="lead-time"', 'id="policy"', 'id="projection"', 'id="history"'):
        assert section in page
    assert 'id="step-reorder_point"' in page and 'class="chosen"' in page
    assert f"{plan.order_up_to:,.2f}" in page
    # the SKU list links to it, and a search for the SKU at the location opens it
    listing = client.get("/skus/", {"q": il.item.sku}).content.decode()
    assert f'href="{url}"' in listing
    found = client.get("/skus/", {"q": il.item.sku.lower(), "location": il.location.code})
    assert (found.status_code, found["Location"]) == (302, url)


def test_header_search_with_sku_and_location_opens_the_page(planned, client):
    from tests.governance import factories as f

    plan = _sample(planned)
    il = plan.item_location
    client.force_login(f.user("manager"))
    found = client.get("/skus/", {"q": f"{il.item.sku} {il.location.code.lower()}"})
    assert (found.status_code, found["Location"]) == (302, f"/skus/{il.location.code}/{il.item.sku}/")
    # a description word finds the item's SKU-locations, each linking to its page
    word = il.item.description.split()[0]
    listing = client.get("/skus/", {"q": word}).content.decode()
    assert f'href="/skus/{il.location.code}/{il.item.sku}/"' in listing


def test_the_calibrated_planning_target_is_on_the_page_and_in_explain(planned, client):
    # given a calibration stored with the run (the sample's group under-served: factor 0.5) and the next plan run
    from replenish.planning.calibration import _calibration_store
    from tests.governance import factories as f

    group = _sample(planned).calibration_group
    _calibration_store(
        run=planned, learned={"factors": {group: 0.5}, "series": 1, "as_of": AS_OF.isoformat()}
    )
    second = plan_refresh(as_of=AS_OF)
    plan = (
        m.SkuPlan.objects.filter(run=second, calibration_group=group, target_type="fill_rate")
        .select_related("item_location__item", "item_location__location")
        .order_by("pk")
        .first()
    )
    il = plan.item_location
    # then the run plans it for 1 - (1 - target) x 0.5 ...
    expected = 1 - (1 - plan.service_target) * 0.5
    assert plan.calibration_factor == pytest.approx(0.5) and plan.planning_target == pytest.approx(expected)
    # ... and explain (text and JSON) and the SKU-location page show the business and the planning target
    out = StringIO()
    call_command("explain", il.item.sku, il.location.code, "--json", stdout=out)
    steps = {s["key"]: s for s in json.loads(out.getvalue())["policy"]["targets"]}
    assert steps["business_target"]["value"] == pytest.approx(plan.service_target, abs=1e-4)
    assert steps["planning_target"]["value"] == pytest.approx(expected, abs=1e-4)
    assert "x 0.500" in steps["planning_target"]["formula"] and group in steps["planning_target"]["note"]
    out = StringIO()
    call_command("explain", il.item.sku, il.location.code, stdout=out)
    assert "Planning target (calibrated)" in out.getvalue() and f"group {group}" in out.getvalue()
    client.force_login(f.user("manager"))
    page = client.get(f"/skus/{il.location.code}/{il.item.sku}/").content.decode()
    assert 'id="step-planning_target"' in page and f"{100 * expected:.2f}%" in page and "x 0.500" in page


def test_a_groups_fill_target_is_met_at_least_stock_and_explained(planned):
    # the normal fill-rate rows of one own-supplier group: each meets its own share of the group's target ...
    rows = [
        p
        for p in m.SkuPlan.objects.filter(
            run=planned, target_type="fill_rate", lead_time_demand_distribution="normal", order_quantity__gt=0
        )
        .select_related("item_location__item", "item_location__location")
        .order_by("pk")
        if p.calibration_group.endswith("|own") and not set(p.flags) & {"static_min_max_used"}
    ]
    by_group: dict[str, list] = {}
    for p in rows:
        by_group.setdefault(p.calibration_group, []).append(p)
    group, members = max(by_group.items(), key=lambda item: len(item[1]))
    assert len(members) >= 3
    shares = np.array([p.policy_target for p in members])
    assert (
        shares.std() > 1e-3 and (shares >= np.array([p.planning_target for p in members]) - 0.10 - 1e-9).all()
    )
    # ... and the group, weighted by demand, expects its planning target: each row's fill recomputed with scipy
    # from its stored safety factor, order quantity, undershoot and lead-time demand sd
    weight, fill, goal = [], [], []
    for p in members:
        sd = math.sqrt(p.lead_time_demand_sd**2 + p.undershoot**2 / 3)
        q = p.order_quantity + p.undershoot
        fill.append(1 - sd * (_normal_loss(p.safety_factor) - _normal_loss(p.safety_factor + q / sd)) / q)
        weight.append(p.policy_forecast_weekly)
        goal.append(p.planning_target)
    assert np.average(fill, weights=weight) == pytest.approx(np.average(goal, weights=weight), abs=1e-4)
    # explain says which target the reorder point met and why it differs from the planning target
    moved = max(members, key=lambda p: abs(p.policy_target - p.planning_target))
    il = moved.item_location
    out = StringIO()
    call_command("explain", il.item.sku, il.location.code, "--json", stdout=out)
    steps = {s["key"]: s for s in json.loads(out.getvalue())["policy"]["targets"]}
    assert steps["allocated_target"]["value"] == pytest.approx(moved.policy_target, abs=1e-4)
    assert (
        f"group {group}" in steps["allocated_target"]["note"] and "least" in steps["allocated_target"]["note"]
    )


def test_a_partial_re_plan_keeps_the_share_the_full_plan_gave(planned):
    # the full run records its groups' prices of a unit short ...
    groups = planned.allocation_prices["groups"]
    moved = [
        p
        for p in m.SkuPlan.objects.filter(
            run=planned, target_type="fill_rate", lead_time_demand_distribution="normal"
        )
        .select_related("item_location__item")
        .order_by("pk")
        if p.calibration_group in groups and abs(p.policy_target - p.planning_target) > 1e-3
    ]
    assert moved
    before = moved[0]
    # ... and a partial re-plan of one SKU-location (its item's other locations as context) plans at them: the
    # SKU-location keeps its allocated target instead of taking its group's target alone (its reorder point may
    # still move: a few rows have no group of their own to pool the forecast sd with)
    partial = plan_refresh(item_location_ids=[before.item_location_id], as_of=AS_OF)
    assert partial.scope == m.PlanRun.Scope.PARTIAL and partial.allocation_prices["from_run"] == planned.pk
    weighted, weight = groups[before.calibration_group]
    assert partial.allocation_prices["applied"][before.calibration_group] == pytest.approx(weighted / weight)
    after = m.SkuPlan.objects.get(run=planned, item_location_id=before.item_location_id)
    assert after.pk != before.pk  # re-planned and folded into the current run
    assert after.policy_target == pytest.approx(before.policy_target, abs=1e-9)
