"""Writing the rows: create, update in place, close; audit, automation and outbox for what is new."""

from __future__ import annotations

from datetime import timedelta
from types import SimpleNamespace

import numpy as np
from django.db.models import F
from django.utils import timezone

from integrations.services import outbox_enqueue_many
from replenish.bulk import copy_values
from replenish.core.audit import audit_record
from replenish.core.ports import decision_policy
from replenish.engine.attention import work_by_date
from replenish.engine.confidence import fault_flags

from ..bulk import insert_exceptions, update_exceptions
from ..models import (
    AUTOMATABLE,
    AWAITING_POSTING,
    REFRESHABLE,
    Decision,
    PlanningException,
    Status,
)
from ..scoring import delay_short_units, order_by_days
from .context import audit_each_max
from .outbox import OUTBOX_KINDS, idempotency_key, outbox_payload
from .rows import Context, proposal_key

WRITE_BATCH = 2_000
SUPPRESS_DAYS = 7
EXISTING_FIELDS = [
    "id",
    "subject_key",
    "parent_id",
    "shipment_id",
    "type",
    "item_location_id",
    "supplier_id",
    "status",
    "version",
    "decided_at",
    "maker_id",
    "proposal",
    "recommendation_id",
    "snoozed_until",
    "value_at_stake",
    "confidence",
    "owner_team",
    "owner_id",
    "due_by",
    "stockout_date",
    "work_by",
    "delay_rate",
    "created_at",
    "location_id",
    "buyer_id",
    "category",
    "sku",
]
# An undecided exception whose figures are all unchanged is not rewritten (its explanation would be too).
SAME_IF_EQUAL = [
    "type",
    "parent_id",
    "shipment_id",
    "value_at_stake",
    "confidence",
    "owner_team",
    "owner_id",
    "due_by",
    "stockout_date",
    "work_by",
    "delay_rate",
    "location_id",
    "supplier_id",
    "buyer_id",
    "category",
    "sku",
    "recommendation_id",
    "status",
    "snoozed_until",
    "version",
]


# --- applying to the database -------------------------------------------------------------------------------------

# Columns a refresh rewrites on an undecided exception that still holds.
UPDATE_COLUMNS = [
    "type",
    "parent_id",
    "shipment_id",
    "recommendation_id",
    "run_id",
    "location_id",
    "supplier_id",
    "buyer_id",
    "category",
    "sku",
    "owner_team",
    "owner_id",
    "due_by",
    "stockout_date",
    "work_by",
    "delay_rate",
    "value_at_stake",
    "value_parts",
    "confidence",
    "explanation",
    "proposal",
    "version",
    "status",
    "snoozed_until",
    "updated_at",
]


def _fields(row: dict, ctx: Context, first_day=None, **extra) -> dict:
    """Column values of an exception row (a new one unless `extra` says otherwise; `first_day` the day an existing
    task first appeared, for its work-by day)."""
    order_by = row["_order_by_days"] if "_order_by_days" in row else order_by_days(row["value_parts"])
    fields = {
        "type": str(row["type"]),
        "subject_key": row["subject_key"],
        "parent_id": None,
        "shipment_id": row.get("shipment_id"),
        "item_location_id": row["item_location_id"],
        "recommendation_id": row["recommendation_id"],
        "run_id": ctx.run.pk,
        "location_id": row["location_id"],
        "supplier_id": row["supplier_id"],
        "buyer_id": row["buyer_id"],
        "category": row["category"],
        "sku": row.get("sku") or "",  # a draft PO's or a shipment's header has no SKU-location
        "status": Status.OPEN.value,
        "owner_team": row["owner_team"],
        "owner_id": row["owner_id"],
        "due_by": row["due_by"],
        "stockout_date": row["stockout_date"],
        "work_by": work_by_date(first_day or timezone.localdate(ctx.now), ctx.as_of, order_by),
        "delay_rate": row["_delay_rate"] if "_delay_rate" in row else delay_short_units(row["value_parts"]),
        "value_at_stake": row["value_at_stake"],
        "value_parts": row["value_parts"],
        "confidence": row["confidence"],
        "explanation": row["explanation"],
        "proposal": row["proposal"],
        "version": 1,
        "maker_id": None,
        "required_role": "",
        "snoozed_until": None,
        "outcome": {},
        "creation_audited": True,
        "created_at": ctx.now,
        "updated_at": ctx.now,
        "decided_at": None,
        "closed_at": None,
    }
    fields.update(extra)
    return fields


