"""Issue 13 item 2: the amount a tier compares is recomputed at decision time on every path (HTMX, API, bulk, the
approvals inbox), never read from a stored or client-sent figure, and a warehouse supervisor decides no procurement
(purchase order or cancellation) whichever path they use."""

from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from exceptions.models import PlanningException, Status
from exceptions.services import exception_request_approval
from integrations.models import OutboxMessage
from replenish.core.models import AuditEvent
from tests.exceptions import factories as xf

pytestmark = pytest.mark.django_db


def _stale_po(users, **proposal) -> PlanningException:
    """A PO whose stored amount (written at the refresh) says 10.00 while its quantity x unit cost is
    200 x 44.61 = 8,922.00, above the buyer's 5,000 band: only a recomputation sees it."""
    il = xf.network(buyer=users["buyer1"])[0]
    exc = xf.exception(item_location=il, value_at_stake=Decimal("50.00"))
    exc.proposal = {
        **exc.proposal,
        "quantity": 200,
        "unit_cost": "44.6100",
        "proposed_quantity": 200,
        "goods": "10.00",
        "amount": "10.00",
        **proposal,
    }
    exc.save(update_fields=["proposal"])
    return exc


def test_a_stale_stored_amount_is_recomputed_on_the_htmx_api_and_bulk_paths(client, users):
    htmx_row, api_row, bulk_row = (_stale_po(users) for _ in range(3))
    buyer = users["buyer1"]
    client.force_login(buyer)
    # HTMX approve
    response = client.post(
        reverse("exceptions:approve", args=[htmx_row.pk]), {"version": 1}, HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 403 and "amount 8,922.00" in response.content.decode()
    # API approve, with an amount in the body the server must ignore
    api = APIClient()
    api.force_authenticate(buyer)
    response = api.post(
        f"/api/exceptions/{api_row.pk}/approve/", {"version": 1, "amount": "1.00"}, format="json"
    )
    assert response.status_code == 403 and "above your approval limit" in response.json()["detail"]
    # bulk approve
    response = client.post(reverse("exceptions:bulk_approve"), {"ids": [f"{bulk_row.pk}:1"]})
    assert response.status_code == 302
    # then: nothing decided or posted; each refusal audited with the recomputed amount (200 x 44.61)
    assert set(PlanningException.objects.values_list("status", flat=True)) == {Status.OPEN}
    assert not OutboxMessage.objects.exists()
    refused = AuditEvent.objects.filter(kind="refused").order_by("sequence")
    assert [(e.subject_id, e.payload["amount"]) for e in refused] == [
        (str(htmx_row.pk), "8922.00"),
        (str(api_row.pk), "8922.00"),
        (str(bulk_row.pk), "8922.00"),
    ]


def test_the_approvals_inbox_recomputes_the_amount_when_the_manager_decides(client, users):
    # given: a 200-unit PO at 44.61 sent for approval (8,922.00: a manager's band)
    exc = _stale_po(users)
    exception_request_approval(exception=exc, actor=users["buyer1"], version=1)
    # the unit cost is corrected to 500.00 before the manager decides: 100,000.00 needs a director
    PlanningException.objects.filter(pk=exc.pk).update(proposal={**exc.proposal, "unit_cost": "500.00"})
    client.force_login(users["manager1"])
    response = client.post(
        reverse("governance:approval_approve", args=[exc.pk]), {"version": 2}, HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 403
    assert "director" in response.content.decode() and "100,000.00" in response.content.decode()
    exc.refresh_from_db()
    assert exc.status == Status.AWAITING_APPROVAL and not OutboxMessage.objects.exists()
    refused = AuditEvent.objects.get(kind="refused", subject_id=str(exc.pk))
    assert refused.payload["amount"] == "100000.00" and refused.payload["required_role"] == "director"


@pytest.mark.parametrize("action", ["purchase_order", "cancel"])
def test_a_supervisor_decides_no_procurement_over_htmx_or_the_api(client, users, action):
    il = xf.network(buyer=users["buyer1"])[0]
    supervisor = users["supervisor1"]
    xf.grant_location(supervisor, il.location)
    proposal = {"action": action, "quantity": 40, "date": timezone.localdate().isoformat()}
    if action == "cancel":
        proposal["po_line"] = "PO-1/1"
    exc = xf.exception(
        item_location=il, type="excess" if action == "cancel" else "stockout_risk", proposal=proposal
    )
    client.force_login(supervisor)
    response = client.post(
        reverse("exceptions:approve", args=[exc.pk]), {"version": 1}, HTTP_HX_REQUEST="true"
    )
    # refused: 403 with the reason when the row is in their scope, 404 when it is not (both decide nothing)
    assert response.status_code in (403, 404)
    if response.status_code == 403:
        assert "Only buyers, managers, directors decide" in response.content.decode()
    api = APIClient()
    api.force_authenticate(supervisor)
    response = api.post(
        f"/api/exceptions/{exc.pk}/reject/", {"version": 1, "reason_code": "other"}, format="json"
    )
    assert response.status_code in (403, 404)
    exc.refresh_from_db()
    assert exc.status == Status.OPEN and not OutboxMessage.objects.exists()
