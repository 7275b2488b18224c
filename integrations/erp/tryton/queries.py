"""What the Tryton adapter reads for each entity: one page of records changed since a time, by id after a key.

A page is Tryton's own records (search_read results, related fields inlined with dotted names) so the inbox keeps
what Tryton said; `translate` turns them into DistOps rows. "Changed" is Tryton's `last_modified_at`
(write_date, or create_date for a record never written), also through the records a document is made of (a
purchase whose line changed, a product whose template changed).
"""

from __future__ import annotations

import datetime as dt

from .client import TrytonClient

UOM = ["symbol", "factor", "category"]


def changed(since: dt.datetime | None, *paths: str) -> list:
    """Records modified after `since` (directly or through the relations in `paths`); [] = all."""
    if since is None:
        return []
    clauses = [("last_modified_at", ">", since)] + [(f"{p}.last_modified_at", ">", since) for p in paths]
    return clauses[0] if len(clauses) == 1 else ["OR", *clauses]


def _page(client, model, domain, fields, *, after: int, limit: int) -> tuple[list[dict], bool]:
    """(up to `limit` records with an id above `after`, whether more follow)."""
    full = [("id", ">", after)] + ([domain] if domain else [])
    records = client.search_read(model, full, fields=fields, order=[("id", "ASC")], limit=limit + 1)
    return records[:limit], len(records) > limit


def _dotted(prefix: str, names: list[str]) -> list[str]:
    return [f"{prefix}.{n}" for n in names]


def warehouses(client: TrytonClient) -> list[dict]:
    return client.search_read(
        "stock.location", [("type", "=", "warehouse")], fields=["code", "name"], order=[("id", "ASC")]
    )


def pull_locations(client, since, after, limit):
    domain = [("type", "=", "warehouse")] + ([changed(since)] if since else [])
    return _page(client, "stock.location", domain, ["code", "name", "active"], after=after, limit=limit)


def _party_ids(client, model: str) -> list[int]:
    rows = client.search_read(model, [], fields=["party"])
    return sorted({r["party"] for r in rows if r.get("party")})


PARTY_FIELDS = ["code", "name", "active"]


def pull_suppliers(client, since, after, limit):
    ids = sorted(
        set(_party_ids(client, "purchase.product_supplier")) | set(_party_ids(client, "purchase.purchase"))
    )
    domain = [("id", "in", ids)] + ([changed(since)] if since else [])
    return _page(
        client,
        "party.party",
        domain,
        [*PARTY_FIELDS, "supplier_lead_time", "supplier_currency.code"],
        after=after,
        limit=limit,
    )


def pull_customers(client, since, after, limit):
    domain = [("id", "in", _party_ids(client, "sale.sale"))] + ([changed(since)] if since else [])
    return _page(client, "party.party", domain, PARTY_FIELDS, after=after, limit=limit)


def pull_items(client, since, after, limit):
    domain = [("type", "=", "goods")] + ([changed(since, "template")] if since else [])
    fields = [
        "code",
        "name",
        "active",
        "cost_price",
        "template.list_price",
        "template.purchasable",
        "product_suppliers",
        *_dotted("default_uom", UOM),
    ]
    return _page(client, "product.product", domain, fields, after=after, limit=limit)


def pull_supplier_items(client, since, after, limit):
    fields = [
        "code",
        "lead_time",
        "sequence",
        "party.code",
        "party.name",
        "product",
        "product.code",
        "product.product_suppliers",
        "template",
        "template.product_suppliers",
        *_dotted("template.default_uom", UOM),
        *_dotted("template.purchase_uom", UOM),
    ]
    records, more = _page(
        client, "purchase.product_supplier", changed(since, "prices"), fields, after=after, limit=limit
    )
    ids = [r["id"] for r in records]
    prices = client.search_read(
        "purchase.product_supplier.price",
        [("product_supplier", "in", ids)],
        fields=["product_supplier", "quantity", "unit_price"],
        order=[("quantity", "ASC"), ("id", "ASC")],
    )
    templates = sorted({r["template"] for r in records if not r.get("product")})
    variants = (
        client.search_read("product.product", [("template", "in", templates)], fields=["code", "template"])
        if templates
        else []
    )
    for record in records:
        record["prices"] = [p for p in prices if p["product_supplier"] == record["id"]]
        if not record.get("product"):
            record["variants"] = [v for v in variants if v["template"] == record["template"]]
    return records, more


