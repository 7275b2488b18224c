import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "replenish.settings")
application = get_wsgi_application()

from replenish.core.checks import audit_key_required  # noqa: E402 - after the apps are loaded

audit_key_required()  # no server without the audit chain's key (DEBUG off)
