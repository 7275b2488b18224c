"""After a bulk refresh, the tables it wrote get fresh planner statistics (PostgreSQL runs with autovacuum off).

pg_class.reltuples is the planner's row count: -1 before a table's first ANALYZE, the exact count after ANALYZE of a
small table (every page sampled). Inside the test's transaction ANALYZE counts the rows this transaction inserted."""

import pytest
from django.db import connection

from exceptions.models import Decision, PlanningException
from exceptions.refresh import jobs
from exceptions.services import exceptions_refresh
from integrations.models import OutboxMessage
from replenish import models as m
from replenish.bulk import tables_analyze
from replenish.core.models import AuditEvent
from replenish.planning import refresh as planning
from replenish.planning.refresh import plan_refresh
from replenish.scenario.generate import ScenarioSpec
from replenish.scenario.load import scenario_load
from tests import factories as f
from tests.replenish.test_planning import AS_OF

pytestmark = pytest.mark.django_db


def planner_rows(model) -> float:
    with connection.cursor() as cursor:
        cursor.execute("SELECT reltuples FROM pg_class WHERE oid = %s::regclass", [model._meta.db_table])
        return cursor.fetchone()[0]


@pytest.mark.postgres
def test_analyze_gives_the_planner_the_rows_written_and_vacuum_waits_outside_a_transaction():
    f.location()
    for _ in range(37):
        f.supplier()
    statements = tables_analyze(m.Supplier, vacuum=[m.Location, m.Supplier])
    # in a transaction (this test's), VACUUM cannot run: ANALYZE alone, each table once
    assert statements == ['ANALYZE "replenish_location"', 'ANALYZE "replenish_supplier"']
    assert planner_rows(m.Supplier) == m.Supplier.objects.count() == 37
    assert planner_rows(m.Location) == m.Location.objects.count() == 1


@pytest.mark.postgres
def test_full_refreshes_analyze_what_they_wrote_and_a_partial_one_only_the_tasks(
    monkeypatch, django_capture_on_commit_callbacks
):
    scenario_load(ScenarioSpec(skus=120, locations=2, weeks=104, seed=5, as_of=AS_OF))
    analyzed: list[tuple] = []

    def recording(*models, vacuum=()):
        analyzed.append((set(models), set(vacuum)))
        return tables_analyze(*models, vacuum=vacuum)

    monkeypatch.setattr(planning, "tables_analyze", recording)
    monkeypatch.setattr(jobs, "tables_analyze", recording)
    with django_capture_on_commit_callbacks(execute=True):
        run = plan_refresh(as_of=AS_OF)
    assert analyzed[0] == ({m.SkuPlan, m.Recommendation}, set())
    assert planner_rows(m.SkuPlan) == m.SkuPlan.objects.filter(run=run).count() == 240
    assert planner_rows(m.Recommendation) == m.Recommendation.objects.count() > 0

    analyzed.clear()
    exceptions_refresh(run=run)
    assert analyzed == [({Decision, OutboxMessage, AuditEvent}, {PlanningException})]
    assert planner_rows(PlanningException) == PlanningException.objects.count() > 0
    assert planner_rows(AuditEvent) == AuditEvent.objects.count() > 0

    # a partial run (an event's few SKU-locations): the tasks' table only, not the large tables on the event's path
    analyzed.clear()
    with django_capture_on_commit_callbacks(execute=True):
        partial = plan_refresh(location_code="WH2", as_of=AS_OF)
    assert partial.scope == m.PlanRun.Scope.PARTIAL
    assert analyzed == [
        (set(), {PlanningException})
    ]  # the exceptions refresh the partial run's signal started


def test_sqlite_keeps_no_planner_statistics_so_nothing_runs():
    if connection.vendor == "postgresql":
        pytest.skip("SQLite only")
    assert tables_analyze(m.SkuPlan, vacuum=[PlanningException]) == []
