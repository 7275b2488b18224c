"""The demo's ERP: without ERP_BASE_URL, postings are accepted locally (deterministic transaction ids from the
idempotency key, so a re-post is recognised as a duplicate) and pulls return nothing."""

from __future__ import annotations

import hashlib

from .base import ErpAdapter, Page, PostResult
from .registry import register_adapter


@register_adapter("loopback")
def _loopback_adapter() -> ErpAdapter:
    return LoopbackErpAdapter()


class LoopbackErpAdapter(ErpAdapter):
    name = "loopback"

    def describe(self) -> str:
        return "loopback (no ERP configured: postings are accepted locally)"

    def pull(self, entity: str, *, cursor: str | None, limit: int) -> Page:
        return Page(records=[], next_cursor=cursor, has_more=False, raw='{"data": []}')

    def post(self, kind: str, body: dict, *, idempotency_key: str) -> PostResult:
        digest = hashlib.sha256(idempotency_key.encode()).hexdigest()[:12].upper()
        number = f"L{digest[:9]}" if kind == "create_po" else ""
        return PostResult(
            transaction_id=f"LOCAL-{digest}",
            document_number=number,
            body={"transaction_id": f"LOCAL-{digest}"},
        )
