"""A small company network for the Tryton tests, under a prefix of the test's own."""

from __future__ import annotations

import datetime as dt
import uuid


def prefix() -> str:
    return f"T{uuid.uuid4().hex[:6].upper()}"


def small_company(p: str, today: dt.date | None = None) -> dict[str, list[dict]]:
    today = today or dt.date.today()
    day = lambda n: (today + dt.timedelta(days=n)).isoformat()  # noqa: E731
    return {
        "locations": [{"code": f"{p}DC", "name": "Central"}, {"code": f"{p}BR", "name": "Branch"}],
        "suppliers": [{"code": f"{p}-ACME", "name": "Acme Supply"}],
        "customers": [{"code": f"{p}-BOB", "name": "Bob's Garage"}],
        "items": [
            {"sku": f"{p}-A", "description": "Widget", "unit_cost": "2.00", "unit_price": "3.00"},
            {"sku": f"{p}-B", "description": "Gadget", "unit_cost": "5.00", "unit_price": "8.00"},
        ],
        "supplier_items": [
            {
                "supplier": f"{p}-ACME",
                "sku": f"{p}-A",
                "supplier_part_number": "ACME-A",
                "unit_cost": "1.90",
                "lead_time_days": 10,
                "primary": "true",
            },
            {
                "supplier": f"{p}-ACME",
                "sku": f"{p}-B",
                "supplier_part_number": "ACME-B",
                "unit_cost": "4.50",
                "lead_time_days": 12,
                "moq": 6,
                "primary": "true",
            },
        ],
        "balances": [
            {"sku": f"{p}-A", "location": f"{p}DC", "on_hand": 40},
            {"sku": f"{p}-A", "location": f"{p}BR", "on_hand": 7},
            {"sku": f"{p}-B", "location": f"{p}DC", "on_hand": 15},
        ],
        "purchase_orders": [
            {
                "po_number": f"{p}-P1",
                "supplier": f"{p}-ACME",
                "location": f"{p}DC",
                "sku": f"{p}-A",
                "quantity": 24,
                "unit_cost": "1.90",
                "order_date": day(0),
                "promised_date": day(10),
            },
            {
                "po_number": f"{p}-P1",
                "supplier": f"{p}-ACME",
                "location": f"{p}DC",
                "sku": f"{p}-B",
                "quantity": 6,
                "unit_cost": "4.50",
                "order_date": day(0),
                "promised_date": day(12),
            },
        ],
        "sales_orders": [
            {
                "order_number": f"{p}-S1",
                "customer": f"{p}-BOB",
                "location": f"{p}DC",
                "sku": f"{p}-A",
                "quantity": 5,
                "unit_price": "3.00",
                "order_date": day(0),
                "requested_date": day(3),
            },
        ],
        "order_points": [
            {"sku": f"{p}-A", "location": f"{p}DC", "min": 10, "max": 50},
            {"sku": f"{p}-B", "location": f"{p}DC", "min": 5, "max": 20},
        ],
    }
