"""Entry points of TMS milestones into the inbox: a signed webhook event (the generic webhook endpoint routes
`"type": "milestone"` here, integrations/webhooks.py) and a CSV file (`import_milestones FILE`, the transport
workspace's upload)."""

from __future__ import annotations

import hashlib

from ..inbox import inbox_ingest
from ..models import InboxMessage


def milestone_file_ingest(*, name: str, data: bytes | str, actor=None) -> tuple[InboxMessage, bool]:
    """One file = one inbox message (idempotent by content: the same file twice is a replay, applied once)."""
    text = data.decode("utf-8-sig", errors="replace") if isinstance(data, bytes) else data
    digest = hashlib.sha256(text.encode()).hexdigest()[:16]
    return inbox_ingest(
        source="file:tms",
        external_id=f"{name[:150]}:{digest}",
        kind="tms.milestones",
        payload=text,
        meta={"filename": name},
        actor=actor,
    )
