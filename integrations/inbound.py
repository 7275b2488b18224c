"""The shared inbound types and the handler registry: what every inbound handler and the inbox share.

A leaf: it imports nothing else of integrations, so a handler module can import it without pulling in the inbox,
and the inbox can look a handler up without importing the handler modules. Handlers register themselves with
`@register(kind)` when their module is imported; IntegrationsConfig.ready() imports them all.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any


@dataclass
class IssueSpec:
    """A data-quality issue to open along with a rejection or an application (see integrations.quality)."""

    code: str
    message: str
    fingerprint: str
    item_id: int | None = None
    location_id: int | None = None
    supplier_id: int | None = None
    item_location_id: int | None = None
    details: dict = field(default_factory=dict)


class Rejected(Exception):  # noqa: N818 - a verdict, not a crash
    """Bad input: nothing of the message is applied; it becomes a dead letter with this reason."""

    def __init__(self, reason: str, errors: list[dict] | None = None, issues: list[IssueSpec] | None = None):
        super().__init__(reason)
        self.reason = reason
        self.errors = errors or []
        self.issues = issues or []


class NotRetryable(Exception):  # noqa: N818
    pass


@dataclass
class Outcome:
    status: str = (
        "applied"  # InboxMessage.Status.APPLIED (a test holds them equal; this module imports no model)
    )
    summary: dict = field(default_factory=dict)
    reason: str = ""
    errors: list[dict] = field(default_factory=list)
    item_location_ids: set[int] = field(default_factory=set)
    wms_location_days: set[tuple[int, str]] = field(default_factory=set)  # WMS tasks / labor capacity applied
    issues: list[IssueSpec] = field(default_factory=list)


Handler = Callable[[Any, object], Outcome]  # (InboxMessage, context) -> Outcome
_HANDLERS: dict[str, Handler] = {}


def register(*kinds: str) -> Callable[[Handler], Handler]:
    """Register a handler for message kinds; a kind ending in '.' is a prefix ('file.' handles 'file.items')."""

    def wrap(fn: Handler) -> Handler:
        for kind in kinds:
            _HANDLERS[kind] = fn
        return fn

    return wrap


def handler_for(kind: str) -> Handler:
    if kind in _HANDLERS:
        return _HANDLERS[kind]
    prefix = kind.split(".", 1)[0] + "."
    if prefix in _HANDLERS:
        return _HANDLERS[prefix]
    raise KeyError(f"no handler for inbound messages of kind '{kind}'")
