"""REST API: same permissions as the screens, token and session auth, decisions with 409/400/403/404, schema."""

from decimal import Decimal

import pytest
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from exceptions.models import PlanningException, Status
from tests.exceptions import factories as xf

pytestmark = pytest.mark.django_db


@pytest.fixture
def api():
    return APIClient()


def test_list_needs_auth_and_token_auth_sees_only_own_ranked_and_filtered(api, users):
    ils = xf.network(buyer=users["buyer1"], n=3)
    mine = [
        xf.exception(item_location=il, value_at_stake=Decimal(v)) for il, v in zip(ils, ["5", "50", "500"])
    ]
    PlanningException.objects.filter(pk=mine[0].pk).update(type="excess")
    xf.exception(item_location=xf.network(buyer=users["buyer2"])[0])
    assert api.get("/api/exceptions/").status_code in (401, 403)
    token = Token.objects.create(user=users["buyer1"])
    api.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    body = api.get("/api/exceptions/").json()
    assert [r["id"] for r in body["results"]] == [mine[2].pk, mine[1].pk, mine[0].pk]
    assert body["results"][0]["recommended_action"].startswith("Order 240 from Acme")
    assert [
        r["id"]
        for r in api.get("/api/exceptions/", {"min_value": "40", "type": "stockout_risk"}).json()["results"]
    ] == [mine[2].pk, mine[1].pk]
    sku = mine[1].item_location.item.sku
    assert [r["id"] for r in api.get("/api/exceptions/", {"sku": sku}).json()["results"]] == [mine[1].pk]
    paged = api.get("/api/exceptions/", {"page_size": 2}).json()
    assert len(paged["results"]) == 2 and "page=2" in paged["next"] and paged["previous"] is None


def test_decisions_over_the_api(api, users):
    il = xf.network(buyer=users["buyer1"])[0]
    exc = xf.exception(item_location=il)
    other = xf.exception(item_location=xf.network(buyer=users["buyer2"])[0])
    api.force_authenticate(users["buyer1"])
    assert api.post(f"/api/exceptions/{other.pk}/approve/", {"version": 1}, format="json").status_code == 404
    bad = api.post(
        f"/api/exceptions/{exc.pk}/override/",
        {"version": 1, "quantity": "-1", "date": "", "reason_code": "", "comment": ""},
        format="json",
    )
    assert bad.status_code == 400 and set(bad.json()["errors"]) >= {"quantity", "reason_code", "comment"}
    ok = api.post(f"/api/exceptions/{exc.pk}/approve/", {"version": 1}, format="json")
    assert ok.status_code == 200 and ok.json()["status"] == "approved" and ok.json()["version"] == 2
    again = api.post(f"/api/exceptions/{exc.pk}/approve/", {"version": 1}, format="json")
    assert again.status_code == 200  # a double submit is applied once
    api.force_authenticate(users["manager1"])
    stale = api.post(
        f"/api/exceptions/{exc.pk}/reject/", {"version": 1, "reason_code": "other"}, format="json"
    )
    assert stale.status_code == 409
    assert (
        "already decided" in stale.json()["detail"] and stale.json()["current"]["status"] == Status.APPROVED
    )
    api.force_authenticate(users["auditor1"])
    assert api.get(f"/api/exceptions/{exc.pk}/").status_code == 200
    third = xf.exception(item_location=xf.network(buyer=users["buyer1"])[0])
    refused = api.post(f"/api/exceptions/{third.pk}/approve/", {"version": 1}, format="json")
    assert refused.status_code == 403 and "not decide" in refused.json()["detail"]


def test_recommendations_of_the_current_run_in_the_users_scope(api, users):
    run = xf.plan_run()
    il_mine, _, rec_mine = xf.stockout_case(run=run, buyer=users["buyer1"])
    xf.stockout_case(run=run, buyer=users["buyer2"])
    api.force_authenticate(users["buyer1"])
    body = api.get("/api/recommendations/").json()
    assert [r["id"] for r in body["results"]] == [rec_mine.pk]
    assert body["results"][0]["sku"] == il_mine.item.sku
    api.force_authenticate(users["manager1"])
    assert len(api.get("/api/recommendations/", {"action": "transfer"}).json()["results"]) == 2


def test_openapi_schema_documents_the_endpoints(client, users):
    client.force_login(users["buyer1"])
    response = client.get("/api/schema/")
    assert response.status_code == 200
    text = response.content.decode()
    for path in (
        "/api/exceptions/",
        "/api/exceptions/{id}/approve/",
        "/api/exceptions/{id}/override/",
        "/api/recommendations/",
    ):
        assert path in text
    assert "min_value" in text


def test_the_tier_bypass_by_override_over_the_api_is_refused_and_audited(api, users):
    from replenish.core.models import AuditEvent

    il = xf.network(buyer=users["buyer1"])[0]
    exc = xf.exception(item_location=il)
    api.force_authenticate(users["buyer1"])
    refused = api.post(
        f"/api/exceptions/{exc.pk}/override/",
        {
            "version": 1,
            "quantity": "10000000",
            "date": exc.proposal["date"],
            "reason_code": "promotion",
            "comment": "Big promo",
        },
        format="json",
    )
    assert refused.status_code == 403 and "above your approval limit" in refused.json()["detail"]
    event = AuditEvent.objects.get(kind="refused", action="override", subject_id=str(exc.pk))
    assert event.payload["amount"] == "100000000.00"  # 10,000,000 x 10.00 at the decided quantity
    exc.refresh_from_db()
    assert exc.status == Status.OPEN and exc.proposal["quantity"] == 240
    # the list shows what each action spends
    row = api.get("/api/exceptions/").json()["results"][0]
    assert row["amount"] == "2400.00" and row["needs_approval"] is False
