"""Master-data quality gates and the flags that keep SKU-locations out of auto-execution."""

from __future__ import annotations

from decimal import Decimal

import pytest

from integrations.files.importers import file_import
from integrations.models import DataQualityIssue
from integrations.quality import data_quality_issue_resolve
from integrations.selectors import quality_flags_for
from replenish import models as m
from replenish.core.models import AuditEvent
from tests import factories as f
from tests.integrations import factories as ff

pytestmark = pytest.mark.django_db


def open_codes() -> set[tuple[str, str]]:
    return set(DataQualityIssue.objects.filter(status="open").values_list("code", "message"))


def test_supplier_item_file_opens_contradictory_uom_lead_time_and_zero_cost_issues():
    f.supplier(code="S1", contracted_lead_time_days=10)
    bolt = f.item(sku="BOLT")
    f.item(sku="NUT")
    f.item(sku="WASHER")
    m.UomConversion.objects.create(item=bolt, uom="CA", factor=Decimal(24))
    data = (
        b"supplier,sku,supplier_part_number,purchase_uom,pack_size,unit_cost,lead_time_days\n"
        b"S1,BOLT,P-B,CA,12,1.00,10\nS1,NUT,P-N,EA,1,0,12\nS1,WASHER,P-W,EA,1,0.10,400\n"
    )

    message = file_import(kind="supplier_items", data=data)

    assert message.status == "applied", message.reason
    assert open_codes() == {
        (
            "contradictory_uom",
            "Item BOLT: supplier S1 sells it in CA of 12, but the item's conversion says 1 CA = 24 EA.",
        ),
        ("zero_cost", "Supplier S1 quotes NUT at a unit cost of 0."),
        ("lead_time_outlier", "Lead time of WASHER from S1: 400 days is more than 180 days."),
    }

    # the fixed file resolves them by itself
    fixed = (
        b"supplier,sku,supplier_part_number,purchase_uom,pack_size,unit_cost,lead_time_days\n"
        b"S1,BOLT,P-B,CA,24,1.00,10\nS1,NUT,P-N,EA,1,0.05,12\nS1,WASHER,P-W,EA,1,0.10,30\n"
    )
    file_import(kind="supplier_items", data=fixed)

    assert open_codes() == set()
    assert DataQualityIssue.objects.filter(status="resolved").count() == 3


def test_lead_time_against_the_suppliers_own_and_base_unit_factor():
    f.supplier(code="S2", contracted_lead_time_days=5)
    f.item(sku="A", base_uom="EA")
    file_import(
        kind="supplier_items",
        data=b"supplier,sku,supplier_part_number,unit_cost,lead_time_days\nS2,A,PA,1,21\n",
    )
    file_import(kind="uom_conversions", data=b"sku,uom,factor\nA,EA,2\n")

    codes = {c for c, _m in open_codes()}
    assert codes == {"lead_time_outlier", "contradictory_uom"}
    assert any("21 days is more than 4 x the supplier's contracted 5 days" in msg for _c, msg in open_codes())


def test_supplier_with_an_implausible_lead_time_is_flagged():
    file_import(kind="suppliers", data=b"code,name,contracted_lead_time_days\nS9,Slow,500\nS8,Zero,0\n")

    assert {c for c, _m in open_codes()} == {"lead_time_outlier"}
    assert DataQualityIssue.objects.filter(status="open", item__isnull=True).count() == 2


def test_same_fault_twice_is_one_open_issue():
    file_import(kind="items", data=b"sku,description,unit_cost,unit_price\nZ,zero,0,1\n")
    file_import(kind="items", data=b"sku,description,unit_cost,unit_price\nZ,zero again,0,1\n")

    assert DataQualityIssue.objects.filter(code="zero_cost", status="open").count() == 1


def test_quality_flags_for_sku_locations_in_three_queries(django_assert_num_queries):
    dc, br = f.location(code="DC"), f.location(code="BR")
    bolt, nut, washer = f.item(sku="BOLT"), f.item(sku="NUT"), f.item(sku="WASHER")
    slow = f.supplier(code="SLOW")
    ff.supplier_item(supplier=slow, item=washer, part="W", is_primary=True)
    il = {
        (i.sku, loc.code): m.ItemLocation.objects.create(
            item=i, location=loc, external_id=f"{i.sku}{loc.code}"
        )
        for i in (bolt, nut, washer)
        for loc in (dc, br)
    }
    DataQualityIssue.objects.create(code="zero_cost", item=bolt, fingerprint="a", message="x")
    DataQualityIssue.objects.create(
        code="contradictory_uom", item=nut, location=br, fingerprint="b", message="x"
    )
    DataQualityIssue.objects.create(code="lead_time_outlier", supplier=slow, fingerprint="c", message="x")
    DataQualityIssue.objects.create(code="unmapped_code", supplier=slow, fingerprint="d", message="x")
    DataQualityIssue.objects.create(
        code="zero_cost", item_location=il[("NUT", "DC")], fingerprint="e", message="x"
    )
    DataQualityIssue.objects.create(
        code="zero_cost", item=nut, fingerprint="f", message="x", status="resolved"
    )
    ids = [x.pk for x in il.values()]

    with django_assert_num_queries(3):
        flags = quality_flags_for(ids)

    assert flags == {
        il[("BOLT", "DC")].pk: ["zero_cost"],
        il[("BOLT", "BR")].pk: ["zero_cost"],
        il[("NUT", "DC")].pk: ["zero_cost"],
        il[("NUT", "BR")].pk: ["contradictory_uom"],
        il[("WASHER", "DC")].pk: ["lead_time_outlier"],
        il[("WASHER", "BR")].pk: ["lead_time_outlier"],
    }
    assert quality_flags_for([]) == {}


def test_resolving_an_issue_clears_the_flag_and_is_audited():
    il = f.item_location()
    issue = DataQualityIssue.objects.create(code="zero_cost", item=il.item, fingerprint="z", message="x")
    assert quality_flags_for([il.pk]) == {il.pk: ["zero_cost"]}

    data_quality_issue_resolve(issue=issue, actor=ff.user("manager"), note="fixed in the ERP")

    assert quality_flags_for([il.pk]) == {}
    event = AuditEvent.objects.get(action="data_quality_resolved")
    assert event.payload["note"] == "fixed in the ERP"
