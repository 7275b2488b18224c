"""The queue's SKU search reads each task's copy of its item's SKU code (issue 12): every writer fills the copy, a
rename follows it, and the search finds what the item's code finds (prefix, any case; the description for words)."""

from importlib import import_module
from types import SimpleNamespace

import pytest
from django.apps import apps
from django.db import connection

from exceptions.filters import search_q
from exceptions.models import PlanningException, Status
from exceptions.services import exceptions_refresh
from integrations.files.importers import file_import
from replenish import models as m
from tests import factories as f
from tests.exceptions import factories as xf
from tests.integrations.test_files import csv_bytes

pytestmark = pytest.mark.django_db

CODES = ["VLV-1001", "vlv-2002", "BLT-3003", "SKU-Q4004"]


def item_sku(task: PlanningException) -> str:
    """The task's item's code read through its SKU-location (empty for a supplier's or a draft PO's task)."""
    return task.item_location.item.sku if task.item_location_id else ""


def matching(term: str) -> set[int]:
    """The tasks the search should find, from the items' codes and descriptions, not from the copied column."""
    upper = term.upper()
    found = set()
    for task in PlanningException.objects.select_related("item_location__item"):
        item = task.item_location.item if task.item_location_id else None
        if item and (
            item.sku.upper().startswith(upper)
            or (not upper.startswith("SKU") and term.lower() in item.description.lower())
        ):
            found.add(task.pk)
    return found


@pytest.fixture
def refreshed(users):
    """A refresh over SKU-locations coded in both cases, with transfers (tasks of their own) and purchase orders
    (lines of a draft PO, whose header has no SKU-location)."""
    run = xf.plan_run()
    for i, code in enumerate(CODES):
        il, _plan, _rec = xf.stockout_case(
            run=run, buyer=users["buyer1"], action="purchase_order" if i % 2 else "transfer"
        )
        il.item.sku = code
        il.item.save(update_fields=["sku"])
    exceptions_refresh(run=run)
    return run


def test_every_task_the_refresh_writes_carries_its_items_sku(refreshed):
    tasks = list(
        PlanningException.objects.exclude(status=Status.CLOSED).select_related("item_location__item")
    )
    assert {t.sku for t in tasks if t.item_location_id} == set(CODES)
    assert any(not t.item_location_id for t in tasks)  # a draft PO's header: no SKU-location, no SKU
    assert [t.sku for t in tasks] == [item_sku(t) for t in tasks]


def test_a_refresh_brings_a_stale_copy_back_to_the_items_code(refreshed):
    PlanningException.objects.exclude(item_location=None).update(sku="STALE")
    exceptions_refresh(run=refreshed)
    tasks = list(
        PlanningException.objects.exclude(status=Status.CLOSED).select_related("item_location__item")
    )
    assert [t.sku for t in tasks] == [item_sku(t) for t in tasks]


@pytest.mark.parametrize("term", ["vlv", "VLV-1", "vLv-20", "blt-3003", "sku-q", "SKU", "test item", "zzz"])
def test_the_search_finds_by_sku_prefix_in_any_case_as_the_items_code_does(refreshed, term):
    found = set(PlanningException.objects.filter(search_q(term)).values_list("pk", flat=True))
    assert found == matching(term)


def test_the_search_finds_the_same_tasks_as_the_join_to_the_item(refreshed):
    for term in ("vlv", "BLT", "sku-q4"):
        joined = PlanningException.objects.filter(item_location__item__sku__istartswith=term)
        copied = PlanningException.objects.filter(sku__istartswith=term)
        assert set(copied.values_list("pk", flat=True)) == set(joined.values_list("pk", flat=True))
        assert copied.exists()


def test_an_imported_sku_rename_follows_into_the_tasks_copy():
    header = "sku,description,unit_cost,unit_price,external_id\n"
    file_import(kind="items", data=csv_bytes(header + "OLD-1,X,1,2,E1\n"))
    task = xf.exception(item_location=f.item_location(item=m.Item.objects.get(sku="OLD-1")))
    assert task.sku == "OLD-1"

    file_import(kind="items", data=csv_bytes(header + "NEW-1,X,1,2,E1\n"))

    task.refresh_from_db()
    assert task.sku == "NEW-1"
    assert list(PlanningException.objects.filter(search_q("new-1"))) == [task]
    assert not PlanningException.objects.filter(search_q("old-1")).exists()


def test_the_migration_copies_each_tasks_item_sku(refreshed):
    PlanningException.objects.update(sku="")
    migration = import_module("exceptions.migrations.0011_sku_copy")
    with connection.cursor() as cursor:  # the schema editor's two members the function uses
        migration.copy_skus(apps, SimpleNamespace(connection=connection, execute=cursor.execute))
    tasks = list(PlanningException.objects.select_related("item_location__item"))
    assert {t.sku for t in tasks if t.item_location_id} == set(CODES)
    assert [t.sku for t in tasks] == [item_sku(t) for t in tasks]
