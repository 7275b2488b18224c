"""Tuning of the integrations app: each value is read from settings (DISTOPS_*) with the default and reason here."""

from __future__ import annotations

from django.conf import settings


def _get(name: str, default):
    return getattr(settings, name, default)


def erp_url() -> str:
    return _get("DISTOPS_ERP_URL", "")


def erp_adapter() -> str:
    # The adapter by name (integrations/erp/registry.py); unset: the REST contract when a URL is set, else loopback.
    return _get("DISTOPS_ERP_ADAPTER", "") or ("rest" if erp_url() else "loopback")


def erp_token() -> str:
    return _get("DISTOPS_ERP_TOKEN", "")


def erp_timeout() -> float:
    # Seconds per HTTP call: a posting is one small JSON request; a page of 1,000 records answers in well under 10 s.
    return float(_get("DISTOPS_ERP_TIMEOUT", 10.0))


def erp_page_size() -> int:
    # Records per pull page: one inbox message per page, ~300 KB of JSON at 1,000 items.
    return int(_get("DISTOPS_ERP_PAGE_SIZE", 1000))


def outbox_max_attempts() -> int:
    # With the backoff below, 8 attempts span about 20 minutes before a message is dead-lettered.
    return int(_get("DISTOPS_OUTBOX_MAX_ATTEMPTS", 8))


def outbox_backoff_base() -> float:
    return float(_get("DISTOPS_OUTBOX_BACKOFF_BASE_SECONDS", 5.0))


def outbox_backoff_cap() -> float:
    # Capped well below the broker's visibility timeout (CELERY_BROKER_TRANSPORT_OPTIONS, 3600 s), so a retry is
    # never mistaken for a lost task and redelivered twice.
    visibility = float(_get("CELERY_BROKER_TRANSPORT_OPTIONS", {}).get("visibility_timeout", 3600))
    return min(float(_get("DISTOPS_OUTBOX_BACKOFF_CAP_SECONDS", 600.0)), visibility / 4)


def outbox_lease_seconds() -> int:
    # A claim lasts longer than one posting can (timeout x 1 call + bookkeeping); a dead worker's claim expires.
    return int(_get("DISTOPS_OUTBOX_LEASE_SECONDS", 120))


def outbox_batch() -> int:
    # Messages claimed per relay run: a run finishes in seconds even when each call takes the full timeout.
    return int(_get("DISTOPS_OUTBOX_BATCH", 20))


def breaker_threshold() -> int:
    # Consecutive failed calls that open the breaker.
    return int(_get("DISTOPS_ERP_BREAKER_THRESHOLD", 5))


def breaker_cooldown() -> float:
    # Seconds the breaker stays open before one trial call.
    return float(_get("DISTOPS_ERP_BREAKER_COOLDOWN_SECONDS", 60.0))


def pull_retries() -> int:
    return int(_get("DISTOPS_ERP_PULL_RETRIES", 3))


def pull_backoff_base() -> float:
    return float(_get("DISTOPS_ERP_PULL_BACKOFF_BASE_SECONDS", 0.5))


def edi_sender() -> tuple[str, str]:
    """Our ISA05/ISA06 for outbound X12."""
    return _get("DISTOPS_EDI_QUALIFIER", "ZZ"), _get("DISTOPS_EDI_SENDER_ID", "DISTOPS")


def max_units() -> int:
    # Quantities above this are absurd for one line, balance or task (whole base units): rejected, not applied.
    return int(_get("DISTOPS_MAX_UNITS", 10_000_000))


def lead_time_outlier_days() -> int:
    # Contracted lead times longer than this (or than 4x the supplier's own) are flagged as outliers.
    return int(_get("DISTOPS_LEAD_TIME_OUTLIER_DAYS", 180))
