"""Issue 13 item 4: exactly once after a requeue, against the reference ERP over HTTP.

The finding: after an ERP 4xx the exception went back to review; a manager requeued the dead letter and it was
delivered, yet the exception stayed decidable, and a second approval posted again under a new key: two ERP
transactions for one exception. Now one idempotency key per exception action, whatever the path.
"""

import pytest
from django.contrib.auth.models import Group

from exceptions.errors import StaleVersion
from exceptions.models import PlanningException, Status
from exceptions.services import exception_approve, exception_override, exception_reject
from integrations.models import OutboxMessage
from integrations.outbox import outbox_relay, outbox_requeue
from replenish.core.models import AuditEvent
from replenish.services import demo_users_ensure
from tests.exceptions import factories as xf

pytestmark = pytest.mark.django_db


@pytest.fixture
def people():
    groups = demo_users_ensure(locations=2, buyers=2)
    return {u.username: u for key in groups for u in groups[key]}


def _refused_once(erp, people) -> PlanningException:
    """A 240-unit PO approved by buyer1 that the ERP refuses with a 422: dead-lettered, the exception in review."""
    exc = xf.exception(item_location=xf.network(buyer=people["buyer1"])[0])
    erp.faults(post=[{"status": 422, "error": "PO locked by another user"}])
    exception_approve(exception=exc, actor=people["buyer1"], version=1)
    outbox_relay()
    exc.refresh_from_db()
    message = OutboxMessage.objects.get(subject_type="exception", subject_id=str(exc.pk))
    assert (message.status, exc.status) == ("dead", Status.IN_REVIEW)
    return exc


def _erp_applied(erp, exc) -> list[str]:
    return [a["key"] for a in erp.stats()["applied"] if a["body"].get("reference") == f"exception:{exc.pk}"]


def test_a_requeued_dead_letter_posts_the_exception_once_and_it_cannot_be_decided_again(erp, people):
    exc = _refused_once(erp, people)
    message = OutboxMessage.objects.get(subject_id=str(exc.pk))
    manager = people["manager1"]
    # when: the manager requeues the dead letter
    outbox_requeue(message=message, actor=manager)
    # then: the exception waits for that posting again: not decidable in the meantime
    exc.refresh_from_db()
    assert exc.status == Status.APPROVED
    with pytest.raises(StaleVersion):
        exception_approve(exception=exc, actor=people["buyer1"], version=exc.version)
    # delivered: the exception is posted with the ERP's transaction
    outbox_relay()
    exc.refresh_from_db()
    message.refresh_from_db()
    assert (message.status, exc.status) == ("delivered", Status.POSTED)
    assert exc.outcome["transaction_id"] == message.erp_transaction_id
    # a second approval is refused at the current or any later-seen version; the buyer's first form submitted
    # again is the same decision, a no-op
    for version in (exc.version - 1, exc.version):
        with pytest.raises(StaleVersion):
            exception_approve(exception=exc, actor=people["buyer1"], version=version)
    again = exception_approve(exception=exc, actor=people["buyer1"], version=1)
    assert again.status == Status.POSTED and exc.decisions.count() == 1
    # the ERP saw the action once, under the exception's one key for it
    assert _erp_applied(erp, exc) == [f"exception-{exc.pk}-create_po"]
    assert OutboxMessage.objects.filter(subject_id=str(exc.pk)).count() == 1
    assert (
        AuditEvent.objects.filter(kind="system", action="posting_resumed", subject_id=str(exc.pk)).count()
        == 1
    )


def test_deciding_again_after_a_refusal_reuses_the_key_and_the_dead_letter_cannot_post_a_second_time(
    erp, people
):
    exc = _refused_once(erp, people)
    # the buyer fixes the cause and decides again, with other values (an override)
    exception_override(
        exception=exc,
        actor=people["buyer1"],
        version=exc.version,
        quantity="250",
        date=exc.proposal["date"],
        reason_code="promotion",
        comment="lock released",
    )
    message = OutboxMessage.objects.get(subject_id=str(exc.pk))
    assert (message.status, message.payload["quantity"]) == ("pending", 250)  # re-armed with the new values
    outbox_relay()
    exc.refresh_from_db()
    assert exc.status == Status.POSTED
    # the old dead letter is gone: nothing left to requeue, so nothing can post it twice
    with pytest.raises(ValueError, match="only dead-lettered messages can be requeued"):
        outbox_requeue(message=message, actor=people["manager1"])
    assert _erp_applied(erp, exc) == [f"exception-{exc.pk}-create_po"]
    applied = [a for a in erp.stats()["applied"] if a["key"] == f"exception-{exc.pk}-create_po"]
    assert applied[0]["body"]["quantity"] == 250
    assert OutboxMessage.objects.filter(subject_id=str(exc.pk)).count() == 1


def test_a_requeue_is_refused_once_the_exception_was_rejected(erp, people):
    exc = _refused_once(erp, people)
    exception_reject(exception=exc, actor=people["buyer1"], version=exc.version, reason_code="other")
    message = OutboxMessage.objects.get(subject_id=str(exc.pk))
    admin = people["manager1"]
    admin.groups.add(Group.objects.get(name="administrator"))
    with pytest.raises(ValueError, match=rf"Exception {exc.pk} is rejected since its posting was refused"):
        outbox_requeue(message=message, actor=admin)
    message.refresh_from_db()
    exc.refresh_from_db()
    assert (message.status, exc.status) == ("dead", Status.REJECTED)
    outbox_relay()
    assert _erp_applied(erp, exc) == []


def test_the_automation_and_a_person_share_the_one_key_per_action():
    from exceptions.refresh.outbox import idempotency_key

    assert idempotency_key(7, "create_po") == "exception-7-create_po"  # no version, no path in the key
