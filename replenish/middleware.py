"""Session idle timeout: a session unused for SESSION_IDLE_SECONDS is logged out on its next request."""

from __future__ import annotations

import time

from django.conf import settings
from django.contrib.auth import logout

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
