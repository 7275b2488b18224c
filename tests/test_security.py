"""Issue 13, finding 5: login lockout with notification, API and webhook rate limits, CSP without inline scripts,
schema and docs behind login with vendored Swagger UI, the session idle timeout, 404 for ids outside one's scope."""

import json
import re
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.core import mail
from django.core.cache import cache
from django.urls import reverse
from rest_framework.test import APIClient
from rest_framework.throttling import UserRateThrottle

from integrations.models import WebhookEndpoint
from integrations.views import WebhookThrottle
from integrations.webhooks import sign_headers
from replenish.core.models import AuditEvent
from replenish.middleware import LAST_SEEN
from tests.governance import factories as gf
from tests.governance.factories import awaiting_exception

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(autouse=True)
def _fresh_cache():
    cache.clear()
    yield
    cache.clear()


def _login(client, username, password):
    return client.post(reverse("login"), {"username": username, "password": password})


# --- lockout ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("superuser", [False, True], ids=["buyer", "admin"])
def test_30_bad_logins_lock_the_account_admin_included_and_notify(
    client, superuser, django_capture_on_commit_callbacks
):
    # given an account, and a manager and an administrator with e-mail addresses
    if superuser:
        from django.contrib.auth import get_user_model

        target = get_user_model().objects.create_superuser("root", "root@example.com", "right-password-1")
    else:
        target = gf.user("buyer", email="b@example.com")
        target.set_password("right-password-1")
        target.save()
    gf.user("manager", email="boss@example.com")
    gf.user("administrator", email="it@example.com")
    gf.user("buyer", email="colleague@example.com")
    assert settings.AXES_FAILURE_LIMIT == 30
    # when 29 wrong passwords are tried, the account still logs in ... after a reset of the count on success
    for _ in range(29):
        assert _login(client, target.username, "wrong").status_code == 200
    assert not AuditEvent.objects.filter(action="login_locked_out").exists()
    # the 30th failure locks the account
    with django_capture_on_commit_callbacks(execute=True):
        locked = _login(client, target.username, "wrong")
    assert locked.status_code == 429 and "Account locked" in locked.content.decode()
    # then even the right password is refused, for the account (from any address)
    with django_capture_on_commit_callbacks(execute=True):
        right = client.post(
            reverse("login"),
            {"username": target.username, "password": "right-password-1"},
            REMOTE_ADDR="10.9.9.9",
        )
    assert right.status_code == 429 and "_auth_user_id" not in client.session
    # one audit event (not one per refused attempt) and one message to the managers and administrators
    event = AuditEvent.objects.get(action="login_locked_out")
    assert (event.kind, event.subject_type, event.subject_id) == ("refused", "user", target.username)
    assert event.payload["superuser"] is superuser and event.payload["reason"] == "30 failed logins"
    assert len(mail.outbox) == 1
    notice = mail.outbox[0]
    assert target.username in notice.subject
    assert {"boss@example.com", "it@example.com"} <= set(notice.to)
    assert "colleague@example.com" not in notice.to
    if superuser:
        assert "root@example.com" in notice.to


def test_a_success_before_the_limit_resets_the_count(client):
    user = gf.user("buyer")
    user.set_password("right-password-1")
    user.save()
    for _ in range(20):
        _login(client, user.username, "wrong")
    assert _login(client, user.username, "right-password-1").status_code == 302
    client.logout()
    for _ in range(20):
        _login(client, user.username, "wrong")
    assert _login(client, user.username, "right-password-1").status_code == 302


# --- rate limits -------------------------------------------------------------------------------------------------


def test_api_throttle_answers_429_past_the_users_rate(monkeypatch):
    monkeypatch.setattr(UserRateThrottle, "THROTTLE_RATES", {"user": "3/min", "anon": "3/min"})
    api = APIClient()
    api.force_authenticate(gf.user("buyer"))
    codes = [api.get("/api/exceptions/").status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]
    assert settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]["user"] == "1200/min"


def test_webhook_rate_limit_per_source_and_sender(client, monkeypatch):
    monkeypatch.setattr(WebhookThrottle, "THROTTLE_RATES", {"webhook": "2/min"})
    WebhookEndpoint.objects.create(source="wms", secret="s3cret-value")
    body = json.dumps({"id": "e1", "type": "nothing.upsert", "data": {}}).encode()

    def post(addr):
        headers = {
            f"HTTP_{k.upper().replace('-', '_')}": v for k, v in sign_headers("s3cret-value", body).items()
        }
        return client.post(
            "/integrations/webhooks/wms/", body, content_type="application/json", REMOTE_ADDR=addr, **headers
        )

    first, second, third = post("10.0.0.1"), post("10.0.0.1"), post("10.0.0.1")
    assert first.status_code != 429 and second.status_code != 429
    assert third.status_code == 429 and int(third["Retry-After"]) >= 1
    assert "too many requests" in third.json()["error"]
    assert post("10.0.0.2").status_code != 429  # another sender has its own budget


