"""Load a distribution network into a Tryton database through its API (the demo, the tests).

The network is given in DistOps' own record shapes (integrations/files/FORMATS.md): `locations`, `suppliers`,
`customers`, `items`, `supplier_items`, `balances`, `purchase_orders` and `sales_orders` (one row per line), and
`order_points` (`sku`, `location`, `min`, `max`). Tryton gets a company (if it has none), a warehouse per location
(with input, output and storage zones), a party per supplier and customer (with an address: Tryton asks for one
when a purchase or sale is confirmed), a product per item with its suppliers, lead times and prices, the stock as
an inventory per warehouse, the open purchases and sales confirmed (so they are processed: stock moves and
shipments), and the order points. Creates are batched: one call per kind and warehouse, not one per record.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from decimal import Decimal

from .client import TrytonClient


def company_ensure(client: TrytonClient, *, name: str = "DistOps Demo Co", currency: str = "USD") -> int:
    """The user's company; created (with its currency) when the database has none."""
    companies = client.search_read("company.company", [], fields=["id"], limit=1)
    if companies:
        company = companies[0]["id"]
    else:
        found = client.search_read("currency.currency", [("code", "=", currency)], fields=["id"])
        currency_id = (
            found[0]["id"]
            if found
            else client.create(
                "currency.currency",
                [
                    {
                        "name": currency,
                        "code": currency,
                        "symbol": "$",
                        "digits": 2,
                        "rounding": Decimal("0.01"),
                    }
                ],
            )[0]
        )
        (party,) = client.create("party.party", [{"name": name}])
        (company,) = client.create("company.company", [{"party": party, "currency": currency_id}])
    user = client.search_read("res.user", [("login", "=", client.user)], fields=["company"])[0]
    if user.get("company") != company:
        client.write("res.user", [user["id"]], {"companies": [("add", [company])], "company": company})
        client._context = None  # the preferences (company) changed
    return company


BATCH = 40  # records per create call: Tryton on SQLite builds one SQL expression per batch (its parser has limits)


def _create(client: TrytonClient, model: str, values: list[dict]) -> list[int]:
    ids: list[int] = []
    for start in range(0, len(values), BATCH):
        ids += client.create(model, values[start : start + BATCH])
    return ids


def _each(client: TrytonClient, model: str, method: str, ids: list[int]) -> None:
    for start in range(0, len(ids), BATCH):
        client.model(model, method, ids[start : start + BATCH])


def _ids(client: TrytonClient, model: str, codes, field: str = "code") -> dict[str, int]:
    codes = sorted({c for c in codes if c})
    if not codes:
        return {}
    rows = client.search_read(model, [(field, "in", codes)], fields=[field])
    return {r[field]: r["id"] for r in rows}


def warehouses_create(client: TrytonClient, locations: list[dict]) -> dict[str, dict]:
    lost = client.search_read("stock.location", [("type", "=", "lost_found")], fields=["id"], limit=1)[0][
        "id"
    ]
    existing = _ids(client, "stock.location", [r["code"] for r in locations])
    for row in locations:
        if row["code"] in existing:
            continue
        zones = client.create(
            "stock.location",
            [{"name": f"{row['code']} {zone}", "type": "storage"} for zone in ("Input", "Output", "Storage")],
        )
        client.create(
            "stock.location",
            [
                {
                    "name": row["name"],
                    "code": row["code"],
                    "type": "warehouse",
                    "input_location": zones[0],
                    "output_location": zones[1],
                    "storage_location": zones[2],
                    "lost_found_location": lost,
                }
            ],
        )
    rows = client.search_read(
        "stock.location",
        [("code", "in", [r["code"] for r in locations]), ("type", "=", "warehouse")],
        fields=["code", "input_location", "storage_location"],
    )
    return {r["code"]: r for r in rows}


