"""Browser: /api/docs/ renders offline (vendored Swagger UI) under the CSP, and the screens' scripts run under it."""

import os
import re

import pytest

from tests.exceptions.test_browser import CHROMIUM_ARGS
from tests.governance import factories as gf

os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.fixture
def offline_page(live_server):
    """A page whose every request off the live server is aborted (no CDN can help), with its console errors."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium"), args=CHROMIUM_ARGS
        )
        context = browser.new_context()
        blocked: list[str] = []

        def route(route):
            if route.request.url.startswith(live_server.url):
                route.continue_()
            else:
                blocked.append(route.request.url)
                route.abort()

        context.route("**/*", route)
        page = context.new_page()
        page.set_default_timeout(15_000)
        page.console_errors = []
        page.on("console", lambda msg: page.console_errors.append(msg.text) if msg.type == "error" else None)
        page.blocked = blocked
        yield page
        context.close()
        browser.close()


def test_api_docs_render_offline_under_the_csp(offline_page, live_server, transactional_db):
    user = gf.user("manager")
    user.set_password("docs-password-1")
    user.save()
    page = offline_page
    page.goto(f"{live_server.url}/api/docs/")
    assert "/accounts/login/" in page.url  # behind login
    page.fill("#id_username", user.username)
    page.fill("#id_password", "docs-password-1")
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(r".*/api/docs/.*"))
    page.locator(".swagger-ui .info .title").wait_for()
    assert "DistOps API" in page.locator(".swagger-ui .info .title").inner_text()
    page.locator(".opblock-summary-path", has_text="/api/exceptions/").first.wait_for()
    assert page.blocked == []
    assert [e for e in page.console_errors if "Content Security Policy" in e] == []
    # the screens' own scripts (moved out of the templates) run under the same policy
    for path in ("/queue/", "/governance/kpis/", "/governance/approvals/", "/integrations/edi/", "/skus/"):
        page.goto(f"{live_server.url}{path}")
        page.wait_for_load_state("load")
    assert [e for e in page.console_errors if "Content Security Policy" in e or "Refused" in e] == []
