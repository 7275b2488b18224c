"""A circuit breaker kept in the database, so every worker process sees the same state.

closed --(threshold consecutive failures)--> open --(cool-down over: one caller gets the trial)--> half-open
half-open --(trial succeeds)--> closed;  half-open --(trial fails)--> open again.

While open, callers do not call the ERP at all (`CircuitOpen`); the outbox keeps its messages pending and the
screen shows the breaker, so an ERP outage is a visible state, not a storm of retries.
"""

from __future__ import annotations

from datetime import timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone

from replenish.core.audit import audit_record

from .. import conf
from ..models import ConnectorState

Breaker = ConnectorState.Breaker


def state_get(name: str = "erp") -> ConnectorState:
    state = ConnectorState.objects.filter(name=name).first()
    if state is None:
        try:
            with transaction.atomic():
                state = ConnectorState.objects.create(name=name)
        except IntegrityError:
            state = ConnectorState.objects.get(name=name)
    return state


def _locked(name: str) -> ConnectorState:
    state_get(name)
    return ConnectorState.objects.select_for_update().get(name=name)


def reopens_at(state: ConnectorState):
    if state.breaker_state != Breaker.OPEN or state.opened_at is None:
        return None
    return state.opened_at + timedelta(seconds=conf.breaker_cooldown())


def breaker_allow(name: str = "erp") -> bool:
    """May a call go out now? Moves open -> half-open after the cool-down and hands out the one trial."""
    now = timezone.now()
    state = state_get(name)
    if state.breaker_state == Breaker.CLOSED:
        return True
    with transaction.atomic():
        state = _locked(name)
        if state.breaker_state == Breaker.CLOSED:
            return True
        cooldown = timedelta(seconds=conf.breaker_cooldown())
        if state.breaker_state == Breaker.OPEN:
            if state.opened_at is not None and now < state.opened_at + cooldown:
                return False
            state.breaker_state, state.trial_started_at = Breaker.HALF_OPEN, now
            state.save(update_fields=["breaker_state", "trial_started_at", "updated_at"])
            return True
        # half-open: one trial at a time; a trial that never reported back (its worker died) expires
        if state.trial_started_at is not None and now < state.trial_started_at + timedelta(
            seconds=max(conf.erp_timeout() * 3, 30)
        ):
            return False
        state.trial_started_at = now
        state.save(update_fields=["trial_started_at", "updated_at"])
        return True


def breaker_record_success(name: str = "erp") -> None:
    state = state_get(name)
    if state.breaker_state == Breaker.CLOSED and state.consecutive_failures == 0:
        ConnectorState.objects.filter(pk=state.pk).update(last_success_at=timezone.now())
        return
    with transaction.atomic():
        state = _locked(name)
        was = state.breaker_state
        state.breaker_state, state.consecutive_failures = Breaker.CLOSED, 0
        state.opened_at = state.trial_started_at = None
        state.last_success_at = timezone.now()
        state.save(
            update_fields=[
                "breaker_state",
                "consecutive_failures",
                "opened_at",
                "trial_started_at",
                "last_success_at",
                "updated_at",
            ]
        )
        if was != Breaker.CLOSED:
            audit_record(
                kind="system",
                action="erp_breaker_closed",
                actor=None,
                subject_type="connector",
                subject_id=name,
                payload={"previous": was},
            )


def breaker_record_failure(error: str, name: str = "erp") -> ConnectorState:
    with transaction.atomic():
        state = _locked(name)
        now = timezone.now()
        state.consecutive_failures += 1
        state.last_error, state.last_failure_at = error[:2000], now
        opens = state.breaker_state == Breaker.HALF_OPEN or (
            state.breaker_state == Breaker.CLOSED and state.consecutive_failures >= conf.breaker_threshold()
        )
        if opens:
            state.breaker_state, state.opened_at, state.trial_started_at = Breaker.OPEN, now, None
        state.save(
            update_fields=[
                "consecutive_failures",
                "last_error",
                "last_failure_at",
                "breaker_state",
                "opened_at",
                "trial_started_at",
                "updated_at",
            ]
        )
        if opens:
            audit_record(
                kind="system",
                action="erp_breaker_opened",
                actor=None,
                subject_type="connector",
                subject_id=name,
                payload={"failures": state.consecutive_failures, "error": error[:500]},
            )
        return state


@transaction.atomic
def breaker_reset(*, actor, name: str = "erp") -> ConnectorState:
    """An administrator closes the breaker by hand (e.g. after the ERP team says it is back)."""
    state = _locked(name)
    previous = state.breaker_state
    state.breaker_state, state.consecutive_failures = Breaker.CLOSED, 0
    state.opened_at = state.trial_started_at = None
    state.save(
        update_fields=["breaker_state", "consecutive_failures", "opened_at", "trial_started_at", "updated_at"]
    )
    audit_record(
        kind="system",
        action="erp_breaker_reset",
        actor=actor,
        subject_type="connector",
        subject_id=name,
        payload={"previous": previous},
    )
    return state
