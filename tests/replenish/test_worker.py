import time

import pytest

from replenish.models import WorkerHeartbeat
from replenish.tasks import worker_heartbeat_task


@pytest.mark.django_db
def test_heartbeat_in_process_records_the_worker():
    worker_heartbeat_task.delay()
    beat = WorkerHeartbeat.objects.get()
    assert beat.tasks_seen == 1


@pytest.mark.redis
@pytest.mark.celery_worker
@pytest.mark.django_db(transaction=True)
def test_live_worker_executes_a_task_through_redis():
    # given a real broker and a worker started outside this process on the same test database
    result = worker_heartbeat_task.delay()
    # when the worker has run it
    hostname = result.get(timeout=60)
    # then the row it wrote is visible here, written by another process
    deadline = time.monotonic() + 10
    while not WorkerHeartbeat.objects.filter(hostname=hostname).exists() and time.monotonic() < deadline:
        time.sleep(0.2)
    beat = WorkerHeartbeat.objects.get(hostname=hostname)
    assert hostname.startswith("ci-worker@")
    assert beat.tasks_seen >= 1