def parties_create(client: TrytonClient, rows: list[dict]) -> dict[str, int]:
    existing = _ids(client, "party.party", [r["code"] for r in rows])
    new = [r for r in rows if r["code"] not in existing]
    if new:
        _create(
            client,
            "party.party",
            [{"name": r["name"], "code": r["code"], "addresses": [("create", [{}])]} for r in new],
        )
    return _ids(client, "party.party", [r["code"] for r in rows])


def products_create(
    client: TrytonClient, items: list[dict], supplier_items: list[dict], parties: dict
) -> dict:
    unit = client.search_read("product.uom", [("name", "=", "Unit")], fields=["id"])[0]["id"]
    existing = _ids(client, "product.product", [r["sku"] for r in items])
    new = [r for r in items if r["sku"] not in existing]
    if new:
        _create(
            client,
            "product.template",
            [
                {
                    "name": r.get("description") or r["sku"],
                    "type": "goods",
                    "default_uom": unit,
                    "purchase_uom": unit,
                    "sale_uom": unit,
                    "purchasable": True,
                    "salable": True,
                    "list_price": Decimal(str(r.get("unit_price") or 0)),
                    "products": [
                        (
                            "create",
                            [{"suffix_code": r["sku"], "cost_price": Decimal(str(r.get("unit_cost") or 0))}],
                        )
                    ],
                }
                for r in new
            ],
        )
    products = {
        r["code"]: r
        for r in client.search_read(
            "product.product", [("code", "in", [r["sku"] for r in items])], fields=["code", "template"]
        )
    }
    new_skus = {r["sku"] for r in new}
    values = [
        {
            "template": products[r["sku"]]["template"],
            "product": products[r["sku"]]["id"],
            "party": parties[r["supplier"]],
            "code": r.get("supplier_part_number") or r["sku"],
            "sequence": 1 if str(r.get("primary", "")).lower() in ("true", "1", "yes") else 10,
            "lead_time": dt.timedelta(days=int(r["lead_time_days"])) if r.get("lead_time_days") else None,
            "prices": [
                (
                    "create",
                    [{"quantity": float(r.get("moq") or 0), "unit_price": Decimal(str(r["unit_cost"]))}],
                )
            ],
        }
        for r in supplier_items
        if r["sku"] in new_skus and r["sku"] in products and r["supplier"] in parties
    ]
    _create(client, "purchase.product_supplier", values)
    return {sku: row["id"] for sku, row in products.items()}


def stock_create(client: TrytonClient, balances: list[dict], warehouses: dict, products: dict) -> int:
    by_location: dict[str, list[dict]] = defaultdict(list)
    for row in balances:
        if int(row.get("on_hand") or 0) > 0 and row["sku"] in products and row["location"] in warehouses:
            by_location[row["location"]].append(
                {"product": products[row["sku"]], "quantity": float(row["on_hand"])}
            )
    for code, lines in by_location.items():
        for start in range(0, len(lines), BATCH):  # an inventory per batch of products
            (inventory,) = client.create(
                "stock.inventory",
                [
                    {
                        "location": warehouses[code]["storage_location"],
                        "date": dt.date.today(),  # noqa: DTZ011 - Tryton's calendar day
                        "lines": [("create", lines[start : start + BATCH])],
                    }
                ],
            )
            client.model("stock.inventory", "confirm", [inventory])
    return sum(len(lines) for lines in by_location.values())


def _documents(rows: list[dict], number: str) -> dict[str, list[dict]]:
    documents: dict[str, list[dict]] = defaultdict(list)
    for row in rows:
        documents[row[number]].append(row)
    return documents


def _lines(lines: list[dict], *, unit: int, products: dict, price: str, dated: bool = False) -> list:
    """A document's lines to create, numbered by their line number (the order DistOps numbers them in)."""
    values = []
    for n, line in enumerate(lines, start=1):
        value = {
            "sequence": int(line.get("line") or n),
            "product": products[line["sku"]],
            "quantity": float(line["quantity"]),
            "unit": unit,
            "unit_price": Decimal(str(line.get(price) or 0)),
        }
        if dated:
            value["delivery_date_edit"] = True
            value["delivery_date_store"] = dt.date.fromisoformat(str(line["promised_date"]))
        values.append(value)
    return [("create", values)]


