import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from replenish.core import roles
from replenish.services import demo_users_ensure
from tests import factories as f

pytestmark = pytest.mark.django_db


@pytest.fixture
def users():
    return demo_users_ensure(locations=2, buyers=2)


def test_login_page_then_the_buyers_workspace(client, users):
    response = client.post(reverse("login"), {"username": "buyer1", "password": "distops-demo"})
    assert response.status_code == 302
    response = client.get(reverse("home"), follow=True)
    assert response.redirect_chain[-1][0] == reverse("exceptions:queue")  # a buyer lands on their queue
    assert b"SKU-locations" in response.content


def test_wrong_password_is_refused_with_a_clear_message(client, users):
    response = client.post(reverse("login"), {"username": "buyer1", "password": "nope"})
    assert response.status_code == 200
    assert b"do not match" in response.content


def test_anonymous_is_sent_to_login(client):
    response = client.get(reverse("item_location_list"))
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


def test_buyer_sees_only_own_sku_locations_and_filters_apply(client, users):
    buyer1, buyer2 = users["buyers"]
    loc_a, loc_b = f.location(code="WA"), f.location(code="WB")
    mine = f.item_location(location=loc_a, buyer=buyer1, on_hand=1, static_min=5)
    f.item_location(location=loc_b, buyer=buyer1, on_hand=50, static_min=5, static_max=60)
    f.item_location(location=loc_a, buyer=buyer2)
    client.force_login(buyer1)
    rows = client.get(reverse("item_location_list")).context["rows"]
    assert {r.buyer_id for r in rows} == {buyer1.pk}
    assert len(rows) == 2
    rows = client.get(reverse("item_location_list"), {"location": "WA", "below_min": "1"}).context["rows"]
    assert [r.pk for r in rows] == [mine.pk]


def test_manager_sees_all_and_htmx_gets_only_the_table(client, users):
    f.item_location()
    f.item_location()
    manager = get_user_model().objects.get(username="manager1")
    assert roles.role_of(manager) == roles.MANAGER
    client.force_login(manager)
    response = client.get(reverse("item_location_list"), HTTP_HX_REQUEST="true")
    body = response.content.decode()
    assert body.lstrip().startswith('<div id="sku-table">')
    assert "<html" not in body
    assert body.count("<tr>") == 1 + 2  # header row and the two SKU-locations


def test_pagination_fetches_one_row_past_the_page(client, users, django_assert_max_num_queries):
    loc = f.location()
    for _ in range(51):
        f.item_location(location=loc)
    client.force_login(get_user_model().objects.get(username="manager1"))
    first = client.get(reverse("item_location_list"))
    assert len(first.context["rows"]) == 50 and first.context["has_next"]
    second = client.get(reverse("item_location_list"), {"page": 2})
    assert len(second.context["rows"]) == 1 and not second.context["has_next"]


def test_roles_exist_with_view_permissions(users):
    auditor = get_user_model().objects.get(username="auditor1")
    assert auditor.has_perm("replenish.view_itemlocation")
    assert not auditor.has_perm("replenish.change_itemlocation")
    admin = get_user_model().objects.get(username="admin")
    assert admin.is_superuser


def test_custom_view_permissions_are_not_granted_to_every_role(users):
    buyer = get_user_model().objects.get(username="buyer1")
    auditor = get_user_model().objects.get(username="auditor1")
    assert buyer.has_perm("replenish.view_itemlocation")
    assert not buyer.has_perm("core.view_audit")
    assert auditor.has_perm("core.view_audit")
