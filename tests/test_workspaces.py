"""Issue 15 item 1: each role lands on its own workspace, its navigation holds no link that answers 403, refusals
and missing pages are the styled pages naming what to do instead, and permissions follow the job."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse

from exceptions.models import PlanningException, Status
from exceptions.services import supervisor_scopes_ensure
from exceptions.workflows.models import WorkflowTask
from exceptions.workflows.supplier import workflow_task_approve
from integrations.models import OutboxMessage
from replenish.core.audit import AuditEvent
from replenish.core.errors import NotAllowed
from replenish.services import demo_users_ensure
from tests import factories as f
from tests.exceptions import factories as xf

NAV = re.compile(r'<nav class="mainnav"[^>]*>(.*?)</nav>', re.S)
HREF = re.compile(r'href="([^"]+)"')
LANDING = {
    "buyer1": "/queue/",
    "supervisor1": "/warehouse/",
    "service1": "/service/",
    "transport1": "/transport/",
    "manager1": "/governance/approvals/",
    "auditor1": "/governance/audit/",
    "admin": "/queue/",
}


@pytest.fixture
def users(db):
    f.location(code="WH1", external_id="WH1", name="Central")
    groups = demo_users_ensure(locations=1, buyers=1)
    supervisor_scopes_ensure()
    return {u.username: u for key in groups for u in groups[key]}


def _nav(client) -> list[str]:
    html = client.get("/", follow=True).content.decode()
    return HREF.findall(NAV.search(html).group(1))


@pytest.mark.parametrize("username", sorted(LANDING))
def test_each_role_lands_on_its_own_workspace_and_no_link_of_its_navigation_answers_403(
    client, users, username
):
    client.force_login(users[username])
    landing = client.get("/")
    assert landing.status_code == 302 and landing.url == LANDING[username]
    links = _nav(client)
    assert links, username
    answers = {url: client.get(url).status_code for url in links}
    assert all(status == 200 for status in answers.values()), answers
    if username == "supervisor1":  # not the buyers' queue: no supplier-PO decisions in the supervisor's day
        assert "/queue/" not in links and "/warehouse/" in links


@pytest.mark.parametrize("debug", [False, True])
def test_refusals_and_missing_pages_are_styled_and_say_what_to_do_instead(client, users, settings, debug):
    settings.DEBUG = debug
    client.force_login(users["supervisor1"])
    refused = client.get("/queue/")
    text = refused.content.decode()
    assert refused.status_code == 403
    assert "What you can do instead" in text and 'href="/warehouse/"' in text
    assert "supplier-PO decisions, which are not part of your role" in text
    for url in ("/no-such-page/", "/warehouse/?location=ELSEWHERE"):
        missing = client.get(url)
        assert missing.status_code == 404, url
        page = missing.content.decode()
        assert "Nothing here for you" in page and 'href="/warehouse/" id="error-home"' in page, url
        assert "Technical" not in page and "Resolver404" not in page and "urlpatterns" not in page
    client.logout()
    assert "Log in" in client.get("/no-such-page/").content.decode()


def test_the_server_refuses_a_supervisor_cancelling_a_supplier_po_at_their_own_location(client, users):
    # given a cancellation of a PO line at the supervisor's warehouse (visible to them)
    supervisor = users["supervisor1"]
    il = xf.network(buyer=users["buyer1"], location=f.location(code="WH9", external_id="WH9"))[0]
    xf.grant_location(supervisor, il.location)
    cancel = xf.exception(
        item_location=il,
        type="excess",
        proposal={"action": "cancel", "quantity": 40, "date": xf.today().isoformat()},
    )
    client.force_login(supervisor)
    # when the supervisor posts the approval by hand (no screen offers it)
    response = client.post(
        reverse("exceptions:approve", args=[cancel.pk]), {"version": 1}, HTTP_HX_REQUEST="true"
    )
    # then nothing is decided or posted, and the refusal is audited
    assert response.status_code == 403
    assert PlanningException.objects.get(pk=cancel.pk).status == Status.OPEN
    assert not OutboxMessage.objects.exists()
    refusal = AuditEvent.objects.get(kind="refused", actor=supervisor)
    assert "decide a cancel" in refusal.payload["reason"]


def test_a_safety_stock_increase_is_a_purchasing_decision_whatever_the_approvers_rank(users):
    task = WorkflowTask.objects.create(
        kind=WorkflowTask.Kind.SAFETY_STOCK_CHANGE,
        status=WorkflowTask.Status.AWAITING_APPROVAL,
        dedupe_key="ss:1",
        owner_team="procurement",
        title="Raise safety stock",
        payload={"required_rank": 1, "changes": []},
    )
    with pytest.raises(NotAllowed, match="purchasing decision"):
        workflow_task_approve(task=task, actor=users["supervisor1"])
    assert WorkflowTask.objects.get(pk=task.pk).status == WorkflowTask.Status.AWAITING_APPROVAL
    assert workflow_task_approve(task=task, actor=users["buyer1"]).status == WorkflowTask.Status.DONE


def test_workflow_screens_check_permissions_not_role_names(client, users):
    buyer, auditor = users["buyer1"], users["auditor1"]
    client.force_login(buyer)
    assert client.get("/workflows/tasks/").status_code == 200
    assert (
        client.get("/workflows/events/").status_code == 403
    )  # a buyer's role does not hold view_domainevent
    # the same buyer granted the permission directly opens the event log, without any role change
    buyer.user_permissions.add(Permission.objects.get(codename="view_domainevent"))
    client.force_login(type(buyer).objects.get(pk=buyer.pk))
    assert client.get("/workflows/events/").status_code == 200
    # an auditor reads the customer-service queue but gets no action on it
    client.force_login(auditor)
    page = client.get("/workflows/service/", follow=True)  # the customer-service workspace (/service/)
    assert page.status_code == 200 and page.context["can_act"] is False
    assert page.redirect_chain == [("/service/", 302)]
    assert client.post("/workflows/service/1/contact/", {"version": 1}).status_code in (403, 404)