def pull_balances(client, since, after, limit):
    """Stock per product and warehouse for the products whose moves changed (quantities in the product's unit)."""
    moves = client.search_read("stock.move", changed(since) if since else [], fields=["product"])
    product_ids = sorted({m["product"] for m in moves if m["product"] > after})
    stores = warehouses(client)
    per_page = max(1, limit // max(len(stores), 1))
    chosen = product_ids[:per_page]
    if not chosen:
        return [], False
    products = {
        p["id"]: p
        for p in client.search_read(
            "product.product", [("id", "in", chosen)], fields=["code", *_dotted("default_uom", UOM)]
        )
    }
    records = []
    for store in stores:
        quantities = client.search_read(
            "product.product",
            [("id", "in", chosen)],
            fields=["quantity"],
            context={"locations": [store["id"]], "with_childs": True},
        )
        for row in quantities:
            records.append(
                {
                    "id": row["id"],  # the product: pages are keyed (and resumed) by product id
                    "product": products.get(row["id"], {"id": row["id"]}),
                    "warehouse": {"id": store["id"], "code": store["code"], "name": store["name"]},
                    "quantity": row["quantity"],
                }
            )
    return sorted(records, key=lambda r: (r["id"], r["warehouse"]["id"])), len(product_ids) > per_page


PURCHASE_FIELDS = [
    "number",
    "state",
    "reference",
    "purchase_date",
    "create_date",
    "party.code",
    "party.name",
    "warehouse.code",
]
LINE_FIELDS = [
    "sequence",
    "type",
    "quantity",
    "unit_price",
    "product.code",
    *_dotted("unit", UOM),
    *_dotted("product.default_uom", UOM),
]
PURCHASE_LINE_FIELDS = [*LINE_FIELDS, "delivery_date", "product_supplier.lead_time"]
MOVE_FIELDS = ["origin", "state", "quantity", "planned_date", "effective_date", *_dotted("unit", UOM)]


def _with_lines(client, documents: list[dict], *, line_model: str, parent: str, move_field: str):
    ids = [d["id"] for d in documents]
    if not ids:
        return documents
    lines = client.search_read(
        line_model,
        [(parent, "in", ids), ("type", "=", "line")],
        fields=[parent, *PURCHASE_LINE_FIELDS],
        order=[("id", "ASC")],
    )
    moves = client.search_read(
        "stock.move", [(move_field, "in", ids)], fields=MOVE_FIELDS, order=[("id", "ASC")]
    )
    by_line: dict[str, list[dict]] = {}
    for move in moves:
        by_line.setdefault(str(move.get("origin") or ""), []).append(move)
    for document in documents:
        own = [line for line in lines if line[parent] == document["id"]]
        for line in own:
            line["moves"] = by_line.get(f"{line_model},{line['id']}", [])
        document["lines"] = own
    return documents


def pull_purchase_orders(client, since, after, limit):
    domain = [("state", "!=", "draft")] + ([changed(since, "lines")] if since else [])
    documents, more = _page(client, "purchase.purchase", domain, PURCHASE_FIELDS, after=after, limit=limit)
    _with_lines(client, documents, line_model="purchase.line", parent="purchase", move_field="purchase")
    return documents, more


def pull_incoming_shipments(client, since, after, limit):
    """Supplier shipments changed: their purchases again, with the moves' planned dates and receipts."""
    shipments, more = _page(
        client,
        "stock.shipment.in",
        changed(since, "incoming_moves") if since else [],
        ["number", "state", "planned_date", "incoming_moves"],
        after=after,
        limit=limit,
    )
    move_ids = [m for s in shipments for m in s["incoming_moves"]]
    moves = (
        client.search_read("stock.move", [("id", "in", move_ids)], fields=["purchase"]) if move_ids else []
    )
    purchase_ids = sorted({m["purchase"] for m in moves if m.get("purchase")})
    purchases = (
        client.search_read(
            "purchase.purchase",
            [("id", "in", purchase_ids), ("state", "!=", "draft")],
            fields=PURCHASE_FIELDS,
            order=[("id", "ASC")],
        )
        if purchase_ids
        else []
    )
    _with_lines(client, purchases, line_model="purchase.line", parent="purchase", move_field="purchase")
    for shipment in shipments:  # the page is keyed by shipment; each carries the purchases it touches
        touched = {
            m["purchase"] for m in moves if m["id"] in shipment["incoming_moves"] and m.get("purchase")
        }
        shipment["purchases"] = [p for p in purchases if p["id"] in touched]
    return shipments, more


SALE_FIELDS = [
    "number",
    "state",
    "reference",
    "sale_date",
    "create_date",
    "shipping_date",
    "party.code",
    "party.name",
    "warehouse.code",
]


def pull_sales_orders(client, since, after, limit):
    domain = [("state", "!=", "draft")] + ([changed(since, "lines")] if since else [])
    documents, more = _page(client, "sale.sale", domain, SALE_FIELDS, after=after, limit=limit)
    ids = [d["id"] for d in documents]
    if ids:  # a sale line's shipping date is its own field
        for document in documents:
            document["lines"] = []
        lines = client.search_read(
            "sale.line",
            [("sale", "in", ids), ("type", "=", "line")],
            fields=["sale", "shipping_date", *LINE_FIELDS],
            order=[("id", "ASC")],
        )
        moves = client.search_read(
            "stock.move", [("sale", "in", ids)], fields=MOVE_FIELDS, order=[("id", "ASC")]
        )
        by_line: dict[str, list[dict]] = {}
        for move in moves:
            by_line.setdefault(str(move.get("origin") or ""), []).append(move)
        by_id = {d["id"]: d for d in documents}
        for line in lines:
            line["moves"] = by_line.get(f"sale.line,{line['id']}", [])
            by_id[line["sale"]]["lines"].append(line)
    return documents, more


def pull_order_points(client, since, after, limit):
    domain = [("type", "=", "purchase")] + ([changed(since)] if since else [])
    fields = ["min_quantity", "target_quantity", "product.code", "location.code", *_dotted("unit", UOM)]
    return _page(client, "stock.order_point", domain, fields, after=after, limit=limit)


PULLS = {
    "locations": pull_locations,
    "suppliers": pull_suppliers,
    "customers": pull_customers,
    "items": pull_items,
    "supplier_items": pull_supplier_items,
    "balances": pull_balances,
    "purchase_orders": pull_purchase_orders,
    "incoming_shipments": pull_incoming_shipments,
    "sales_orders": pull_sales_orders,
    "order_points": pull_order_points,
}
