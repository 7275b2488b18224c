"""Writing the rows: create, update in place, close; audit, automation and outbox for what is new."""

from __future__ import annotations

from datetime import timedelta
from types import SimpleNamespace

import numpy as np
from django.db.models import F

from replenish.core.audit import audit_record
from replenish.core.ports import decision_policy
from replenish.engine.confidence import fault_flags

from ..bulk import insert_exceptions, update_exceptions
from ..models import (
    AWAITING_POSTING,
    REFRESHABLE,
    Decision,
    PlanningException,
    Status,
)
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
    "location_id",
    "buyer_id",
    "category",
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
    "location_id",
    "supplier_id",
    "buyer_id",
    "category",
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
    "owner_team",
    "owner_id",
    "due_by",
    "stockout_date",
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


def _fields(row: dict, ctx: Context, **extra) -> dict:
    """Column values of an exception row (a new one unless `extra` says otherwise)."""
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
        "status": Status.OPEN.value,
        "owner_team": row["owner_team"],
        "owner_id": row["owner_id"],
        "due_by": row["due_by"],
        "stockout_date": row["stockout_date"],
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


def _refreshed(row: dict, current: dict, ctx: Context) -> dict | None:
    """The new column values of a refreshable task that still holds (None: nothing changed).

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
        id=current["id"],
        version=current["version"] + (1 if changed or wake else 0),
        status=status,
        snoozed_until=None if wake else current["snoozed_until"],
        parent_id=current["parent_id"] if status == Status.IN_DRAFT else None,
    )
    if not changed and all(fields[c] == current[c] for c in SAME_IF_EQUAL):
        return None
    return fields


def _apply(rows: list[dict], existing: list[dict], ctx: Context) -> None:
    """Create, update in place, keep, close: the set-based heart of the refresh (inside the chunk's transaction).
    Rows and live tasks are matched by subject_key (one live task per key)."""
    now = ctx.now
    by_key = {e["subject_key"]: e for e in existing}
    seen: set[str] = set()
    creates, updates, keep_ids, close_ids = [], [], [], []
    unchanged = 0
    suppress_before = now - timedelta(days=SUPPRESS_DAYS)
    for row in rows:
        key = row["subject_key"]
        if key in seen:
            continue
        seen.add(key)
        current = by_key.get(key)
        if current is None:
            creates.append(row)
        elif current["status"] in REFRESHABLE:
            fields = _refreshed(row, current, ctx)
            unchanged += fields is None
            updates += [fields] if fields is not None else []
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
    _write(close_ids, keep_ids, updates, ctx)
    ctx.result.created += _create(creates, ctx)
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
    """The decision policy's automation_decide (governance) for each new exception with a proposed action.

    One shortcut, exact by construction: an action with no active automation policy at all cannot be automated
    whatever the other arguments, so its verdict is asked once and shared (automation_decide reads the policies of
    the action on every call; at 900,000 SKU-locations that is hundreds of thousands of identical queries).
    """
    policy = decision_policy()
    with_policy = policy.automated_actions()
    shared: dict[str, object] = {}
    verdicts = []
    for row in rows:
        proposal = row["proposal"]
        action = proposal.get("action")
        if not action or row.get("_no_automation"):
            verdicts.append(None)
            continue
        if action not in with_policy and action in shared:
            verdicts.append(shared[action])
            continue
        reliability = ctx.reliability.get(row["supplier_id"]) if row["supplier_id"] else None
        verdict = policy.automation_decide(
            action=action,
            abc=row["_abc"] or "",
            xyz=row["_xyz"] or "",
            supplier_reliability=float(reliability)
            if reliability is not None and np.isfinite(reliability)
            else 0.0,
            value=row["value_at_stake"],
            confidence=row["confidence"],
            quality_flags=fault_flags(row["_flags"]),
            on=ctx.as_of,
        )
        if action not in with_policy:
            shared[action] = verdict
        verdicts.append(verdict)
    return verdicts


def _create(rows: list[dict], ctx: Context) -> int:
    if not rows:
        return 0
    from integrations.services import outbox_enqueue

    verdicts = _automation(rows, ctx)
    with_rec = sum(1 for r in rows if r["proposal"].get("action"))
    auto_count = sum(1 for v in verdicts if v is not None and v.auto)
    batch_audit = with_rec > audit_each_max() or auto_count > audit_each_max()
    records = []
    for row, verdict in zip(rows, verdicts):
        auto = verdict is not None and verdict.auto
        if verdict is not None:
            row["explanation"]["automation"] = {
                "auto": bool(verdict.auto),
                "policy_id": verdict.policy_id,
                "reason": verdict.reason,
            }
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
    decisions = []
    batch_created: list[list] = []
    batch_auto: list[list] = []
    for pk, record, verdict in zip(ids, records, verdicts):
        proposal = record["proposal"]
        if not proposal.get("action"):
            continue
        value = str(record["value_at_stake"])
        facts = {
            "type": record["type"],
            "item_location_id": record["item_location_id"],
            "recommendation_id": record["recommendation_id"],
            "action": proposal["action"],
            "quantity": proposal.get("quantity"),
            "date": proposal.get("date"),
            "value_at_stake": value,
            "confidence": record["confidence"],
            "run_id": ctx.run.pk,
        }
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
            audit_record(
                kind="recommendation",
                action="create",
                actor=None,
                subject_type="exception",
                subject_id=pk,
                payload=facts,
            )
        if verdict is not None and verdict.auto:
            decisions.append(
                Decision(
                    exception_id=pk,
                    recommendation_id=record["recommendation_id"],
                    actor=None,
                    action=Decision.Action.AUTO_EXECUTE,
                    version=1,
                    before={},
                    after={"proposal": proposal},
                    comment=verdict.reason,
                    value=record["value_at_stake"],
                    confidence=record["confidence"],
                )
            )
            subject = SimpleNamespace(
                pk=pk,
                **{k: record[k] for k in ("type", "item_location_id", "location_id", "recommendation_id")},
            )
            kind = OUTBOX_KINDS.get(proposal["action"], proposal["action"])
            outbox_enqueue(
                kind=kind,
                idempotency_key=idempotency_key(pk, kind),
                payload=outbox_payload(subject, proposal, actor=None, action="auto_execute"),
                subject_type="exception",
                subject_id=pk,
            )
            if batch_audit:
                batch_auto.append([pk, verdict.policy_id, proposal["action"], value])
            else:
                audit_record(
                    kind="auto_execution",
                    action="auto_execute",
                    actor=None,
                    subject_type="exception",
                    subject_id=pk,
                    payload={**facts, "policy_id": verdict.policy_id, "reason": verdict.reason},
                )
    Decision.objects.bulk_create(decisions, batch_size=WRITE_BATCH)
    if batch_created:
        ctx.result.batch_audited += len(batch_created)
        audit_record(
            kind="recommendation",
            action="create_batch",
            actor=None,
            subject_type="plan_run",
            subject_id=ctx.run.pk,
            payload={
                "count": len(batch_created),
                "columns": ["exception_id", "recommendation_id", "action", "quantity", "value", "confidence"],
                "exceptions": batch_created,
            },
        )
    if batch_auto:
        audit_record(
            kind="auto_execution",
            action="auto_execute_batch",
            actor=None,
            subject_type="plan_run",
            subject_id=ctx.run.pk,
            payload={
                "count": len(batch_auto),
                "columns": ["exception_id", "policy_id", "action", "value"],
                "exceptions": batch_auto,
            },
        )
    ctx.result.auto_executed += len(decisions)
    return len(ids)