def existing_rows(qs) -> list[dict]:
    """The live tasks a write compares against, locked (SELECT ... FOR UPDATE) in id order."""
    return list(qs.select_for_update(of=("self",)).order_by("pk").values(*EXISTING_FIELDS))


def _refreshed(row: dict, current: dict, ctx: Context, force: bool = False) -> dict | None:
    """The new column values of a refreshable task that still holds (None: nothing changed, unless `force`).

    A person's proposal (maker set) is kept as they left it; the version increments when the proposal or its type
    changes, or a snooze runs out, so a pending decision on what the person saw is refused as stale."""
    status = current["status"]
    person = current["maker_id"] is not None
    proposal = current["proposal"] if person else row["proposal"]
    recommendation = current["recommendation_id"] if person else row["recommendation_id"]
    changed = (
        proposal_key(proposal) != proposal_key(current["proposal"])
        or recommendation != current["recommendation_id"]
        or str(row["type"]) != current["type"]
    )
    wake = status == Status.SNOOZED and (
        current["snoozed_until"] is None or current["snoozed_until"] <= ctx.as_of
    )
    if wake:
        status = Status.OPEN.value
    if status in (
        Status.OPEN,
        Status.IN_DRAFT,
    ):  # a PO line waits in its draft PO; any other task in the queue
        status = (Status.IN_DRAFT if row.get("_line") and not person else Status.OPEN).value
    fields = _fields(
        {**row, "proposal": proposal, "recommendation_id": recommendation},
        ctx,
        first_day=timezone.localdate(current["created_at"]),
        id=current["id"],
        version=current["version"] + (1 if changed or wake else 0),
        status=status,
        snoozed_until=None if wake else current["snoozed_until"],
        parent_id=current["parent_id"] if status == Status.IN_DRAFT else None,
    )
    if not force and not changed and all(fields[c] == current[c] for c in SAME_IF_EQUAL):
        return None
    return fields


def _untouched(pairs: list[tuple[dict, dict]]) -> list[tuple[dict, dict]]:
    """The (row, live task) pairs the system may still execute: open (or a draft PO's line), never decided by a
    person (no maker, no decision: a snooze that ran out or a reviewed task stays with its person)."""
    open_ = [(r, c) for r, c in pairs if c["status"] in AUTOMATABLE and c["maker_id"] is None]
    ids = [c["id"] for _, c in open_]
    decided: set[int] = set()
    for start in range(0, len(ids), WRITE_BATCH):
        decided.update(
            Decision.objects.filter(exception_id__in=ids[start : start + WRITE_BATCH]).values_list(
                "exception_id", flat=True
            )
        )
    return [(r, c) for r, c in open_ if c["id"] not in decided]


def _apply(rows: list[dict], existing: list[dict], ctx: Context) -> None:
    """Create, update in place, keep, close: the set-based heart of the refresh (inside the chunk's transaction).
    Rows and live tasks are matched by subject_key (one live task per key). An open task no person has touched is
    executed by the system when an automation policy covers it now."""
    now = ctx.now
    by_key = {e["subject_key"]: e for e in existing}
    seen: set[str] = set()
    pairs: list[tuple[dict, dict | None]] = []
    for row in rows:
        if row["subject_key"] not in seen:
            seen.add(row["subject_key"])
            pairs.append((row, by_key.get(row["subject_key"])))
    candidates = _untouched([(r, c) for r, c in pairs if c is not None])
    verdicts = dict(zip((c["id"] for _, c in candidates), _automation([r for r, _ in candidates], ctx)))
    creates, updates, keep_ids, close_ids, executed = [], [], [], [], []
    unchanged = 0
    suppress_before = now - timedelta(days=SUPPRESS_DAYS)
    for row, current in pairs:
        if current is None:
            creates.append(row)
        elif current["status"] in REFRESHABLE:
            verdict = verdicts.get(current["id"])
            auto = verdict is not None and verdict.auto
            fields = _refreshed(row, current, ctx, force=auto)
            unchanged += fields is None
            updates += [fields] if fields is not None else []
            if auto and fields is not None:
                executed.append(
                    (current["id"], {**row, "_before_status": current["status"]}, verdict, fields)
                )
        elif (
            current["status"] in (Status.REJECTED, Status.POSTED)
            and (current["decided_at"] or now) < suppress_before
        ):
            close_ids.append(current["id"])
            creates.append(row)
        else:
            keep_ids.append(current["id"])
    close_ids += [
        c["id"] for key, c in by_key.items() if key not in seen and c["status"] not in AWAITING_POSTING
    ]
    audits: list[dict] = []
    _write(close_ids, keep_ids, updates, ctx)
    _execute_existing(executed, ctx, audits)
    ctx.result.created += _create(creates, ctx, audits)
    # The audit events last: appending takes the chain's head row lock until the transaction commits, so the chunks
    # writing in parallel wait for each other only for these few inserts, not for the bulk writes above.
    for event in audits:
        audit_record(**event)
    ctx.result.updated += len(updates)
    ctx.result.unchanged += unchanged
    ctx.result.kept += len(keep_ids)
    ctx.result.closed += len(close_ids)
    for row in rows:
        kind = str(row["type"])
        ctx.result.by_type[kind] = ctx.result.by_type.get(kind, 0) + 1


