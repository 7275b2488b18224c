"""Session idle timeout: a session unused for SESSION_IDLE_SECONDS is logged out on its next request."""

from __future__ import annotations

import time

from django.conf import settings
from django.contrib.auth import logout

from .core.access import user_access_load
from .views import error_403_view, error_404_view

LAST_SEEN = "_distops_last_seen"
# The last-seen time is rewritten at most this often, so a burst of requests (htmx polling, a page and its
# partials) does not write the session on each one; the timeout is therefore exact to within this many seconds.
TOUCH_EVERY_SECONDS = 60


def session_touch_on_login(sender, request, user, **kwargs) -> None:
    """A fresh login starts the idle clock, in the session write the login makes anyway."""
    if request is not None and hasattr(request, "session"):
        request.session[LAST_SEEN] = int(time.time())


class SessionIdleTimeoutMiddleware:
    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            now = int(time.time())
            last_seen = request.session.get(LAST_SEEN)
            if last_seen is not None and now - last_seen > settings.SESSION_IDLE_SECONDS:
                logout(request)  # the view then sees an anonymous user: login page, or 401/403 for the API
            elif last_seen is None or now - last_seen >= TOUCH_EVERY_SECONDS:
                request.session[LAST_SEEN] = now
        return self.get_response(request)


class UserGroupsMiddleware:
    """Reads the signed-in user's groups once per request: the role and the approval rank (replenish.core.roles)
    are asked several times a page (navigation, the workspace check, tiers), each a query before. Adding or removing
    a group through the related manager drops the prefetched list, so a change within the request is still seen.
    With ACCESS_CACHE on, the groups and the model permissions come from the shared cache (replenish.core.access)."""

    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            user_access_load(getattr(user, "_wrapped", user))
        return self.get_response(request)


class StyledErrorMiddleware:
    """403 and 404 answer the styled pages (templates/403.html, 404.html) naming what the user can do instead, with
    DEBUG on as well as off: Django renders its technical 404 page when DEBUG is on, so an Http404 or
    PermissionDenied raised by a view is answered here, and an unmatched URL's technical page is replaced. The API
    (DRF answers its own errors in JSON) and answers a view rendered itself are left alone."""

    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if (
            response.status_code == 404
            and getattr(request, "resolver_match", None) is None
            and not getattr(response, "distops_styled", False)
            and not _is_api(request)
        ):
            return error_404_view(request, None)
        return response

    def process_exception(self, request, exception):
        from django.core.exceptions import PermissionDenied
        from django.http import Http404

        if _is_api(request):
            return None

        if isinstance(exception, Http404):
            return error_404_view(request, exception)
        if isinstance(exception, PermissionDenied):
            return error_403_view(request, exception)
        return None


def _is_api(request) -> bool:
    return request.path.startswith(("/api/", "/integrations/webhooks/"))
