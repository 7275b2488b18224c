"""The manager's approvals inbox: approve / reject with a comment through exceptions.services; tier,
maker-checker and read-only auditors enforced, every refusal answered 403 with the reason and logged."""

import pytest
from django.urls import reverse

from exceptions.models import Decision, PlanningException
from integrations.models import OutboxMessage
from replenish.core.models import AuditEvent

from . import factories as f
from .factories import awaiting_exception as awaiting

pytestmark = pytest.mark.django_db


def _post(client, exc, verb="approve", **data):
    return client.post(
        reverse(f"governance:approval_{verb}", args=[exc.pk]),
        {"version": exc.version, **data},
        HTTP_HX_REQUEST="true",
    )


def test_manager_approves_a_tier_2_change_from_the_inbox_with_a_comment(client):
    buyer, manager = f.user("buyer"), f.user("manager")
    exc = awaiting(maker=buyer)
    client.force_login(manager)
    inbox = client.get(reverse("governance:approvals"))
    assert [row.pk for row in inbox.context["rows"]] == [exc.pk]
    response = _post(client, exc, comment="ok for the season")
    assert response.status_code == 200 and "Approved" in response.content.decode()
    assert response["HX-Trigger"].startswith('{"approvals-changed"')
    exc.refresh_from_db()
    assert exc.status == "approved"
    decision = Decision.objects.get(exception=exc, action="approve")
    assert (decision.actor, decision.comment) == (manager, "ok for the season")
    assert OutboxMessage.objects.filter(subject_type="exception", subject_id=str(exc.pk)).count() == 1
    assert AuditEvent.objects.filter(kind="decision", subject_id=str(exc.pk), action="approve").count() == 1
    assert list(client.get(reverse("governance:approvals")).context["rows"]) == []


def test_the_maker_cannot_approve_their_own_request(client):
    manager = f.user("manager")
    exc = awaiting(maker=manager)
    client.force_login(manager)
    page = client.get(reverse("governance:approvals")).content.decode()
    assert "You changed this: another manager must approve it." in page
    response = _post(client, exc)
    assert response.status_code == 403 and "maker-checker" in response.content.decode()
    exc.refresh_from_db()
    assert exc.status == "awaiting_approval"
    refused = AuditEvent.objects.get(kind="refused")
    assert (refused.actor, refused.subject_id) == (manager, str(exc.pk))
    # without htmx: the same refusal is a 403 page with the reason
    plain = client.post(reverse("governance:approval_approve", args=[exc.pk]), {"version": exc.version})
    assert plain.status_code == 403 and "maker-checker" in plain.content.decode()


def test_a_manager_cannot_approve_a_directors_tier_and_a_buyer_cannot_approve_at_all(client):
    buyer, manager = f.user("buyer"), f.user("manager")
    big = awaiting(maker=buyer, value="90000", required_role="director")
    client.force_login(manager)
    assert list(client.get(reverse("governance:approvals")).context["rows"]) == []
    response = _post(client, big)
    assert response.status_code == 403 and "director" in response.content.decode()
    other_buyer = f.user("buyer")
    small = awaiting(maker=buyer)
    client.force_login(other_buyer)
    response = _post(client, small)
    assert response.status_code == 404  # not in this buyer's scope: answered as if it did not exist
    assert AuditEvent.objects.filter(kind="refused").count() == 1
    assert set(PlanningException.objects.values_list("status", flat=True)) == {"awaiting_approval"}


def test_auditor_attempting_an_approval_is_refused_and_logged(client):
    exc = awaiting(maker=f.user("buyer"))
    auditor = f.user("auditor")
    client.force_login(auditor)
    response = _post(client, exc)
    assert response.status_code == 403 and "read-only" in response.content.decode()
    assert AuditEvent.objects.get(kind="refused").actor == auditor
    assert not Decision.objects.exists()


def test_reject_needs_a_reason_and_stale_versions_answer_409(client):
    buyer, m1, m2 = f.user("buyer"), f.user("manager"), f.user("manager")
    exc = awaiting(maker=buyer)
    client.force_login(m1)
    assert _post(client, exc, "reject").status_code == 400
    response = _post(client, exc, "reject", reason_code="forecast_too_high", comment="too much")
    assert response.status_code == 200
    exc_version = exc.version
    exc.refresh_from_db()
    assert exc.status == "rejected"
    client.force_login(m2)
    stale = client.post(
        reverse("governance:approval_approve", args=[exc.pk]),
        {"version": exc_version},
        HTTP_HX_REQUEST="true",
    )
    assert stale.status_code == 409 and "already decided" in stale.content.decode()


def test_approvals_counter_in_the_navigation(client):
    buyer = f.user("buyer")
    awaiting(maker=buyer)
    awaiting(maker=buyer, value="80000", required_role="director")
    client.force_login(f.user("manager"))
    html = client.get(reverse("governance:kpis")).content.decode()
    assert 'data-count="approvals">1<' in html


def test_inbox_selector_reads_in_one_query_however_many_rows(django_assert_num_queries):
    from governance.selectors import approvals_inbox_list

    buyer, manager = f.user("buyer"), f.user("manager")
    for _ in range(4):
        awaiting(maker=buyer)
    manager = type(manager).objects.get(pk=manager.pk)
    with django_assert_num_queries(2):  # the manager's roles, then the rows with everything the row shows
        rows = list(approvals_inbox_list(user=manager))
        assert [r.item_location.item.sku for r in rows] and [r.maker.username for r in rows]
        assert [r.location.code for r in rows] and [r.supplier.code for r in rows]
    assert len(rows) == 4