def _write(close_ids: list[int], keep_ids: list[int], updates: list[dict], ctx: Context) -> None:
    now = ctx.now
    for start in range(0, len(close_ids), WRITE_BATCH):
        PlanningException.objects.filter(pk__in=close_ids[start : start + WRITE_BATCH]).update(
            status=Status.CLOSED, closed_at=now, version=F("version") + 1, updated_at=now
        )
    for start in range(0, len(keep_ids), WRITE_BATCH):
        PlanningException.objects.filter(pk__in=keep_ids[start : start + WRITE_BATCH]).update(run=ctx.run)
    update_exceptions(updates, UPDATE_COLUMNS)


def _automation(rows: list[dict], ctx: Context) -> list:
    """The decision policy's verdict (governance automation policies) for each row with a proposed action (None
    for a row without one, or assembled from other tasks: a draft PO, a shipment), asked once for all the rows;
    the verdict is also written to the row's explanation (the drawer and the Low value report show why)."""
    cases, where = [], []
    for i, row in enumerate(rows):
        proposal = row["proposal"] or {}
        if not proposal.get("action") or row.get("_no_automation"):
            continue
        reliability = ctx.reliability.get(row["supplier_id"]) if row["supplier_id"] else None
        cases.append(
            {
                "action": proposal["action"],
                "abc": row.get("_abc") or "",
                "xyz": row.get("_xyz") or "",
                "supplier_reliability": float(reliability)
                if reliability is not None and np.isfinite(reliability)
                else 0.0,
                "value": row["value_at_stake"],
                "confidence": row["confidence"],
                "quality_flags": fault_flags(row.get("_flags")),
                "amount": proposal.get("amount"),
            }
        )
        where.append(i)
    verdicts: list = [None] * len(rows)
    found = decision_policy().automation_decide_many(cases=cases, on=ctx.as_of) if cases else []
    for i, verdict in zip(where, found):
        verdicts[i] = verdict
        rows[i]["explanation"]["automation"] = {
            "auto": bool(verdict.auto),
            "policy_id": verdict.policy_id,
            "policy": verdict.policy_name,
            "reason": verdict.reason,
        }
    return verdicts


def _audit_payload(record: dict, ctx: Context, **extra) -> dict:
    """The audit payload of a task this refresh creates or executes: what it is, what it proposes, its value, and
    the run; `extra` adds what an execution records (the policy, the version, the outbox key)."""
    proposal = record["proposal"]
    return {
        "type": record["type"],
        "item_location_id": record["item_location_id"],
        "recommendation_id": record["recommendation_id"],
        "action": proposal["action"],
        "quantity": proposal.get("quantity"),
        "date": proposal.get("date"),
        "value_at_stake": str(record["value_at_stake"]),
        "confidence": record["confidence"],
        "run_id": ctx.run.pk,
        **extra,
    }


