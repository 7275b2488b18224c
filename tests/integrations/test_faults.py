"""Fault tests with real processes: a Celery worker killed in the middle of an ERP posting, a broker outage, and
concurrent relays on PostgreSQL.

The worker is our own subprocess (`celery -A replenish worker`) on the test database, with a Redis database of its
own (DISTOPS_FAULT_REDIS_DB, default 12) so that the CI's live worker (on REDIS_URL) never takes these tasks: that
worker has no ERP configured and would post through the loopback adapter. The ERP is the reference server on
127.0.0.1 in a thread of this process, so it outlives the killed worker and counts what it received.

The broker outage is simulated by pointing the producer (this process) and a first worker at a closed port, then
starting a worker on the real Redis: the shared Redis is never restarted, so other test runs are not disturbed.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path
from urllib.parse import urlparse

import pytest
from celery import Celery
from django.db import connection, connections, transaction

from integrations.models import OutboxMessage, PostingAttempt
from integrations.outbox import outbox_relay
from integrations.services import outbox_enqueue

ROOT = Path(__file__).resolve().parents[2]
CELERY = str(Path(sys.executable).with_name("celery"))


def fault_broker_url() -> str:
    parsed = urlparse(os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/0")
    return f"redis://{parsed.hostname or '127.0.0.1'}:{parsed.port or 6379}/{os.environ.get('DISTOPS_FAULT_REDIS_DB', '12')}"


def database_url() -> str:
    s = connection.settings_dict
    password = f":{s['PASSWORD']}" if s.get("PASSWORD") else ""
    return f"postgres://{s['USER']}{password}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"


class Worker:
    """`celery -A replenish worker` in its own process group, consuming one private queue."""

    def __init__(self, *, broker: str, erp_url: str, queue: str, lease_seconds: int = 4):
        self.queue = queue
        self.log_path = Path(f"/tmp/distops-fault-worker-{uuid.uuid4().hex[:8]}.log")
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "replenish.settings_test",
            "DATABASE_URL": database_url(),
            "REDIS_URL": broker,
            "ERP_BASE_URL": erp_url,
            "OUTBOX_LEASE_SECONDS": str(lease_seconds),
            "CONN_MAX_AGE": "0",
            "PYTHONUNBUFFERED": "1",
        }
        env.pop("TEST_DATABASE_NAME", None)
        self.log = self.log_path.open("w")
        self.process = subprocess.Popen(
            [
                CELERY,
                "-A",
                "replenish",
                "worker",
                "--loglevel=INFO",
                "--concurrency=1",
                "-Q",
                queue,
                "--hostname",
                f"fault-{uuid.uuid4().hex[:6]}@%h",
                "--without-heartbeat",
                "--without-gossip",
                "--without-mingle",
            ],
            cwd=ROOT,
            env=env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def wait_ready(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if "ready" in self.log_path.read_text():
                return
            if self.process.poll() is not None:
                break
            time.sleep(0.2)
        raise AssertionError(f"the worker did not start:\n{self.log_path.read_text()[-3000:]}")

    def kill(self) -> None:
        """SIGKILL the whole process group: no cleanup, no ack, like a machine losing power."""
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)
        self.log.close()

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=10)
        self.log.close()


def send_relay(broker: str, queue: str) -> None:
    client = Celery("fault-test-client", broker=broker, set_as_current=False)  # never the tasks' default app
    client.send_task("integrations.tasks.outbox_relay_task", queue=queue)
    client.close()


def wait_for(predicate, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


@pytest.fixture
def workers():
    started: list[Worker] = []

    def start(**kwargs) -> Worker:
        worker = Worker(**kwargs)
        started.append(worker)
        return worker

    yield start
    for worker in started:
        if worker.process.poll() is None:
            worker.stop()
        worker.log_path.unlink(missing_ok=True)
    _forget_queues(fault_broker_url(), {w.queue for w in started})


def _forget_queues(broker: str, queues: set[str]) -> None:
    """Remove what the test runs left in the broker: their private queues, bindings and unacked messages (the
    killed worker's message would otherwise be restored to a queue nobody reads, an hour later)."""
    import json

    import redis

    client = redis.Redis.from_url(broker)
    try:
        for queue in queues:
            client.delete(queue, f"_kombu.binding.{queue}", f"_kombu.binding_permanent.{queue}")
        for tag, raw in client.hgetall("unacked").items():
            try:
                routing_key = json.loads(raw)[2]
            except (ValueError, IndexError, TypeError):
                continue
            if routing_key in queues:
                client.hdel("unacked", tag)
                client.zrem("unacked_index", tag)
    finally:
        client.close()


@pytest.mark.postgres
@pytest.mark.redis
@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_worker_killed_during_an_erp_posting_the_erp_receives_the_change_exactly_once(erp, workers):
    queue = f"faults-{uuid.uuid4().hex[:8]}"
    broker = fault_broker_url()
    # the ERP commits the change, then takes 8 s to answer: the worker will be killed while it waits
    erp.faults(post=[{"delay": 8.0, "after": True}])
    message = OutboxMessage.objects.create(
        kind="create_po",
        idempotency_key="exception-41:approve:v2",
        payload={"sku": "SKU-1", "location": "DC1", "quantity": 24},
        subject_type="exception",
        subject_id="41",
    )

    first = workers(broker=broker, erp_url=erp.url, queue=queue)
    first.wait_ready()
    send_relay(broker, queue)
    wait_for(lambda: erp.stats()["posts_received"] == 1, 30, "the first posting to reach the ERP")
    first.kill()

    message.refresh_from_db()
    assert (message.status, message.attempts) == ("sending", 1)  # claimed, posted, never answered
    assert len(erp.stats()["applied"]) == 1

    wait_for(
        lambda: OutboxMessage.objects.filter(pk=message.pk, claimed_until__lt=time_now()).exists(),
        20,
        "the dead worker's lease to expire",
    )
    second = workers(broker=broker, erp_url=erp.url, queue=queue)
    second.wait_ready()
    send_relay(broker, queue)
    wait_for(lambda: OutboxMessage.objects.get(pk=message.pk).status == "delivered", 60, "the re-posting")

    stats = erp.stats()
    message.refresh_from_db()
    assert stats["distinct_keys"] == 1 and len(stats["applied"]) == 1  # exactly one change in the ERP
    assert stats["posts_received"] == 2  # the second post was a duplicate delivery, deduplicated by the key
    assert message.erp_transaction_id == stats["applied"][0]["transaction_id"]
    assert message.attempts == 2 and message.outcome["duplicate"] is True
    attempts = list(PostingAttempt.objects.filter(message=message).order_by("number"))
    assert [(a.number, a.finished_at is None, a.ok) for a in attempts] == [(1, True, False), (2, False, True)]


def _forget_connections(app) -> None:
    """Forget the app's cached broker connection pools, so the next send connects to conf.broker_url (they are not
    closed: kombu's global producer registry may hand them to a later send)."""
    app._pool = None
    app.amqp._producer_pool = None


def time_now():
    from django.utils import timezone

    return timezone.now()


@pytest.mark.postgres
@pytest.mark.redis
@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_broker_outage_the_outbox_delivers_later(erp, workers, settings, caplog):
    from integrations.tasks import outbox_relay_task

    app = outbox_relay_task.app  # the app the task sends through (the current app)
    queue = f"faults-{uuid.uuid4().hex[:8]}"
    down = "redis://127.0.0.1:1/0"  # nothing listens on port 1: the broker is down
    settings.DISTOPS_ERP_URL = (
        ""  # were the relay to run in this process, it would post to the loopback, not here
    )
    previous = (app.conf.broker_url, app.conf.task_always_eager, app.conf.broker_connection_retry_on_startup)
    app.conf.broker_url, app.conf.task_always_eager = down, False
    _forget_connections(app)
    try:
        with transaction.atomic():
            message = outbox_enqueue(
                kind="expedite_request",
                idempotency_key="exception-7:approve:v1",
                payload={"po_number": "P-1", "line": 1, "new_date": "2024-05-02"},
                subject_type="exception",
                subject_id=7,
            )
    finally:
        app.conf.broker_url, app.conf.task_always_eager, app.conf.broker_connection_retry_on_startup = (
            previous
        )
        _forget_connections(app)
    assert "outbox relay not triggered" in caplog.text  # the commit stood; the kick found no broker

    stranded = workers(broker=down, erp_url=erp.url, queue=queue)  # a worker while the broker is down
    time.sleep(3)
    message.refresh_from_db()
    assert message.status == "pending" and erp.stats()["posts_received"] == 0
    stranded.stop()

    back = workers(broker=fault_broker_url(), erp_url=erp.url, queue=queue)  # the broker is back
    back.wait_ready()
    send_relay(fault_broker_url(), queue)  # what the beat schedule does every few seconds
    wait_for(lambda: OutboxMessage.objects.get(pk=message.pk).status == "delivered", 60, "the delivery")

    stats = erp.stats()
    assert stats["distinct_keys"] == 1 and stats["posts_received"] == 1
    assert stats["applied"][0]["key"] == "exception-7:approve:v1"


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_relays_never_post_the_same_message_twice(erp):
    erp.faults(post=[{"delay": 0.3}] * 8)
    ids = [
        OutboxMessage.objects.create(
            kind="change_po",
            idempotency_key=f"k-{i}",
            payload={"po_number": f"P{i}", "line": 1, "quantity": i + 1},
        ).pk
        for i in range(8)
    ]
    reports = []

    def relay(name: str) -> None:
        try:
            reports.append(outbox_relay(worker=name, batch=2))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=relay, args=(f"w{i}",)) for i in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    stats = erp.stats()
    assert stats["posts_received"] == 8 and stats["distinct_keys"] == 8
    assert (
        sorted(OutboxMessage.objects.filter(pk__in=ids).values_list("status", flat=True)) == ["delivered"] * 8
    )
    assert sum(r.claimed for r in reports) == 8 and sum(1 for r in reports if r.claimed) >= 2
