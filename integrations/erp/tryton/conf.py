"""Settings of the Tryton adapter (DISTOPS_TRYTON_*, from env TRYTON_* in replenish/settings.py), with defaults."""

from __future__ import annotations

from django.conf import settings


def _get(name: str, default):
    return getattr(settings, name, default)


def url() -> str:
    # http://host:port/<database>/ ; the JSON-RPC path rpc/ is added by the client
    return _get("DISTOPS_TRYTON_URL", "")


def user() -> str:
    return _get("DISTOPS_TRYTON_USER", "admin")


def password() -> str:
    return _get("DISTOPS_TRYTON_PASSWORD", "")


def po_state() -> str:
    # The state a new purchase is left in: "draft" (a buyer in Tryton reviews it) or "quotation" (numbered, sent).
    state = _get("DISTOPS_TRYTON_PO_STATE", "quotation")
    if state not in ("draft", "quotation"):
        raise ValueError(f"DISTOPS_TRYTON_PO_STATE must be draft or quotation, not '{state}'")
    return state


def pull_overlap_seconds() -> int:
    # A pull starts again this far before the previous one began: a Tryton transaction stamps its writes with its
    # start time, so one that committed after the previous pull read would otherwise be missed. Re-read records
    # are applied again without effect (the same page is a replay in the inbox).
    return int(_get("DISTOPS_TRYTON_PULL_OVERLAP_SECONDS", 60))


def service_tier() -> str:
    # Tryton has no service tiers: pulled customers get this DistOps tier (created if missing).
    return _get("DISTOPS_TRYTON_SERVICE_TIER", "STD")
