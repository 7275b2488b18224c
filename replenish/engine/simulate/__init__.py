"""Inventory policy simulator: replay daily demand against a replenishment policy, many series at once.

Answers "on held-out weeks, does dynamic replenishment beat static min-max on fill rate, inventory and
expedites?" Pure numpy/pandas: arrays in, DataFrames and a JSON-serialisable dict out. No Django.

Vectorised across series; the only Python loop is over days. Every policy in `compare_policies` sees the same
demand matrix and the same lead-time draws (common random numbers).

Timing convention for day t (0-based), in this order:
  1. receipts: everything whose available day is <= t goes on hand;
  2. backorders are served first (FIFO), then day t's demand is served from on hand; the unserved part of day t's
     demand is "not filled on time" and is backordered (default) or lost (`lost_sales=True`);
  3. review (days with (t - review_offset) % review_period == 0): inventory position = on hand - backorders +
     on order (DESIGN.md, "inventory position"); optional lateral transfers first, then a supplier order when
     position <= s;
  4. optional expediting, then the exception check; the day's end-of-day on hand is recorded.
An order placed at the end of day t with lead time L days is available from day t + L + 1. So with daily review
the protection interval of a base-stock policy is L + 1 days (lead time plus one review period, the textbook
"L + R"), and an (s, S) policy with constant demand d and constant lead time L never stocks out iff the
position at ordering is >= d * L.

Lead-time draws are shared by order sequence number: the k-th supplier order placed by series i gets
`lead_times[i, k]` (or `sampler(i, k)`) under every policy, whatever day it is placed. Two policies that order at
different times therefore face the same sequence of supplier performance, not the same lead time on the same
calendar day. `lead_time_index="day"` switches to calendar indexing (`lead_times[i, t]` for an order placed on
day t), which keeps a supplier's slow weeks aligned across policies instead. Transfers use a fixed lead time and
consume no draws; initial open orders consume no draws either.

A series may be supplied from a hub (`InventoryPolicy.supply_from`): at step 3 its order is pulled from the hub's
on hand first (most urgent first), then the hubs and the other series place their supplier orders on the position
left. Pulls are counted as transfers (in at the series, out at the hub).

A policy may be revised during the horizon (`InventoryPolicy.revisions`, e.g. the plan re-run every few weeks):
from the start of a revision's first day its levels replace the previous ones.

Limited attention (`SimulationOptions.attention`, module `attention`): each day the policy's proposals become one
valued task per series and each planner executes only the top K in a queue's order; the rest wait.

Modules: `model` (inputs, options, the result), `attention` (tasks, their value, who executes which), `supply` (per-series parameters, revisions, lead-time draws, the
receipt pipeline), `moves` (hub pulls, transfers, expediting, the order log), `run` (the day loop, split by the
steps above), `results` (ratios over any grouping).
"""

from .model import (
    OLDEST,
    ORDERINGS,
    RANDOM,
    RATIO_COLUMNS,
    SUM_COLUMNS,
    UNLIMITED,
    VALUE,
    ArrayLike,
    AttentionOption,
    ExpediteOption,
    FloatArray,
    IntArray,
    InventoryPolicy,
    LeadTimeSampler,
    OpenOrders,
    PolicyRevision,
    Scenario,
    SimulationOptions,
    SimulationResult,
    TransferOption,
)
from .results import aggregate
from .run import compare_policies, simulate
from .supply import seeded_lead_time_sampler, static_min_max

__all__ = [
    "OLDEST",
    "ORDERINGS",
    "RANDOM",
    "RATIO_COLUMNS",
    "UNLIMITED",
    "VALUE",
    "AttentionOption",
    "SUM_COLUMNS",
    "ArrayLike",
    "ExpediteOption",
    "FloatArray",
    "IntArray",
    "InventoryPolicy",
    "LeadTimeSampler",
    "OpenOrders",
    "PolicyRevision",
    "Scenario",
    "SimulationOptions",
    "SimulationResult",
    "TransferOption",
    "aggregate",
    "compare_policies",
    "seeded_lead_time_sampler",
    "simulate",
    "static_min_max",
]
