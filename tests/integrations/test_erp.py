"""ERP connector against a real HTTP server (the reference ERP in a thread): incremental pulls, 5xx, timeouts,
the circuit breaker, dead-lettered pages."""

from __future__ import annotations

from decimal import Decimal

import pytest

from integrations.erp.base import CircuitOpen, ErpRejected, ErpUnavailable
from integrations.erp.breaker import breaker_allow, state_get
from integrations.erp.rest import RestErpAdapter
from integrations.erp.sync import backoff_seconds, call_with_retries, erp_pull
from integrations.inbox import inbox_retry
from integrations.models import ConnectorState, InboxMessage
from replenish import models as m
from tests.integrations import factories as ff

pytestmark = pytest.mark.django_db

LOCATIONS = [{"id": "L-1", "code": "DC1", "name": "Central"}, {"id": "L-2", "code": "BR2", "name": "Branch"}]


def items(n: int, cost: str = "2.00") -> list[dict]:
    return [
        {
            "id": f"I-{i}",
            "sku": f"SKU-{i}",
            "description": f"Item {i}",
            "unit_cost": cost,
            "unit_price": "3.00",
        }
        for i in range(1, n + 1)
    ]


def no_sleep(_seconds: float) -> None:
    return None


def test_incremental_pull_by_cursor(erp, settings):
    settings.DISTOPS_ERP_PAGE_SIZE = 2
    erp.seed("locations", LOCATIONS)
    erp.seed("items", items(5))

    first = erp_pull(entities=["locations", "items"], sleep=no_sleep)

    assert first["items"]["pages"] == 3 and first["items"]["records"] == 5
    assert set(m.Item.objects.values_list("sku", "source", "external_id")) == {
        (f"SKU-{i}", "erp", f"I-{i}") for i in range(1, 6)
    }
    cursors = state_get().cursors
    assert cursors["items"] == "7"  # 2 locations then 5 items: the reference ERP's cursor is its sequence

    again = erp_pull(entities=["items"], sleep=no_sleep)
    assert again["items"]["pages"] == 0
    assert InboxMessage.objects.filter(kind="erp.items").count() == 3

    erp.seed(
        "items",
        [
            {
                "id": "I-3",
                "sku": "SKU-3",
                "description": "Item 3 renamed",
                "unit_cost": "2.50",
                "unit_price": "3.00",
            }
        ],
    )
    third = erp_pull(entities=["items"], sleep=no_sleep)

    assert third["items"] == {"pages": 1, "records": 1, "replayed": 0, "rejected": None, "error": None}
    item = m.Item.objects.get(sku="SKU-3")
    assert (item.description, item.unit_cost) == ("Item 3 renamed", Decimal("2.5000"))


def test_5xx_is_retried_with_backoff_then_succeeds(erp):
    erp.seed("locations", LOCATIONS)
    erp.faults(get=[{"status": 503}, {"status": 500}])
    slept: list[float] = []

    report = erp_pull(entities=["locations"], sleep=slept.append)

    assert report["locations"]["records"] == 2 and report["locations"]["error"] is None
    assert len(slept) == 2 and slept[0] <= 0.01 and slept[1] <= 0.02  # base 0.01 s, doubled, with jitter
    assert erp.stats()["gets_received"] == 3  # 2 failures, then the page (has_more false: no further call)
    assert state_get().breaker_state == ConnectorState.Breaker.CLOSED


def test_timeouts_are_retried_and_give_up_with_a_visible_error(erp, settings):
    settings.DISTOPS_ERP_TIMEOUT = 0.3
    settings.DISTOPS_ERP_PULL_RETRIES = 1
    erp.seed("locations", LOCATIONS)
    erp.faults(get=[{"delay": 1.0}, {"delay": 1.0}])

    report = erp_pull(entities=["locations"], sleep=no_sleep)

    assert report["locations"]["error"] == "ERP did not answer within 0.3 s"
    state = state_get()
    assert state.consecutive_failures == 2 and "did not answer" in state.last_error
    assert not m.Location.objects.exists()


def test_breaker_opens_after_the_threshold_and_then_makes_no_calls(erp, settings):
    settings.DISTOPS_ERP_PULL_RETRIES = 5
    erp.faults(get=[{"status": 500}] * 10)

    with pytest.raises(CircuitOpen):
        call_with_retries(
            lambda: RestErpAdapter(erp.url, timeout=1).pull("items", cursor=None, limit=10), sleep=no_sleep
        )

    state = state_get()
    assert state.breaker_state == ConnectorState.Breaker.OPEN and state.consecutive_failures == 3
    calls = erp.stats()["gets_received"]
    report = erp_pull(entities=["items"], sleep=no_sleep)
    assert report["items"]["error"] == "the ERP circuit breaker is open: no call was made"
    assert erp.stats()["gets_received"] == calls


