"""`make erp-demo`: a local Tryton on SQLite (under var/tryton, gitignored) holding the demo network, and DistOps
pulling from it and posting to it.

The network loaded into Tryton is the demo's own (the first `skus` items of the DistOps demo database, with their
suppliers, stock, open orders and min-max as order points), so DistOps' plans and exceptions line up with what
Tryton holds: after the pull the same rows carry Tryton's ids. A buyer's approval then becomes a Tryton purchase.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

from replenish import models as m

MODULES = ("stock", "purchase", "sale", "stock_supply")


def _bin(name: str) -> str:
    """Tryton's commands: from the virtualenv `make install-tryton` makes (.venv-tryton), else this one, else PATH."""
    from django.conf import settings

    for folder in (Path(settings.BASE_DIR) / ".venv-tryton" / "bin", Path(sys.executable).parent):
        if (folder / name).exists():
            return str(folder / name)
    return shutil.which(name) or name


def tryton_database_ensure(directory: Path, *, database: str, password: str, port: int) -> Path:
    """trytond.conf and a SQLite database with the modules activated (made once: about 30 s)."""
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "db").mkdir(exist_ok=True)
    config = directory / "trytond.conf"
    config.write_text(
        f"[database]\nuri = sqlite://\npath = {directory.resolve() / 'db'}\n[web]\nlisten = 127.0.0.1:{port}\n"
    )
    db_file = directory / "db" / f"{database}.sqlite"
    if not db_file.exists():
        passfile = directory / "admin-password"
        passfile.write_text(password + "\n")
        db_file.touch()
        subprocess.run(
            [
                _bin("trytond-admin"),
                "-c",
                str(config),
                "-d",
                database,
                "--all",
                "--activate-dependencies",
                "-u",
                *MODULES,
                "--email",
                "admin@example.com",
            ],
            check=True,
            env={**os.environ, "TRYTONPASSFILE": str(passfile)},
            stdout=subprocess.DEVNULL,
        )
    return config


def tryton_start(config: Path, *, database: str, port: int, log: Path) -> subprocess.Popen:
    """`trytond -d DATABASE` (without -d the pool is not loaded), and wait until it answers."""
    process = subprocess.Popen(
        [_bin("trytond"), "-c", str(config), "-d", database], stdout=log.open("w"), stderr=subprocess.STDOUT
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"trytond stopped at once: see {log}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return process
        except OSError:
            time.sleep(0.3)
    process.terminate()
    raise RuntimeError(f"trytond did not answer on port {port} within 60 s: see {log}")


def _rows(queryset, **columns) -> list[dict]:
    names = list(columns.values())
    return [dict(zip(columns, values)) for values in queryset.values_list(*names)]


def _order_rows(lines, **columns) -> list[dict]:
    common = {
        "line": "line_number",
        "location": "order__location__code",
        "sku": "item__sku",
        "quantity": "quantity_ordered",
        "order_date": "order__order_date",
    }
    return _rows(lines.order_by("order__number", "line_number"), **columns, **common)


def network_from_distops(*, skus: int) -> dict[str, list[dict]]:
    """The first `skus` items of the DistOps network (and what they need) in the shapes network_load takes."""
    item_ids = list(
        m.Item.objects.filter(item_locations__isnull=False)
        .distinct()
        .order_by("sku")
        .values_list("pk", flat=True)[:skus]
    )
    lines = m.PurchaseOrderLine.objects.filter(
        item_id__in=item_ids, status__in=("open", "accepted", "changed")
    )
    sales = m.SalesOrderLine.objects.filter(item_id__in=item_ids, status__in=("open", "backordered"))
    ils = m.ItemLocation.objects.filter(item_id__in=item_ids)
    return {
        "locations": _rows(m.Location.objects.all(), code="code", name="name"),
        "suppliers": _rows(m.Supplier.objects.all(), code="code", name="name"),
        "customers": _rows(
            m.Customer.objects.filter(sales_orders__lines__in=sales).distinct(), code="code", name="name"
        ),
        "items": _rows(
            m.Item.objects.filter(pk__in=item_ids),
            sku="sku",
            description="description",
            unit_cost="unit_cost",
            unit_price="unit_price",
        ),
        "supplier_items": _rows(
            m.SupplierItem.objects.filter(item_id__in=item_ids),
            supplier="supplier__code",
            sku="item__sku",
            supplier_part_number="supplier_part_number",
            unit_cost="unit_cost",
            moq="moq",
            lead_time_days="contracted_lead_time_days",
            primary="is_primary",
        ),
        "balances": _rows(ils, sku="item__sku", location="location__code", on_hand="on_hand"),
        "purchase_orders": _order_rows(
            lines,
            po_number="order__number",
            supplier="order__supplier__code",
            unit_cost="unit_cost",
            promised_date="promised_date",
        ),
        "sales_orders": _order_rows(
            sales,
            order_number="order__number",
            customer="order__customer__code",
            unit_price="unit_price",
            requested_date="requested_ship_date",
        ),
        "order_points": [
            {"sku": r["sku"], "location": r["location"], "min": r["min"], "max": max(r["max"], r["min"])}
            for r in _rows(
                ils.filter(static_max__gt=0),
                sku="item__sku",
                location="location__code",
                min="static_min",
                max="static_max",
            )
        ],
    }
