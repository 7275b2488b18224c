"""Attention is the scarce resource: the order a person works tasks in, and how a day's work is sized (pure numpy;
no Django). The queue (exceptions.selectors) applies exactly these rules in SQL; the attention simulation calls
them directly.

- Rank: value at stake, largest first; ties by id (the oldest task first).
- Split of one person's open tasks for a day: below the team's value floor -> "low" (Low value tab); of the rest, the
  first `capacity - decided_today` in rank order -> "todo" (To do: today's work); the others -> "later" (Later).
"""

from __future__ import annotations

import numpy as np

TODO, LATER, LOW = "todo", "later", "low"


def rank_order(values, ids) -> np.ndarray:
    """Indices of the tasks in the order a person works them: value descending, then id ascending."""
    values = np.asarray(values, dtype=np.float64)
    ids = np.asarray(ids)
    return np.lexsort((ids, -values))


def day_split(values, ids, floors, *, capacity: int, decided_today: int = 0) -> np.ndarray:
    """ "todo" / "later" / "low" for each task of one person (see module docstring); `floors` per task (its team's)."""
    values = np.asarray(values, dtype=np.float64)
    floors = np.broadcast_to(np.asarray(floors, dtype=np.float64), values.shape)
    out = np.full(values.shape, LOW, dtype=object)
    above = values >= floors
    order = [i for i in rank_order(values, ids) if above[i]]
    room = max(int(capacity) - int(decided_today), 0)
    out[order[:room]] = TODO
    out[order[room:]] = LATER
    return out