def test_half_open_trial_success_closes_the_breaker(erp, settings):
    settings.DISTOPS_ERP_BREAKER_COOLDOWN_SECONDS = 0
    ConnectorState.objects.create(name="erp", breaker_state="open", consecutive_failures=3)
    erp.seed("locations", LOCATIONS)

    assert breaker_allow()  # the cool-down is over: this caller gets the trial
    assert state_get().breaker_state == "half_open"
    assert not breaker_allow()  # one trial at a time
    report = erp_pull(entities=["locations"], sleep=no_sleep)

    assert report["locations"]["error"] == "the ERP circuit breaker is open: no call was made"
    ConnectorState.objects.filter(name="erp").update(trial_started_at=None, breaker_state="open")
    report = erp_pull(entities=["locations"], sleep=no_sleep)
    assert report["locations"]["records"] == 2
    assert state_get().breaker_state == "closed"


def test_a_bad_page_is_a_dead_letter_and_the_cursor_waits_for_the_fix(erp):
    erp.seed(
        "items",
        [
            *items(2),
            {"id": "I-9", "sku": "SKU-9", "description": "x", "unit_cost": "=1/0", "unit_price": "3"},
        ],
    )

    report = erp_pull(entities=["items"], sleep=no_sleep)

    message = InboxMessage.objects.get(kind="erp.items")
    assert message.status == InboxMessage.Status.REJECTED
    assert "record 3, field unit_cost: holds a formula" in report["items"]["rejected"]
    assert message.errors[0]["row"] == 3 and message.errors[0]["column"] == "unit_cost"
    assert "items" not in state_get().cursors and not m.Item.objects.exists()

    inbox_retry(
        message=message, actor=ff.user("administrator"), payload=message.payload.replace("=1/0", "1.25")
    )

    message.refresh_from_db()
    assert message.status == InboxMessage.Status.APPLIED
    assert m.Item.objects.get(sku="SKU-9").unit_cost == Decimal("1.2500")
    assert state_get().cursors["items"] == "3"


def test_adapter_maps_http_answers_to_retryable_and_permanent_errors(erp):
    adapter = RestErpAdapter(erp.url, timeout=1)
    erp.faults(post=[{"status": 503}, {"status": 429}, {"status": 404}])

    with pytest.raises(ErpUnavailable, match="503"):
        adapter.post("create_po", {"quantity": 1}, idempotency_key="k1")
    with pytest.raises(ErpUnavailable, match="429"):
        adapter.post("create_po", {"quantity": 1}, idempotency_key="k1")
    with pytest.raises(ErpRejected, match="404"):
        adapter.post("create_po", {"quantity": 1}, idempotency_key="k1")
    with pytest.raises(ErpRejected, match="422"):
        adapter.post("create_po", {"lines": []}, idempotency_key="k2")
    with pytest.raises(ErpUnavailable, match="unreachable"):
        RestErpAdapter("http://127.0.0.1:9", timeout=1).post(
            "create_po", {"quantity": 1}, idempotency_key="k3"
        )


def test_duplicate_delivery_returns_the_first_answer_and_changes_nothing(erp):
    adapter = RestErpAdapter(erp.url, timeout=1)

    first = adapter.post("create_po", {"quantity": 5}, idempotency_key="decision-1")
    second = adapter.post("create_po", {"quantity": 5}, idempotency_key="decision-1")

    assert (second.transaction_id, second.duplicate, first.duplicate) == (first.transaction_id, True, False)
    stats = erp.stats()
    assert (stats["posts_received"], stats["distinct_keys"], len(stats["applied"])) == (2, 1, 1)
    with pytest.raises(ErpRejected, match="409"):
        adapter.post("create_po", {"quantity": 6}, idempotency_key="decision-1")


def test_backoff_is_exponential_and_capped():
    import random

    rng = random.Random(1)
    delays = [backoff_seconds(n, base=1.0, cap=10.0, rng=rng) for n in range(6)]
    assert [round(d / (min(10, 2**n)), 3) >= 0.5 for n, d in enumerate(delays)] == [True] * 6
    assert all(d <= min(10.0, 2**n) for n, d in enumerate(delays))
