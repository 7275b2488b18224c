"""Browser: a manager uploads a broken balance file, reads the report, fixes the dead letter and retries it."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from integrations.models import InboxMessage
from replenish import models as m
from replenish.core.services import roles_ensure
from tests import factories as f
from tests.conftest import browser_login

pytestmark = [pytest.mark.browser, pytest.mark.slow]

PASSWORD = "pw-test-12345"


def test_upload_report_then_fix_and_retry_the_dead_letter(page, live_server, tmp_path):
    roles_ensure()
    manager = get_user_model().objects.create_user(username="mgr", password=PASSWORD)
    manager.groups.add(Group.objects.get(name="manager"))
    f.location(code="DC1")
    f.item(sku="SKU-A")
    bad = tmp_path / "balances.csv"
    bad.write_text("sku;location;on_hand\nSKU-A;DC1;=40+2\n")

    browser_login(page, live_server, "mgr", PASSWORD)
    page.click(".mainnav >> text=Integrations")
    page.click(".int-tabs >> text=File upload")
    page.select_option("select[name=kind]", "balances")
    page.set_input_files("input[name=file]", str(bad))
    page.click("text=Validate and import")

    report = page.locator("#validation-report")
    assert "Rejected: nothing was applied" in report.inner_text()
    assert report.locator("td.mono", has_text="C2").count() == 1
    assert not m.ItemLocation.objects.exists()

    page.click(".int-tabs >> text=Dead letters")
    message = InboxMessage.objects.get()
    row = page.locator(f"#inbox-row-{message.pk}")
    assert "Rejected" in row.inner_text()
    row.locator("text=Fix").click()
    page.fill("textarea[name=payload]", "sku;location;on_hand\nSKU-A;DC1;42\n")
    page.click("text=Save and retry")

    assert "applied on retry" in page.locator(".messages").inner_text()
    assert m.ItemLocation.objects.get().on_hand == 42
    message.refresh_from_db()
    assert message.status == InboxMessage.Status.APPLIED and message.meta["edited_by"] == "mgr"
