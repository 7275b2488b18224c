"""What a first exceptions refresh writes, captured to compare two versions of the code on the same database.

    DATABASE_URL=postgres://... python bench/refresh_outputs.py --save before.json   # on the old code
    DATABASE_URL=postgres://... python bench/refresh_outputs.py --compare before.json  # on the new code

Resets the exceptions as bench_exceptions_refresh.py does (TRUNCATE; the audit chain keeps its events), runs the
first refresh of the current plan run in this process (the chunks in order; the outbox relay is not kicked, so the
messages stay as written), then records, with every exception id replaced by the task's subject key (ids and
timestamps differ from run to run, nothing else may): every task's columns, every decision, every outbox message of
an exception, and the audit events the refresh appended (kind, action, subject, payload), and checks the audit chain
still verifies. --compare exits 1 and names the first differences when anything differs.
"""

import argparse
import hashlib
import json
import re
import sys
import time

from _django import setup

parser = argparse.ArgumentParser()
group = parser.add_mutually_exclusive_group(required=True)
group.add_argument("--save", help="write the outputs to this file")
group.add_argument("--compare", help="compare the outputs with this file")
args = parser.parse_args()
setup()

from django.db.models import Max  # noqa: E402

import integrations.services  # noqa: E402
from exceptions.models import Decision, PlanningException  # noqa: E402
from exceptions.refresh import exceptions_refresh  # noqa: E402
from integrations.models import OutboxMessage  # noqa: E402
from replenish.core.audit import verify_chain  # noqa: E402
from replenish.core.models import AuditEvent  # noqa: E402
from replenish.models import PlanRun  # noqa: E402


def reset() -> None:
    """As bench_exceptions_refresh.reset: no exception, decision or exception outbox message left."""
    from django.db import connection

    from exceptions.models import RefreshChunk

    with connection.cursor() as cursor:
        cursor.execute(f"TRUNCATE {Decision._meta.db_table}, {PlanningException._meta.db_table}")
    OutboxMessage.objects.filter(subject_type="exception").delete()
    RefreshChunk.objects.filter(status=RefreshChunk.Status.PENDING).update(status=RefreshChunk.Status.SKIPPED)


TASK_SKIP = {"id", "created_at", "updated_at", "decided_at", "closed_at", "run"}


def _keyed(value, keys: dict):
    """Exception ids (fields named exception_id, exception-<id>-kind keys) replaced by subject keys."""
    if isinstance(value, dict):
        return {
            k: (
                keys.get(v, v)
                if k == "exception_id"
                else _outbox_key(v, keys)
                if k == "outbox_key"
                else _keyed(v, keys)
            )
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [_keyed(v, keys) for v in value]
    return value


def _outbox_key(key, keys: dict):
    match = re.fullmatch(r"exception-(\d+)-(.*)", key or "")
    return f"exception-{keys.get(int(match[1]), match[1])}-{match[2]}" if match else key


def capture() -> dict:
    run = PlanRun.objects.filter(is_current=True).get()
    reset()
    integrations.services.kick_relay = lambda *a, **k: None  # the messages stay as the refresh wrote them
    before = AuditEvent.objects.aggregate(m=Max("sequence"))["m"] or 0
    started = time.perf_counter()
    result = exceptions_refresh(run=run)
    seconds = time.perf_counter() - started
    keys = dict(PlanningException.objects.values_list("pk", "subject_key"))
    fields = [f.attname for f in PlanningException._meta.concrete_fields if f.name not in TASK_SKIP]
    tasks = {}
    for row in PlanningException.objects.values(*fields):
        row["parent_id"] = keys.get(row["parent_id"])
        tasks[row["subject_key"]] = _keyed(row, keys)
    decisions = sorted(
        (
            _keyed({**d, "exception_id": keys[d["exception_id"]]}, keys)
            for d in Decision.objects.values(
                "exception_id",
                "recommendation_id",
                "actor_id",
                "action",
                "version",
                "before",
                "after",
                "reason_code",
                "comment",
                "value",
                "confidence",
            )
        ),
        key=lambda d: (d["exception_id"], d["action"]),
    )
    messages = sorted(
        (
            {
                "kind": m["kind"],
                "idempotency_key": _outbox_key(m["idempotency_key"], keys),
                "subject": keys[int(m["subject_id"])],
                "payload": _keyed(m["payload"], keys),
            }
            for m in OutboxMessage.objects.filter(subject_type="exception").values(
                "kind", "idempotency_key", "subject_id", "payload"
            )
        ),
        key=lambda m: m["idempotency_key"],
    )
    events = []
    for e in (
        AuditEvent.objects.filter(sequence__gt=before)
        .order_by("sequence")
        .values("kind", "action", "subject_type", "subject_id", "payload")
    ):
        if e["subject_type"] == "exception":
            e["subject_id"] = keys.get(int(e["subject_id"]), e["subject_id"])
        payload = e["payload"]
        if isinstance(payload.get("exceptions"), list):  # batch events: [exception id, ...] rows
            payload = {
                **payload,
                "exceptions": [[keys.get(r[0], r[0]), *r[1:]] for r in payload["exceptions"]],
            }
        e["payload"] = _keyed(payload, keys)
        events.append(e)
    checked, broken = verify_chain()
    return {
        "seconds": round(seconds, 1),
        "result": {k: v for k, v in vars(result).items() if k not in ("timings", "cpu", "seconds")},
        "chain_verified": broken is None,
        "tasks": [tasks[k] for k in sorted(tasks)],
        "decisions": decisions,
        "outbox": messages,
        "audit": events,
    }


def digest(part) -> str:
    return hashlib.sha256(json.dumps(part, sort_keys=True, default=str).encode()).hexdigest()[:16]


def main() -> int:
    out = json.loads(json.dumps(capture(), default=str))
    summary = {
        name: {"n": len(out[name]), "sha": digest(out[name])}
        for name in ("tasks", "decisions", "outbox", "audit")
    }
    print(json.dumps({"seconds": out["seconds"], "chain_verified": out["chain_verified"], **summary}))
    if args.save:
        with open(args.save, "w") as fh:
            json.dump(out, fh)
        return 0 if out["chain_verified"] else 1
    with open(args.compare) as fh:
        old = json.load(fh)
    differences = 0
    if not out["chain_verified"]:
        print("audit chain does not verify")
        differences += 1
    if out["result"] != old["result"]:
        print("result:", old["result"], "->", out["result"])
        differences += 1
    for name in ("tasks", "decisions", "outbox", "audit"):
        a, b = old[name], out[name]
        if a == b:
            continue
        differences += 1
        print(f"{name}: {len(a)} -> {len(b)} rows differ")
        shown = 0
        for x, y in zip(a, b):
            if x != y and shown < 3:
                shown += 1
                for k in sorted(set(x) | set(y)):
                    if x.get(k) != y.get(k):
                        print(f"  {k}: {json.dumps(x.get(k))[:400]}\n   -> {json.dumps(y.get(k))[:400]}")
                print("  --")
    print("identical" if not differences else f"{differences} part(s) differ")
    return 1 if differences else 0


if __name__ == "__main__":
    sys.exit(main())
