"""A benchmark's local date moved N days on, to measure the first refresh of a day on demand.

The first exceptions refresh of a local day differs from the day's later ones: the order-line ATP sync computes its
promises for a new `today` (timezone.localdate()), so customer-service tasks change. `days_on(n)` moves, in this
process only, Django's clock (timezone.now, and with it localdate) and the exceptions refresh's as-of date (the plan
run's, run_as_of) n days on; production code is untouched. The Celery workers of a benchmark run the same way:

    python bench/_day_offset.py N -m celery -A replenish worker ...

A refresh with --day-offset 1 is the first of that (moved) day; a second one with the same offset is the day's second.
"""

from __future__ import annotations

import runpy
import sys
from datetime import timedelta


def days_on(days: int) -> None:
    """Django's clock and the refreshes' as-of date `days` on, for this process (nothing when days is 0)."""
    if not days:
        return
    from django.utils import timezone

    real_now = timezone.now
    timezone.now = lambda: real_now() + timedelta(days=days)  # localdate() reads timezone.now too

    import exceptions.refresh
    import exceptions.refresh.jobs

    real_as_of = exceptions.refresh.run_as_of

    def run_as_of(run):
        return real_as_of(run) + timedelta(days=days)

    exceptions.refresh.run_as_of = run_as_of  # the snooze wake-up's date (exceptions_refresh*)
    exceptions.refresh.jobs.run_as_of = run_as_of  # the refresh's as-of date (refresh_start)


if __name__ == "__main__":
    # python bench/_day_offset.py N -m module args...: run the module (a Celery worker) with the date moved N days on
    if len(sys.argv) < 4 or sys.argv[2] != "-m":
        sys.exit("usage: python bench/_day_offset.py DAYS -m MODULE [ARGS...]")
    import django

    days, module = int(sys.argv[1]), sys.argv[3]
    sys.argv = [module, *sys.argv[4:]]
    django.setup()
    days_on(days)
    runpy.run_module(module, run_name="__main__", alter_sys=True)