# --- CSP, no inline scripts --------------------------------------------------------------------------------------

INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*application/json)[^>]*>", re.I)
INLINE_HANDLER = re.compile(r"\son[a-z]+\s*=\s*[\"']", re.I)


def test_no_template_has_an_inline_script_or_handler():
    offenders = []
    templates = sorted((ROOT / "replenish" / "templates").rglob("*.html"))
    assert len(templates) > 20  # the scan reads the templates (they moved into the package once)
    for path in templates:
        text = path.read_text()
        evaluated = (
            "javascript:" in text or re.search(r"hx-(vals|vars|headers)='js:", text) or "hx-on" in text
        )
        if INLINE_SCRIPT.search(text) or INLINE_HANDLER.search(text) or evaluated:
            offenders.append(str(path.relative_to(ROOT)))
    assert offenders == []


def test_pages_carry_a_csp_without_unsafe_inline_scripts(client):
    for url in ("/accounts/login/", "/queue/", "/governance/kpis/", "/api/docs/"):
        if url == "/queue/":
            client.force_login(gf.user("manager"))
        response = client.get(url)
        assert response.status_code == 200, url
        policy = dict(
            part.strip().split(" ", 1)
            for part in response["Content-Security-Policy"].split(";")
            if part.strip()
        )
        assert policy["script-src"] == "'self'", url
        assert policy["default-src"] == "'self'" and policy["frame-ancestors"] == "'none'"
        assert not INLINE_SCRIPT.search(response.content.decode()), url


# --- schema and docs ---------------------------------------------------------------------------------------------


def test_schema_and_docs_need_a_login_and_docs_are_vendored(client):
    assert client.get("/api/schema/").status_code in (401, 403)
    docs = client.get("/api/docs/")
    assert docs.status_code == 302 and docs["Location"].startswith(reverse("login"))
    client.force_login(gf.user("buyer"))
    assert client.get("/api/schema/?format=json").json()["info"]["title"] == "DistOps API"
    page = client.get("/api/docs/").content.decode()
    assert "/static/vendor/swagger-ui-5.33.1/swagger-ui-bundle.js" in page
    assert not re.search(r"(src|href)=\"https?://", page)  # no CDN
    assert (
        ROOT / "replenish/static/vendor/swagger-ui-5.33.1/swagger-ui-bundle.js"
    ).stat().st_size > 1_000_000


# --- session idle timeout ----------------------------------------------------------------------------------------


def test_an_idle_session_is_logged_out(client):
    client.force_login(gf.user("buyer"))
    assert client.get("/queue/").status_code == 200
    session = client.session
    assert session[LAST_SEEN] > 0
    session[LAST_SEEN] = int(time.time()) - settings.SESSION_IDLE_SECONDS + 120  # active 28 minutes ago
    session.save()
    assert client.get("/queue/").status_code == 200
    session = client.session
    session[LAST_SEEN] = int(time.time()) - settings.SESSION_IDLE_SECONDS - 5  # idle past the timeout
    session.save()
    response = client.get("/queue/")
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))
    assert "_auth_user_id" not in client.session
    assert settings.SESSION_IDLE_SECONDS == 30 * 60 and settings.SESSION_COOKIE_AGE == 12 * 3600


# --- 404 for ids outside one's scope ----------------------------------------------------------------------------


@pytest.mark.parametrize("verb", ["approve", "reject"])
def test_approvals_endpoint_answers_404_for_another_teams_id_as_for_a_missing_one(client, verb):
    maker = gf.user("buyer")
    exc = awaiting_exception(maker=maker)
    outsider = gf.user("buyer")
    client.force_login(outsider)
    url = reverse(f"governance:approval_{verb}", args=[exc.pk])
    other_team = client.post(url, {"version": exc.version, "reason_code": "x"}, HTTP_HX_REQUEST="true")
    missing = client.post(
        reverse(f"governance:approval_{verb}", args=[exc.pk + 10_000]), {"version": 1}, HTTP_HX_REQUEST="true"
    )
    assert (other_team.status_code, missing.status_code) == (404, 404)
    exc.refresh_from_db()
    assert exc.status == "awaiting_approval"


def test_every_id_route_answers_404_outside_the_users_scope(client):
    """The queue, its actions, the approvals endpoint and the API: another team's id reads as missing."""
    exc = awaiting_exception(maker=gf.user("buyer"))
    client.force_login(gf.user("buyer"))
    for name in ("detail", "approve", "override", "reject", "snooze", "request_approval"):
        url = reverse(f"exceptions:{name}", args=[exc.pk])
        response = client.post(url, {"version": exc.version}) if name != "detail" else client.get(url)
        assert response.status_code == 404, name
    api = APIClient()
    api.force_authenticate(gf.user("buyer"))
    assert api.get(f"/api/exceptions/{exc.pk}/").status_code == 404
    assert api.post(f"/api/exceptions/{exc.pk}/approve/", {"version": exc.version}).status_code == 404
