import gc
import os
from pathlib import Path

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "replenish.settings")
application = get_wsgi_application()

from django.db import connections  # noqa: E402 - after the apps are loaded
from django.template import engines  # noqa: E402
from django.urls import get_resolver, reverse  # noqa: E402
from django.utils import translation  # noqa: E402

from replenish.celery import app as celery_app  # noqa: E402
from replenish.core.checks import audit_key_required  # noqa: E402

audit_key_required()  # no server without the audit chain's key (DEBUG off)

TEMPLATES = Path(__file__).resolve().parent / "templates"


def warm_up() -> dict:
    """What each web worker would otherwise do on its first requests, done once in gunicorn's master before it forks
    its workers (gunicorn.conf.py: preload_app, when_ready): the URLconf imported with its reverse map, every page
    template of the app compiled into the cached loader, the translation catalogue loaded and the Celery app's task
    registry built. In a fresh process the first queue page cost ~460 ms of CPU against ~40 ms for the next one, and
    the first approval ~100 ms more for the task registry (issue 13, load p95). A gunicorn worker's first queue page
    still cost 130-190 ms with this warm-up as without it (measured at load 7): what remains is per-process caches
    filled by the first real requests, and the first connections.

    Then the database connections the start opened are closed (a worker must not share its parent's socket) and
    every object so far is frozen out of the garbage collector's generations (gc.freeze): a full collection in a
    worker no longer walks the ~265,000 objects of the loaded app (~100 ms each time), and the pages the workers
    share copy-on-write are not written by the collector. Returns what was done."""
    get_resolver().url_patterns  # noqa: B018 - imports every urls module (the API's serializers with them)
    reverse("exceptions:queue")  # builds the resolvers' reverse maps
    engine = engines["django"]
    names = sorted(p.relative_to(TEMPLATES).as_posix() for p in TEMPLATES.rglob("*.html"))
    for name in names:
        engine.get_template(name)
    translation.activate(translation.get_language() or "en")
    translation.deactivate()
    tasks = len(celery_app.tasks)  # finalizes the app: its task registry
    connections.close_all()
    gc.collect()
    gc.freeze()
    return {"templates": len(names), "tasks": tasks, "frozen_objects": gc.get_freeze_count()}
