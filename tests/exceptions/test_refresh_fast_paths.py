"""The refresh's per-value fast paths (issue 12, item 7: exact types checked first, zero amounts and day names not
rebuilt) give exactly what the general rules they shortcut give: compared here with those rules written out."""

from __future__ import annotations

import gc
import math
from decimal import ROUND_HALF_UP, Decimal

import numpy as np
import pandas as pd
import pytest

from exceptions.detectors.common import _day_text, _fmt
from exceptions.refresh.context import collector_paused
from exceptions.refresh.rows import _clean, _present
from exceptions.scoring import StoredParts
from replenish.engine.value import PARTS, cents_text, compose, money, money_cents, parts_in_cents

VALUES = [
    0.0,
    -0.0,
    1.005,
    2.675,
    -3.125,
    1234567.895,
    1e-9,
    -1e-9,
    float("nan"),
    float("inf"),
    float("-inf"),
    np.float64(0.0),
    np.float64(12.345),
    np.float64("nan"),
    np.float32(1.5),
    np.int64(7),
    0,
    42,
    -1,
    True,
    False,
    np.bool_(True),
    "",
    "PO 7",
    None,
    pd.NaT,
    Decimal("1.10"),
]


def general_clean(value):
    """rows._clean before the fast path (isinstance checks only)."""
    if isinstance(value, dict):
        return {k: general_clean(x) for k, x in value.items()}
    if isinstance(value, list | tuple):
        return [general_clean(x) for x in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not np.isfinite(value):
        return None
    return value


def general_present(value) -> bool:
    if value is None:
        return False
    try:
        return not pd.isna(value)
    except (TypeError, ValueError):
        return True


def general_money(value) -> Decimal:
    number = float(value) if value is not None else 0.0
    if not np.isfinite(number):
        number = 0.0
    return Decimal(repr(number)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP) + 0


def same(a, b) -> bool:
    """Equal, with NaN equal to NaN and the same types (an int is not a float, a bool not an int)."""
    if isinstance(a, dict):
        return isinstance(b, dict) and a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return isinstance(b, list) and len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    if type(a) is not type(b):
        return False
    if isinstance(a, float) and math.isnan(a):
        return math.isnan(b)
    return a is b or a == b


def test_clean_gives_what_the_general_rule_gives_for_every_kind_of_value():
    nested = {"a": VALUES, "b": tuple(VALUES), "c": {"d": VALUES[:9], "e": [{"f": np.float64("inf")}]}}
    for value in [*VALUES, nested, list(VALUES)]:
        assert same(_clean(value), general_clean(value)), value


def test_present_and_money_give_what_the_general_rules_give():
    for value in VALUES:
        assert _present(value) == general_present(value), value
    for value in VALUES:
        if isinstance(value, str) or value is pd.NaT:
            continue
        got, want = money(value), general_money(value)
        assert (got, str(got)) == (want, str(want)), value
    assert str(money(-0.0)) == "0.00" and str(money(0)) == "0.00"


def test_day_names_and_numbers_are_unchanged_by_the_cache():
    as_of = pd.Timestamp("2026-11-30")
    for day in [0, 0.4, 1, 6.9, 7, 30, 365, np.float64(12.0), -3]:
        want = (as_of + pd.Timedelta(days=int(day))).strftime("%a %d %b")
        assert _day_text(day, as_of) == _day_text(day, as_of) == want
    assert _day_text(float("nan"), as_of) == _day_text(None, as_of) == "beyond the horizon"
    assert _day_text(0, pd.Timestamp("2026-12-01")) == "Tue 01 Dec"
    assert [_fmt(x) for x in (1234.5, np.float64(2.5), np.int64(3), float("nan"), None)] == [
        "1,234",
        "2",
        "3",
        "?",
        "?",
    ]


def test_money_of_a_column_is_money_of_each_value():
    # given: compose's own cents, amounts of many decimals, halves of a cent, and what money treats as zero
    rng = np.random.default_rng(12)
    composed = compose(
        lost_margin=rng.gamma(1.0, 500.0, 3_000),
        holding_cost=rng.gamma(1.0, 50.0, 3_000),
        feasibility=rng.uniform(0.0, 1.0, 3_000),
        action_cost=rng.choice([0.0, 25.0, 61.37], 3_000),
    )
    values = [x for name in PARTS for x in composed[name].tolist()]
    values += rng.uniform(-1e6, 1e6, 3_000).tolist() + [v for v in VALUES if isinstance(v, float)]
    values += [0.005, -0.005, 0.015, 1e12 + 0.005, 9e15, 1e20, -1e20]
    # when
    cents = money_cents(values)
    # then: the same Decimal and the same text as money gives each value on its own
    for value, amount in zip(values, cents):
        assert (Decimal(amount).scaleb(-2), cents_text(amount)) == (money(value), str(money(value))), value


def test_stored_parts_of_a_chunk_are_each_rows_parts_in_cents():
    rng = np.random.default_rng(7)
    composed = compose(
        lost_margin=rng.gamma(1.0, 300.0, 500) * (rng.uniform(size=500) < 0.5),
        order_exposure=rng.gamma(1.0, 80.0, 500),
        feasibility=rng.uniform(0.0, 1.0, 500),
        action_cost=rng.gamma(1.0, 40.0, 500),
    )
    stored = StoredParts(composed)
    for i in range(500):
        value, parts = stored(i, facts={"unit_margin": 1.5})
        want = parts_in_cents({name: composed[name][i] for name in PARTS})
        assert (value, str(value)) == (want["value"], str(want["value"]))
        assert {name: parts[name] for name in (*PARTS, "value")} == {k: str(x) for k, x in want.items()}
        assert parts["unit_margin"] == 1.5


def test_the_collector_is_paused_only_while_a_chunk_computes():
    assert gc.isenabled()
    with collector_paused():
        assert not gc.isenabled()
    assert gc.isenabled()
    with pytest.raises(ValueError), collector_paused():
        raise ValueError("a chunk that fails")
    assert gc.isenabled()  # back on after a failure too
    gc.disable()
    try:
        with collector_paused():
            pass
        assert not gc.isenabled()  # left as the caller had it
    finally:
        gc.enable()
