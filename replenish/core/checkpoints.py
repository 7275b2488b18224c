"""The audit chain's head, checkpointed outside the database (issue 13 item 3).

Someone able to switch the triggers off could TRUNCATE the audit table and reset the head, or rewrite it: with no
record outside the database, an empty or shorter chain would verify. So, each day (a Celery beat task, and
`verify_audit --checkpoint`), the head (sequence and keyed hash) is appended as one line to a signed, append-only
file in settings.AUDIT_CHECKPOINT_DIR:

    {"n": 3, "day": "2026-12-06", "sequence": 1520, "hash": "...", "written_at": "...", "previous": "<line 2's
     signature>", "signature": "<HMAC-SHA256 over the other fields, keyed with AUDIT_HMAC_KEY>"}

Each line signs the one before it, so a line cannot be edited, removed or reordered without the key. Verification
then holds the database to the file: every checkpointed event still exists with the hash it had, and the chain is
at least as long as the last checkpoint. Keep the directory on another volume or ship the file off the host
(README, Production): a checkpoint is worth what its storage is.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.utils import timezone

from .audit import GENESIS, audit_key
from .models import AuditChainHead, AuditEvent

FILENAME = "audit-checkpoints.jsonl"


@dataclass(frozen=True)
class Checkpoint:
    n: int
    day: str
    sequence: int
    hash: str
    written_at: str
    previous: str
    signature: str

    def fields(self) -> dict:
        return {k: v for k, v in self.__dict__.items() if k != "signature"}


def checkpoint_path() -> Path:
    return Path(settings.AUDIT_CHECKPOINT_DIR) / FILENAME


def _sign(fields: dict) -> str:
    body = json.dumps(fields, sort_keys=True, separators=(",", ":")).encode()
    return hmac.new(audit_key(), body, hashlib.sha256).hexdigest()


def _read(path: Path) -> tuple[list[Checkpoint], str | None]:
    """The file's checkpoints and the first problem with the file itself (a line edited, removed or unreadable)."""
    if not path.exists():
        return [], None
    found: list[Checkpoint] = []
    previous = GENESIS
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        try:
            point = Checkpoint(**json.loads(line))
        except (ValueError, TypeError) as error:
            return found, f"checkpoint file {path}, line {number}: unreadable ({error})"
        if point.n != number or point.previous != previous:
            return found, f"checkpoint file {path}, line {number}: out of order (a line was removed or moved)"
        if not hmac.compare_digest(_sign(point.fields()), point.signature):
            return found, f"checkpoint file {path}, line {number}: its signature does not match (edited)"
        found.append(point)
        previous = point.signature
    return found, None


def audit_checkpoint_write() -> Checkpoint:
    """Append today's head to the checkpoint file (appending only: O_APPEND, flushed to disk before returning)."""
    path = checkpoint_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    points, problem = _read(path)
    if problem:
        raise ValueError(f"not appending to a damaged checkpoint file: {problem}")
    head = AuditChainHead.objects.filter(pk=1).first()
    fields = {
        "n": len(points) + 1,
        "day": timezone.localdate().isoformat(),
        "sequence": head.sequence if head else 0,
        "hash": head.hash if head else GENESIS,
        "written_at": timezone.now().isoformat(),
        "previous": points[-1].signature if points else GENESIS,
    }
    point = Checkpoint(**fields, signature=_sign(fields))
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o640)
    try:
        os.write(fd, (json.dumps(point.__dict__, sort_keys=True) + "\n").encode())
        os.fsync(fd)
    finally:
        os.close(fd)
    return point


@dataclass(frozen=True)
class CheckpointReport:
    checkpoints: int
    last: Checkpoint | None
    problem: str | None


def verify_checkpoints(*, events: int) -> CheckpointReport:
    """Hold the chain (`events` verified links) to the checkpoint file: each checkpointed head must still be in
    the chain with the same hash, and the chain must be at least as long as the latest checkpoint."""
    path = checkpoint_path()
    points, problem = _read(path)
    last = points[-1] if points else None
    if problem:
        return CheckpointReport(len(points), last, problem)
    wanted = {p.sequence for p in points if p.sequence > 0}
    stored = dict(AuditEvent.objects.filter(sequence__in=wanted).values_list("sequence", "hash"))
    for point in points:
        if point.sequence > events:
            return CheckpointReport(
                len(points),
                last,
                f"the checkpoint of {point.day} (line {point.n}) recorded {point.sequence} events, the chain now "
                f"has {events}: events were removed (a truncation or a deletion with the triggers off)",
            )
        if point.sequence and stored.get(point.sequence) != point.hash:
            return CheckpointReport(
                len(points),
                last,
                f"audit event #{point.sequence} differs from the checkpoint of {point.day} (line {point.n}): "
                "the chain was rewritten",
            )
    return CheckpointReport(len(points), last, None)