def _executions(items: list[tuple], ctx: Context, audits: list[dict]) -> None:
    """Record what the system executed under a policy: per (exception id, its row, the verdict, the version decided
    on), a Decision without a person (the system's), the outbox message that posts it to the ERP, and an audit
    event naming the policy (one batch event when a refresh executes more than audit_each_max()), added to
    `audits` (the caller appends them to the chain)."""
    if not items:
        return

    batch = len(items) > audit_each_max()
    decisions, batch_rows, messages = [], [], []
    for pk, record, verdict, version in items:
        proposal = record["proposal"]
        value = str(record["value_at_stake"])
        decisions.append(
            {
                "exception_id": pk,
                "recommendation_id": record["recommendation_id"],
                "actor_id": None,
                "action": Decision.Action.AUTO_EXECUTE.value,
                "version": version,
                "before": {"status": record.get("_before_status", Status.OPEN.value), "version": version},
                "after": {
                    "proposal": proposal,
                    "status": Status.AUTO_EXECUTED.value,
                    "policy_id": verdict.policy_id,
                    "policy": verdict.policy_name,
                },
                "comment": verdict.reason,
                "value": record["value_at_stake"],
                "confidence": record["confidence"],
            }
        )
        subject = SimpleNamespace(
            pk=pk, **{k: record[k] for k in ("type", "item_location_id", "location_id", "recommendation_id")}
        )
        kind = OUTBOX_KINDS.get(proposal["action"], proposal["action"])
        key = idempotency_key(pk, kind)
        messages.append(
            {
                "kind": kind,
                "idempotency_key": key,
                "payload": outbox_payload(subject, proposal, actor=None, action="auto_execute"),
                "subject_type": "exception",
                "subject_id": pk,
            }
        )
        if batch:
            batch_rows.append([pk, verdict.policy_id, proposal["action"], value])
            continue
        audits.append(
            dict(
                kind="auto_execution",
                action="auto_execute",
                actor=None,
                subject_type="exception",
                subject_id=pk,
                payload=_audit_payload(
                    record,
                    ctx,
                    amount=proposal.get("amount"),
                    version=version,
                    policy_id=verdict.policy_id,
                    policy=verdict.policy_name,
                    reason=verdict.reason,
                    outbox_key=key,
                ),
            )
        )
    copy_values(Decision, decisions)
    outbox_enqueue_many(messages)  # one INSERT per batch and one relay kick for the chunk
    if batch_rows:
        audits.append(
            dict(
                kind="auto_execution",
                action="auto_execute_batch",
                actor=None,
                subject_type="plan_run",
                subject_id=ctx.run.pk,
                payload={
                    "count": len(batch_rows),
                    "columns": ["exception_id", "policy_id", "action", "value"],
                    "exceptions": batch_rows,
                },
            )
        )
    ctx.result.auto_executed += len(items)


def _execute_existing(executed: list[tuple], ctx: Context, audits: list[dict]) -> None:
    """Live tasks the system executes at this refresh (their refreshed columns are written): auto-executed on the
    version just written, off their draft PO (which is assembled again without them)."""
    ids = [pk for pk, *_ in executed]
    for start in range(0, len(ids), WRITE_BATCH):
        PlanningException.objects.filter(pk__in=ids[start : start + WRITE_BATCH]).update(
            status=Status.AUTO_EXECUTED,
            version=F("version") + 1,
            decided_at=ctx.now,
            parent_id=None,
            updated_at=ctx.now,
        )
    _executions([(pk, row, verdict, fields["version"]) for pk, row, verdict, fields in executed], ctx, audits)


def _create(rows: list[dict], ctx: Context, audits: list[dict]) -> int:
    if not rows:
        return 0
    verdicts = _automation(rows, ctx)
    with_rec = sum(1 for r in rows if r["proposal"].get("action"))
    batch_audit = with_rec > audit_each_max()
    records = []
    for row, verdict in zip(rows, verdicts):
        auto = verdict is not None and verdict.auto
        records.append(
            _fields(
                row,
                ctx,
                status=(
                    Status.AUTO_EXECUTED if auto else Status.IN_DRAFT if row.get("_line") else Status.OPEN
                ).value,
                version=2 if auto else 1,
                decided_at=ctx.now if auto else None,
                creation_audited=not (batch_audit and bool(row["proposal"].get("action"))),
            )
        )
    ids = insert_exceptions(records)
    executed = []
    batch_created: list[list] = []
    for pk, record, verdict in zip(ids, records, verdicts):
        proposal = record["proposal"]
        if not proposal.get("action"):
            continue
        value = str(record["value_at_stake"])
        if batch_audit:
            batch_created.append(
                [
                    pk,
                    record["recommendation_id"],
                    proposal["action"],
                    proposal.get("quantity"),
                    value,
                    record["confidence"],
                ]
            )
        else:
            audits.append(
                dict(
                    kind="recommendation",
                    action="create",
                    actor=None,
                    subject_type="exception",
                    subject_id=pk,
                    payload=_audit_payload(record, ctx),
                )
            )
        if verdict is not None and verdict.auto:
            executed.append((pk, record, verdict, 1))
    if batch_created:
        ctx.result.batch_audited += len(batch_created)
        audits.append(
            dict(
                kind="recommendation",
                action="create_batch",
                actor=None,
                subject_type="plan_run",
                subject_id=ctx.run.pk,
                payload={
                    "count": len(batch_created),
                    "columns": [
                        "exception_id",
                        "recommendation_id",
                        "action",
                        "quantity",
                        "value",
                        "confidence",
                    ],
                    "exceptions": batch_created,
                },
            )
        )
    _executions(executed, ctx, audits)
    return len(ids)