def purchases_create(client, rows, *, parties, warehouses, products) -> list[int]:
    unit = client.search_read("product.uom", [("name", "=", "Unit")], fields=["id"])[0]["id"]
    addresses = _first_addresses(client, parties.values())
    values = []
    for number, lines in _documents(rows, "po_number").items():
        head = lines[0]
        values.append(
            {
                "party": parties[head["supplier"]],
                "invoice_address": addresses.get(parties[head["supplier"]]),
                "warehouse": warehouses[head["location"]]["id"],
                "purchase_date": dt.date.fromisoformat(str(head["order_date"])),
                "invoice_method": "manual",
                "number": number,
                "reference": f"demo:{number}",
                "lines": _lines(lines, unit=unit, products=products, price="unit_cost", dated=True),
            }
        )
    ids = _create(client, "purchase.purchase", values)
    if ids:
        _each(client, "purchase.purchase", "quote", ids)
        _each(client, "purchase.purchase", "confirm", ids)
    return ids


def sales_create(client, rows, *, parties, warehouses, products) -> list[int]:
    unit = client.search_read("product.uom", [("name", "=", "Unit")], fields=["id"])[0]["id"]
    addresses = _first_addresses(client, parties.values())
    values = []
    for number, lines in _documents(rows, "order_number").items():
        head = lines[0]
        party = parties[head["customer"]]
        values.append(
            {
                "party": party,
                "invoice_address": addresses.get(party),
                "shipment_address": addresses.get(party),
                "warehouse": warehouses[head["location"]]["id"],
                "sale_date": dt.date.fromisoformat(str(head["order_date"])),
                "shipping_date": dt.date.fromisoformat(str(head["requested_date"])),
                "invoice_method": "manual",
                "shipment_method": "order",
                "number": number,
                "reference": f"demo:{number}",
                "lines": _lines(lines, unit=unit, products=products, price="unit_price"),
            }
        )
    ids = _create(client, "sale.sale", values)
    if ids:
        _each(client, "sale.sale", "quote", ids)
        _each(client, "sale.sale", "confirm", ids)
    return ids


def _first_addresses(client: TrytonClient, party_ids) -> dict[int, int]:
    rows = client.search_read(
        "party.address", [("party", "in", sorted(set(party_ids)))], fields=["party"], order=[("id", "ASC")]
    )
    first: dict[int, int] = {}
    for row in rows:
        first.setdefault(row["party"], row["id"])
    return first


def order_points_create(client, rows, *, warehouses, products) -> int:
    values = [
        {
            "product": products[r["sku"]],
            "location": warehouses[r["location"]]["id"],
            "type": "purchase",
            "min_quantity": float(r["min"]),
            "target_quantity": float(max(r["max"], r["min"])),
        }
        for r in rows
        if r["sku"] in products and r["location"] in warehouses
    ]
    _create(client, "stock.order_point", values)
    return len(values)


def network_load(client: TrytonClient, network: dict[str, list[dict]]) -> dict[str, int]:
    """Create the network in Tryton (what exists already, by code, is kept). Returns counts per kind."""
    company_ensure(client)
    warehouses = warehouses_create(client, network.get("locations", []))
    parties = parties_create(client, network.get("suppliers", []) + network.get("customers", []))
    products = products_create(client, network.get("items", []), network.get("supplier_items", []), parties)
    refs = {"parties": parties, "warehouses": warehouses, "products": products}
    return {
        "warehouses": len(warehouses),
        "parties": len(parties),
        "products": len(products),
        "stock_lines": stock_create(client, network.get("balances", []), warehouses, products),
        "purchases": len(purchases_create(client, network.get("purchase_orders", []), **refs)),
        "sales": len(sales_create(client, network.get("sales_orders", []), **refs)),
        "order_points": order_points_create(
            client, network.get("order_points", []), warehouses=warehouses, products=products
        ),
    }
