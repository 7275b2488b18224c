"""Tuning of the integrations app: each value is a setting read from the environment in settings.py (DISTOPS_*, the
README's configuration table); the reason for each default is given here, where it is used."""

from __future__ import annotations

from django.conf import settings


def _get(name: str):
    return getattr(settings, name)


def erp_url() -> str:
    return _get("DISTOPS_ERP_URL")


def erp_adapter() -> str:
    # The adapter by name (integrations/erp/registry.py); unset: the REST contract when a URL is set, else loopback.
    return _get("DISTOPS_ERP_ADAPTER") or ("rest" if erp_url() else "loopback")


def erp_token() -> str:
    return _get("DISTOPS_ERP_TOKEN")


def erp_timeout() -> float:
    # Seconds per HTTP call: a posting is one small JSON request; a page of 1,000 records answers in well under 10 s.
    return float(_get("DISTOPS_ERP_TIMEOUT"))


def erp_page_size() -> int:
    # Records per pull page: one inbox message per page, ~300 KB of JSON at 1,000 items.
    return int(_get("DISTOPS_ERP_PAGE_SIZE"))


def outbox_max_attempts() -> int:
    # With the backoff below, 8 attempts span about 20 minutes before a message is dead-lettered.
    return int(_get("DISTOPS_OUTBOX_MAX_ATTEMPTS"))


def outbox_backoff_base() -> float:
    return float(_get("DISTOPS_OUTBOX_BACKOFF_BASE_SECONDS"))


def outbox_backoff_cap() -> float:
    # Capped well below the broker's visibility timeout (CELERY_BROKER_TRANSPORT_OPTIONS, 3600 s), so a retry is
    # never mistaken for a lost task and redelivered twice.
    visibility = float(_get("CELERY_BROKER_TRANSPORT_OPTIONS").get("visibility_timeout", 3600))
    return min(float(_get("DISTOPS_OUTBOX_BACKOFF_CAP_SECONDS")), visibility / 4)


def outbox_lease_seconds() -> int:
    # A claim lasts longer than one posting can (timeout x 1 call + bookkeeping); a dead worker's claim expires.
    return int(_get("DISTOPS_OUTBOX_LEASE_SECONDS"))


def outbox_batch() -> int:
    # Messages claimed per relay run: a run finishes in seconds even when each call takes the full timeout.
    return int(_get("DISTOPS_OUTBOX_BATCH"))


def breaker_threshold() -> int:
    # Consecutive failed calls that open the breaker.
    return int(_get("DISTOPS_ERP_BREAKER_THRESHOLD"))


def breaker_cooldown() -> float:
    # Seconds the breaker stays open before one trial call.
    return float(_get("DISTOPS_ERP_BREAKER_COOLDOWN_SECONDS"))


def pull_retries() -> int:
    return int(_get("DISTOPS_ERP_PULL_RETRIES"))


def pull_backoff_base() -> float:
    return float(_get("DISTOPS_ERP_PULL_BACKOFF_BASE_SECONDS"))


def edi_sender() -> tuple[str, str]:
    """Our ISA05/ISA06 for outbound X12."""
    return _get("DISTOPS_EDI_QUALIFIER"), _get("DISTOPS_EDI_SENDER_ID")


TA1_POLICIES = ("requested", "errors", "always", "never")


def edi_ta1() -> str:
    # X12 asks for a TA1 when ISA14 is 1; "errors" also answers every broken interchange envelope (a partner that
    # never asks would otherwise not hear why nothing was applied). An unknown value means the default.
    value = str(_get("DISTOPS_EDI_TA1")).strip().lower()
    return value if value in TA1_POLICIES else "requested"


def max_units() -> int:
    # Quantities above this are absurd for one line, balance or task (whole base units): rejected, not applied.
    return int(_get("DISTOPS_MAX_UNITS"))


def lead_time_outlier_days() -> int:
    # Contracted lead times longer than this (or than 4x the supplier's own) are flagged as outliers.
    return int(_get("DISTOPS_LEAD_TIME_OUTLIER_DAYS"))
