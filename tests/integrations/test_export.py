"""export_scenario writes the network in the import formats; importing the files into an empty database gives the
same network back."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.core.management import call_command
from django.db.models import Sum

from integrations.files.importers import file_import
from integrations.models import InboxMessage
from replenish import models as m
from replenish.scenario.generate import ScenarioSpec
from replenish.scenario.load import network_clear, scenario_load

pytestmark = pytest.mark.django_db
SPEC = ScenarioSpec(skus=40, locations=2, weeks=20, seed=3, as_of=date(2024, 6, 3))


def fingerprint() -> dict:
    open_po = m.PurchaseOrderLine.objects.filter(status__in=("open", "accepted", "changed", "partial"))
    open_so = m.SalesOrderLine.objects.filter(status__in=("open", "backordered"))
    return {
        "locations": sorted(m.Location.objects.values_list("code", "name", "time_zone", "shipping_cutoff")),
        "suppliers": sorted(m.Supplier.objects.values_list("code", "contracted_lead_time_days")),
        "items": sorted(m.Item.objects.values_list("sku", "unit_cost", "unit_price", "base_uom")),
        "uoms": sorted(m.UomConversion.objects.values_list("item__sku", "uom", "factor")),
        "supplier_items": sorted(
            m.SupplierItem.objects.values_list(
                "supplier__code", "item__sku", "supplier_part_number", "pack_size", "is_primary"
            )
        ),
        "balances": sorted(
            m.ItemLocation.objects.values_list(
                "item__sku", "location__code", "on_hand", "allocated", "backordered"
            )
        ),
        "open_po_units": open_po.aggregate(n=Sum("quantity_ordered"))["n"],
        "open_po_lines": open_po.count(),
        "open_so_units": open_so.aggregate(n=Sum("quantity_ordered"))["n"],
        "customers": sorted(m.Customer.objects.values_list("code", "service_tier__code")),
        "demand": sorted(
            m.DemandHistory.objects.values_list(
                "item_location__item__sku", "item_location__location__code", "period_start", "quantity"
            )
        ),
    }


def test_exported_files_load_back_into_an_empty_database(tmp_path):
    scenario_load(SPEC)
    before = fingerprint()
    assert before["open_po_lines"] > 0 and len(before["demand"]) > 100

    call_command("export_scenario", str(tmp_path))
    network_clear()
    assert not m.Item.objects.exists()
    order = [
        line.split()[0]
        for line in (tmp_path / "LOAD_ORDER.txt").read_text().splitlines()
        if line and not line.startswith("#")
    ]
    for kind in order:
        message = file_import(kind=kind, data=(tmp_path / f"{kind}.csv").read_bytes(), filename=f"{kind}.csv")
        assert message.status == InboxMessage.Status.APPLIED, (kind, message.reason, message.errors[:3])

    assert fingerprint() == before


def test_demo_asn_changes_on_a_generated_scenario():
    from integrations.demo import demo_asn_changes

    scenario_load(SPEC)
    shipments_before = m.Shipment.objects.count()

    message = demo_asn_changes(count=5, slip_days=(7, 7))

    assert message.status == InboxMessage.Status.APPLIED, (message.reason, message.errors[:3])
    (item,) = message.summary["sets"]
    shipment = m.Shipment.objects.get(number=item["summary"]["shipment"])
    assert m.Shipment.objects.count() == shipments_before + 1
    promised = max(
        m.PurchaseOrderLine.objects.filter(shipment_lines__shipment=shipment).values_list(
            "promised_date", flat=True
        )
    )
    assert shipment.expected_arrival == max(promised, shipment.ship_date) + timedelta(days=7)
    assert set(shipment.lines.values_list("po_line__order__supplier", flat=True)) == {shipment.supplier_id}


def test_demo_asn_changes_ship_to_one_destination_in_a_multi_location_network():
    from integrations.demo import demo_asn_changes

    scenario_load(ScenarioSpec(skus=400, locations=5, weeks=30, seed=2, as_of=SPEC.as_of))
    message = demo_asn_changes()  # the defaults make run uses
    assert message.status == InboxMessage.Status.APPLIED, (message.reason, message.errors[:3])
    (item,) = message.summary["sets"]
    shipment = m.Shipment.objects.get(number=item["summary"]["shipment"])
    assert set(shipment.lines.values_list("po_line__order__location", flat=True)) == {shipment.location_id}
