"""Decision services: approve / override / reject / snooze / request approval, with their guards."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from exceptions.errors import InvalidInput, NotAllowed, StaleVersion
from exceptions.models import Decision, PlanningException, Status
from exceptions.services import (
    exception_approve,
    exception_mark_posted,
    exception_override,
    exception_reject,
    exception_request_approval,
    exception_snooze,
    exceptions_bulk_approve,
)
from integrations.models import OutboxMessage
from replenish.core.models import AuditEvent
from tests.exceptions import factories as xf

pytestmark = pytest.mark.django_db


@pytest.fixture
def exc(users):
    il = xf.network(buyer=users["buyer1"])[0]
    return xf.exception(item_location=il)


def test_approve_writes_decision_audit_and_outbox_in_one_go(exc, users):
    done = exception_approve(exception=exc, actor=users["buyer1"], version=1)
    assert done.status == Status.APPROVED and done.version == 2
    decision = Decision.objects.get(exception=exc)
    assert (decision.action, decision.version, decision.actor) == ("approve", 1, users["buyer1"])
    event = AuditEvent.objects.get(kind="decision", subject_id=str(exc.pk))
    assert event.action == "approve" and event.actor == users["buyer1"]
    message = OutboxMessage.objects.get(subject_type="exception", subject_id=str(exc.pk))
    assert message.idempotency_key == f"exception-{exc.pk}-create_po"  # one key per exception action
    assert event.payload["outbox_key"] == message.idempotency_key
    assert message.payload["quantity"] == 240 and message.payload["decided_by"] == "buyer1"


def test_a_double_submit_is_applied_once(exc, users):
    first = exception_approve(exception=exc, actor=users["buyer1"], version=1)
    again = exception_approve(exception=exc, actor=users["buyer1"], version=1)
    assert again.pk == first.pk and again.version == 2
    assert Decision.objects.filter(exception=exc).count() == 1
    assert OutboxMessage.objects.filter(subject_id=str(exc.pk)).count() == 1


def test_someone_elses_earlier_decision_is_a_stale_version_with_the_fresh_row(exc, users):
    exception_approve(exception=exc, actor=users["manager1"], version=1)
    with pytest.raises(StaleVersion) as caught:
        exception_reject(exception=exc, actor=users["buyer1"], version=1, reason_code="other")
    assert "Maria Manager already decided this (approve) at " in str(caught.value)
    assert caught.value.current.status == Status.APPROVED and caught.value.current.version == 2


@pytest.mark.parametrize(
    "quantity, field, words",
    [
        ("-5", "quantity", "cannot be negative"),
        ("twelve", "quantity", "whole number"),
        ("12.5", "quantity", "whole number"),
        ("", "quantity", "required"),
    ],
)
def test_override_refuses_a_bad_quantity_naming_the_field(exc, users, quantity, field, words):
    with pytest.raises(InvalidInput) as caught:
        exception_override(
            exception=exc,
            actor=users["buyer1"],
            version=1,
            quantity=quantity,
            date=timezone.localdate().isoformat(),
            reason_code="promotion",
            comment="Promo next week",
        )
    assert field in caught.value.errors and words in caught.value.errors[field]
    exc.refresh_from_db()
    assert exc.status == Status.OPEN and exc.version == 1 and not Decision.objects.exists()


def test_override_needs_a_reason_code_and_a_comment_and_a_valid_date(exc, users):
    with pytest.raises(InvalidInput) as caught:
        exception_override(
            exception=exc,
            actor=users["buyer1"],
            version=1,
            quantity="300",
            date="",
            reason_code="",
            comment="",
        )
    assert set(caught.value.errors) == {"reason_code", "comment"}
    with pytest.raises(InvalidInput) as caught:
        exception_override(
            exception=exc,
            actor=users["buyer1"],
            version=1,
            quantity="300",
            date="31/12/2026",
            reason_code="promotion",
            comment="Promo",
        )
    assert "date" in caught.value.errors
    with pytest.raises(InvalidInput) as caught:
        exception_override(
            exception=exc,
            actor=users["buyer1"],
            version=1,
            quantity="300",
            date="2026-01-01",
            reason_code="not-a-code",
            comment="Promo",
        )
    assert set(caught.value.errors) <= {"date", "reason_code"}


def test_override_changes_the_proposal_and_posts_the_new_values(exc, users):
    day = timezone.localdate() + timedelta(days=3)
    done = exception_override(
        exception=exc,
        actor=users["buyer1"],
        version=1,
        quantity="480",
        date=day.isoformat(),
        reason_code="promotion",
        comment="Promo in two weeks",
    )
    assert done.status == Status.OVERRIDDEN and done.maker == users["buyer1"]
    assert done.proposal["quantity"] == 480 and done.proposal["date"] == day.isoformat()
    # what the decided PO spends, recomputed from the overridden quantity: 480 x 10.00 (the item's cost)
    assert done.proposal["amount"] == "4800.00"
    decision = Decision.objects.get(exception=exc)
    assert decision.before["proposal"]["quantity"] == 240 and decision.after["proposal"]["quantity"] == 480
    assert decision.reason_code == "promotion" and decision.comment == "Promo in two weeks"
    message = OutboxMessage.objects.get(subject_id=str(exc.pk))
    assert message.payload["quantity"] == 480 and message.idempotency_key == f"exception-{exc.pk}-create_po"


def big_po(users, **proposal):
    """A PO of 200 x 44.61 = 8,922.00 (above the buyer's 5,000 band) whose value at stake is only 637.00."""
    il = xf.network(buyer=users["buyer1"])[0]
    exc = xf.exception(item_location=il, value_at_stake=Decimal("637.00"))
    exc.proposal = {
        **exc.proposal,
        "quantity": 200,
        "unit_cost": "44.6100",
        "proposed_quantity": 200,
        **proposal,
    }
    exc.save(update_fields=["proposal"])
    return exc


def test_a_buyer_above_their_tier_is_refused_audited_and_may_request_approval(users):
    big = big_po(users)
    with pytest.raises(NotAllowed, match=r"amount 8,922.00.*above your approval limit, send it for approval"):
        exception_approve(exception=big, actor=users["buyer1"], version=1)
    refused = AuditEvent.objects.get(kind="refused")
    assert refused.subject_id == str(big.pk) and refused.actor == users["buyer1"]
    assert refused.payload["amount"] == "8922.00" and refused.payload["required_role"] == "manager"
    big.refresh_from_db()
    assert big.status == Status.OPEN and big.version == 1
    waiting = exception_request_approval(exception=big, actor=users["buyer1"], version=1)
    assert waiting.status == Status.AWAITING_APPROVAL and waiting.required_role == "manager"
    assert waiting.maker == users["buyer1"]
    approved = exception_approve(exception=big, actor=users["manager1"], version=2)
    assert approved.status == Status.APPROVED


def test_maker_checker_the_maker_cannot_approve_their_own_request(users):
    big = big_po(users)
    exception_request_approval(
        exception=big,
        actor=users["manager1"],
        version=1,
        quantity="500",
        date=timezone.localdate().isoformat(),
        reason_code="promotion",
        comment="Promo",
    )
    with pytest.raises(NotAllowed, match="maker-checker"):
        exception_approve(exception=big, actor=users["manager1"], version=2)
    assert exception_approve(exception=big, actor=users["manager2"], version=2).status == Status.APPROVED


def test_auditors_read_but_never_decide_and_others_exceptions_are_refused(exc, users):
    with pytest.raises(NotAllowed, match="read exceptions but not decide"):
        exception_approve(exception=exc, actor=users["auditor1"], version=1)
    with pytest.raises(NotAllowed, match="another team"):
        exception_approve(exception=exc, actor=users["buyer2"], version=1)
    assert AuditEvent.objects.filter(kind="refused").count() == 2


def test_reject_needs_a_reason_and_snooze_a_future_date(exc, users):
    with pytest.raises(InvalidInput) as caught:
        exception_reject(exception=exc, actor=users["buyer1"], version=1, reason_code="")
    assert "reason_code" in caught.value.errors
    with pytest.raises(InvalidInput) as caught:
        exception_snooze(
            exception=exc, actor=users["buyer1"], version=1, until=timezone.localdate().isoformat()
        )
    assert "until" in caught.value.errors
    until = timezone.localdate() + timedelta(days=5)
    snoozed = exception_snooze(exception=exc, actor=users["buyer1"], version=1, until=until)
    assert snoozed.status == Status.SNOOZED and snoozed.snoozed_until == until
    rejected = exception_reject(
        exception=exc, actor=users["buyer1"], version=2, reason_code="already_handled"
    )
    assert rejected.status == Status.REJECTED
    assert not OutboxMessage.objects.exists()


def test_bulk_approve_reports_each_row(users):
    ils = xf.network(buyer=users["buyer1"], n=3)
    rows = [xf.exception(item_location=il) for il in ils]
    exception_approve(exception=rows[2], actor=users["manager1"], version=1)
    results = exceptions_bulk_approve(
        actor=users["buyer1"], items=[(rows[0].pk, 1), (rows[1].pk, 1), (rows[2].pk, 1), (999999, 1)]
    )
    assert [r[0].status if r[0] else None for r in results] == ["approved", "approved", "approved", None]
    assert [bool(r[1]) for r in results] == [False, False, True, True]
    assert "already decided" in results[2][1] and "not in your queue" in results[3][1]


def test_mark_posted_success_and_failure(exc, users):
    exception_approve(exception=exc, actor=users["buyer1"], version=1)
    failed = exception_mark_posted(exception_id=exc.pk, outcome={"error": "PO locked in ERP"}, ok=False)
    assert failed.status == Status.IN_REVIEW and failed.outcome["ok"] is False
    # back in review: it can be decided again, under the same outbox key (one per exception action, issue 13)
    OutboxMessage.objects.filter(subject_id=str(exc.pk)).update(status=OutboxMessage.Status.DEAD)
    exception_approve(exception=exc, actor=users["buyer1"], version=failed.version)
    posted = exception_mark_posted(exception_id=exc.pk, outcome={"erp_id": "X1"})
    assert posted.status == Status.POSTED
    message = OutboxMessage.objects.get(subject_id=str(exc.pk))
    assert message.status == OutboxMessage.Status.PENDING and message.idempotency_key.endswith("-create_po")
    assert PlanningException.objects.get(pk=exc.pk).outcome["erp_id"] == "X1"


def test_the_tier_cannot_be_bypassed_by_an_override_and_the_refusal_is_audited(users):
    # given: a 240-unit PO at 10.00 (2,400: within the buyer's limit)
    il = xf.network(buyer=users["buyer1"])[0]
    exc = xf.exception(item_location=il)
    exc.proposal = {**exc.proposal, "proposed_quantity": 240}
    exc.save(update_fields=["proposal"])
    day = (timezone.localdate() + timedelta(days=3)).isoformat()
    # when: the buyer overrides it to 10,000,000 units (100 million)
    with pytest.raises(NotAllowed, match="above your approval limit"):
        exception_override(
            exception=exc,
            actor=users["buyer1"],
            version=1,
            quantity="10000000",
            date=day,
            reason_code="promotion",
            comment="Big promo",
        )
    # then: nothing is decided or posted, and the refusal names the overridden amount and the tier above
    exc.refresh_from_db()
    assert exc.status == Status.OPEN and exc.proposal["quantity"] == 240
    assert not OutboxMessage.objects.exists()
    refused = AuditEvent.objects.get(kind="refused", action="override")
    assert refused.payload["amount"] == "100000000.00"
    assert refused.payload["above_ceiling"] is True and refused.payload["required_role"] == "director"
    # a manager is refused too: over 10x the proposal needs the next tier up (a director), with its reason
    with pytest.raises(NotAllowed, match="over 10x the proposed 240"):
        exception_override(
            exception=exc,
            actor=users["manager1"],
            version=1,
            quantity="2500",
            date=day,
            reason_code="promotion",
            comment="Big promo",
        )
    # a director may, with the reason the override carries
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group

    director = get_user_model().objects.create_user("director1")
    director.groups.add(Group.objects.get(name="director"))
    done = exception_override(
        exception=exc,
        actor=director,
        version=1,
        quantity="2500",
        date=day,
        reason_code="promotion",
        comment="Big promo",
    )
    assert done.status == Status.OVERRIDDEN and done.proposal["amount"] == "25000.00"


def test_a_warehouse_supervisor_cannot_decide_procurement_but_may_move_stock(users):
    il = xf.network(buyer=users["buyer1"])[0]
    supervisor = users["supervisor1"]
    xf.grant_location(supervisor, il.location)
    po = xf.exception(item_location=il)
    with pytest.raises(NotAllowed, match="Only buyers, managers, directors decide a purchase order"):
        exception_approve(exception=po, actor=supervisor, version=1)
    with pytest.raises(NotAllowed, match="decide a purchase order"):
        exception_reject(exception=po, actor=supervisor, version=1, reason_code="other")
    assert AuditEvent.objects.filter(kind="refused", actor=supervisor).count() == 2
    move = xf.exception(
        item_location=il,
        type="reorder_due",
        proposal={"action": "transfer", "quantity": 20, "date": timezone.localdate().isoformat()},
    )
    assert exception_approve(exception=move, actor=supervisor, version=1).status == Status.APPROVED


def test_bulk_approve_refuses_rows_above_the_limit_and_approves_the_rest(users):
    small = xf.exception(item_location=xf.network(buyer=users["buyer1"])[0])
    big = big_po(users)
    results = exceptions_bulk_approve(actor=users["buyer1"], items=[(small.pk, 1), (big.pk, 1)])
    assert [error == "" for _exc, error in results] == [True, False]
    assert "above your approval limit" in results[1][1]
    assert AuditEvent.objects.filter(kind="refused", subject_id=str(big.pk)).exists()


def test_send_for_approval_unchanged_needs_no_reason_even_with_the_form_values(users):
    big = big_po(users)
    # the override form posts the values as they are: that is no change, so no reason is asked
    waiting = exception_request_approval(
        exception=big, actor=users["buyer1"], version=1, quantity="200", date=big.proposal["date"]
    )
    assert waiting.status == Status.AWAITING_APPROVAL and waiting.required_role == "manager"
    decision = Decision.objects.get(exception=big)
    assert decision.reason_code == "" and decision.comment == ""
    # a changed proposal does need them
    other = big_po(users)
    with pytest.raises(InvalidInput) as caught:
        exception_request_approval(
            exception=other, actor=users["buyer1"], version=1, quantity="300", date=other.proposal["date"]
        )
    assert {"reason_code", "comment"} <= set(caught.value.errors)


def test_an_awaiting_request_is_approved_at_the_rank_its_amount_needs_now(users):
    big = big_po(users)
    exception_request_approval(exception=big, actor=users["buyer1"], version=1)
    # the PO line's price doubled since the request (a data fix): 200 x 500.00 = 100,000 needs a director
    PlanningException.objects.filter(pk=big.pk).update(proposal={**big.proposal, "unit_cost": "500.00"})
    with pytest.raises(NotAllowed, match="needs a director's approval"):
        exception_approve(exception=big, actor=users["manager1"], version=2)
