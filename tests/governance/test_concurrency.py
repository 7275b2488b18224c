"""PostgreSQL: concurrent writers keep the audit chain linear; concurrent approvals of one exception, one winner."""

import threading

import pytest
from django.db import connection, transaction

from replenish.core.audit import audit_record, verify_chain
from replenish.core.models import AuditEvent

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def _run_threads(target, n: int) -> list:
    """Run target(i) in n threads released together, each on its own database connection; return errors."""
    barrier = threading.Barrier(n)
    errors: list = []

    def body(i: int) -> None:
        from django.db import connections

        try:
            barrier.wait(timeout=10)
            target(i)
        except Exception as err:  # noqa: BLE001 - collected and asserted by the test
            errors.append(err)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=body, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    return errors


def test_parallel_appends_keep_one_linear_chain():
    writers, per_writer = 6, 15
    own_connections = set()

    def append_many(i: int) -> None:
        own_connections.add(id(connection.connection) if connection.connection else None)
        for j in range(per_writer):
            with transaction.atomic():
                audit_record(
                    kind="system",
                    action="concurrency",
                    actor=None,
                    subject_type="writer",
                    subject_id=i,
                    payload={"n": j},
                )
                own_connections.add(id(connection.connection))

    errors = _run_threads(append_many, writers)
    assert errors == []
    total = writers * per_writer
    assert list(AuditEvent.objects.order_by("sequence").values_list("sequence", flat=True)) == list(
        range(1, total + 1)
    )
    assert verify_chain() == (total, None)
    assert len(own_connections - {None}) >= writers  # each thread really had its own connection


def test_two_managers_approving_the_same_exception_at_once_exactly_one_wins():
    from django.contrib.auth import get_user_model

    from exceptions import services as exception_services
    from exceptions.errors import StaleVersion
    from exceptions.models import Decision, PlanningException
    from integrations.models import OutboxMessage

    from . import factories as f

    managers = [f.user("manager"), f.user("manager")]
    exc = f.awaiting_exception(maker=f.user("buyer"))
    version = exc.version
    outcomes: list = []

    def approve(i: int) -> None:
        actor = get_user_model().objects.get(pk=managers[i].pk)
        fresh = PlanningException.objects.get(pk=exc.pk)  # each thread read the row at the same version
        exception_services.exception_approve(exception=fresh, actor=actor, version=version, comment=f"m{i}")
        outcomes.append(i)

    errors = _run_threads(approve, 2)
    assert len(outcomes) == 1, (outcomes, errors)
    assert len(errors) == 1 and isinstance(errors[0], StaleVersion)
    assert "already decided" in str(errors[0])
    assert Decision.objects.filter(exception_id=exc.pk, action="approve").count() == 1
    assert AuditEvent.objects.filter(kind="decision", action="approve", subject_id=str(exc.pk)).count() == 1
    assert OutboxMessage.objects.filter(subject_type="exception", subject_id=str(exc.pk)).count() == 1
    assert PlanningException.objects.get(pk=exc.pk).status in ("approved", "posted")
    # the winner's commit kicked the relay (in-process in tests): one posting result
    assert AuditEvent.objects.filter(kind="posting").count() == 1
    assert verify_chain()[1] is None
