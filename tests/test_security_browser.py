"""Browser: /api/docs/ renders offline (vendored Swagger UI) under the CSP, and the screens' scripts run under it."""

import re

import pytest

from tests.conftest import browser_login
from tests.governance import factories as gf

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def test_api_docs_render_offline_under_the_csp(page, live_server, transactional_db):
    # given a browser whose every request off the live server is aborted (no CDN can help), errors collected
    blocked, errors = [], []

    def route(route):
        if route.request.url.startswith(live_server.url):
            route.continue_()
        else:
            blocked.append(route.request.url)
            route.abort()

    page.context.route("**/*", route)
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    user = gf.user("manager")
    user.set_password("docs-password-1")
    user.save()
    # the docs are behind login
    page.goto(f"{live_server.url}/api/docs/")
    assert "/accounts/login/" in page.url
    browser_login(page, live_server, user.username, "docs-password-1")
    page.goto(f"{live_server.url}/api/docs/")
    page.locator(".swagger-ui .info .title").wait_for()
    assert "DistOps API" in page.locator(".swagger-ui .info .title").inner_text()
    page.locator(".opblock-summary-path", has_text=re.compile("/api/exceptions/")).first.wait_for()
    # the screens' own scripts (moved out of the templates) run under the same policy
    for path in ("/queue/", "/governance/kpis/", "/governance/approvals/", "/integrations/edi/", "/skus/"):
        page.goto(f"{live_server.url}{path}")
        page.wait_for_load_state("load")
    assert blocked == []
    assert [e for e in errors if "Content Security Policy" in e or "Refused" in e] == []
