"""A crash between the inbox commit and the dispatch of its domain event loses no re-plan.

The DomainEvent is written in the transaction that applies the inbox message (integrations sends inbound_applied
inside it); the task is dispatched on commit. A real process applies an 856 that moves an arrival and is SIGKILLed
right after the commit, before any on-commit callback runs (so before the dispatch). Another process then runs the
sweep Celery beat runs every minute, which finds the event and re-plans the touched SKU-location.

Both processes share a file SQLite database of their own (the test database of the test process is invisible to
them when it lives in memory), migrated by a first process.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.slow

APPLY_AND_DIE = r"""
import os, signal
import django
django.setup()
from django.db.backends.base.base import BaseDatabaseWrapper
from integrations.edi_ingest import edi_ingest
from tests.workflows import factories as wf

net = wf.network(on_hand=5, inbound=20, promised_in=3)
print(net.il.pk, flush=True)
run_hooks = BaseDatabaseWrapper.run_and_clear_commit_hooks

def die_after_commit(self):
    if self.run_on_commit:  # the first commit with work to dispatch: the inbox apply
        os.kill(os.getpid(), signal.SIGKILL)
    run_hooks(self)

BaseDatabaseWrapper.run_and_clear_commit_hooks = die_after_commit
edi_ingest(data=wf.asn_856(net, arrival_in=10), filename="slip.x12")
print("not killed", flush=True)
"""

STATE = r"""
import json
import django
django.setup()
from exceptions.workflows.models import DomainEvent
from integrations.models import InboxMessage
from replenish.models import PlanRun
print(json.dumps({
    "messages": list(InboxMessage.objects.values_list("status", flat=True)),
    "events": list(DomainEvent.objects.values("status", "attempts", "plan_run_id", "item_location_ids")),
    "runs": list(PlanRun.objects.values("pk", "scope", "filters")),
}))
"""

SWEEP = r"""
import json
import django
django.setup()
from exceptions.workflows.services import domain_events_dispatch_pending
print(json.dumps(domain_events_dispatch_pending(older_than_seconds=0)))
"""


def _run(code: str, env: dict, check: bool = True) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=check,
    )


def test_an_event_whose_dispatch_died_with_the_process_is_swept_and_replans(tmp_path):
    env = {
        **{k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "TEST_DATABASE_NAME")},
        "DATABASE_URL": f"sqlite:///{tmp_path / 'crash.sqlite3'}",
        "DJANGO_SETTINGS_MODULE": "replenish.settings",
        "DEBUG": "1",
        "PYTHONPATH": str(ROOT),
    }
    _run(
        "import django; django.setup(); from django.core.management import call_command; "
        "call_command('migrate', verbosity=0)",
        env,
    )

    # when a process applies the slip and is killed between the commit and the dispatch
    died = _run(APPLY_AND_DIE, env, check=False)
    assert died.returncode == -signal.SIGKILL, died.stderr[-2000:]
    assert "not killed" not in died.stdout
    item_location_id = int(died.stdout.split()[0])

    # then the message is applied and its event committed with it, never attempted, and nothing re-planned
    state = json.loads(_run(STATE, env).stdout)
    assert state["messages"] == ["applied"]
    assert state["events"] == [
        {"status": "received", "attempts": 0, "plan_run_id": None, "item_location_ids": [item_location_id]}
    ]
    assert state["runs"] == []

    # when the sweep runs (Celery in-process here: no broker)
    swept = json.loads(_run(SWEEP, env).stdout.strip().splitlines()[-1])

    # then it dispatched that event, which re-planned the touched SKU-location only
    state = json.loads(_run(STATE, env).stdout)
    assert len(swept) == 1
    (event,) = state["events"]
    assert event["status"] == "processed" and event["attempts"] == 1
    (run,) = [r for r in state["runs"] if r["pk"] == event["plan_run_id"]]
    assert run["scope"] == "partial" and run["filters"]["item_location_ids"] == [item_location_id]

    # and a second sweep finds nothing left to dispatch
    assert json.loads(_run(SWEEP, env).stdout.strip().splitlines()[-1]) == []
