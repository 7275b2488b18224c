"""gunicorn's settings for production (README, "Production"): `gunicorn -c gunicorn.conf.py replenish.wsgi`.
Options given on the command line (--workers, --bind) take precedence over these.

The application is loaded and warmed once in the master (replenish.wsgi.warm_up: URLconf, templates, the Celery
task registry, gc.freeze), then forked: a worker, at the start and whenever one is replaced, does not redo that work
(its first queue page still costs more than the later ones: README, "Production")."""

import os

bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")  # behind the TLS proxy (README)
workers = int(os.environ.get("WEB_CONCURRENCY", 2 * (os.cpu_count() or 1)))  # 2 x cores
# a few threads a worker (gthread): a short request (the tabs, a drawer) is not queued behind a worker's long one; each
# thread keeps its own database connection (CONN_MAX_AGE), so workers x threads connections
worker_class = "gthread"
threads = int(os.environ.get("GUNICORN_THREADS", 4))
timeout = 60
preload_app = True


def when_ready(server) -> None:
    """In the master, after the application is loaded and before the first worker is forked."""
    from replenish.wsgi import warm_up

    server.log.info("warmed up before forking the workers: %s", warm_up())
