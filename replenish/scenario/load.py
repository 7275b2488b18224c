"""Write a generated scenario into the database at bulk speed (COPY on PostgreSQL)."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

from django.apps import apps
from django.db import connection, models, transaction

from replenish import models as m
from replenish.bulk import bulk_insert_frame, constraints_deferred, is_postgres, reset_sequences
from replenish.services import demo_users_ensure

from .generate import BUYERS_PER_NETWORK, ScenarioGenerator, ScenarioSpec

NETWORK_MODELS: list[type[models.Model]] = [
    m.Location,
    m.Supplier,
    m.ServiceTier,
    m.Customer,
    m.Item,
    m.UomConversion,
    m.SupplierItem,
    m.ItemLocation,
    m.DemandHistory,
    m.SalesOrder,
    m.SalesOrderLine,
    m.PurchaseOrder,
    m.PurchaseOrderLine,
    m.Shipment,
    m.ShipmentLine,
    m.TransferOrder,
    m.Receipt,
    m.ScenarioRun,
]


class ScenarioExists(RuntimeError):
    pass


@dataclass
class LoadSummary:
    counts: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0

    def add(self, name: str, n: int) -> None:
        self.counts[name] = self.counts.get(name, 0) + n


def _dependents_first(targets: list[type[models.Model]]) -> list[type[models.Model]]:
    """Every model that references a target (transitively), ordered so referencing tables are cleared first."""
    closure: list[type[models.Model]] = []
    seen: set[type[models.Model]] = set()

    def visit(model: type[models.Model]) -> None:
        if model in seen:
            return
        seen.add(model)
        for candidate in apps.get_models(include_auto_created=True):
            for f in candidate._meta.concrete_fields:
                if f.is_relation and f.related_model is model and candidate is not model:
                    visit(candidate)
        closure.append(model)

    for model in targets:
        visit(model)
    return list(reversed(closure))


def network_clear() -> None:
    ordered = _dependents_first(NETWORK_MODELS)
    with connection.cursor() as cursor:
        if is_postgres():
            tables = ", ".join(connection.ops.quote_name(x._meta.db_table) for x in ordered)
            cursor.execute(f"TRUNCATE {tables} RESTART IDENTITY CASCADE")
        else:
            for model in ordered:
                cursor.execute(f"DELETE FROM {connection.ops.quote_name(model._meta.db_table)}")


def scenario_load(
    spec: ScenarioSpec, *, replace: bool = False, progress: Callable[[str], None] | None = None
) -> LoadSummary:
    started = time.perf_counter()
    say = progress or (lambda _msg: None)
    summary = LoadSummary()
    generator = ScenarioGenerator(spec)
    with transaction.atomic():
        if m.Item.objects.exists() or m.Location.objects.exists():
            if not replace:
                raise ScenarioExists(
                    "The database already holds a network. Run with --replace to delete it and generate anew."
                )
            say("Deleting the existing network...")
            network_clear()
        users = demo_users_ensure(locations=spec.locations, buyers=BUYERS_PER_NETWORK)
        buyer_ids = [u.pk for u in users["buyers"]]
        for model, frame in [
            (m.Location, generator.locations()),
            (m.Supplier, generator.suppliers()),
            (m.ServiceTier, generator.service_tiers()),
            (m.Customer, generator.customers()),
        ]:
            summary.add(model._meta.db_table, bulk_insert_frame(model, frame))
        substitute_table = m.Item.substitutes.through
        with constraints_deferred(*NETWORK_MODELS, substitute_table):
            _load_chunks(generator, buyer_ids, summary, say)
        reset_sequences(*NETWORK_MODELS, substitute_table)
        m.ScenarioRun.objects.create(
            seed=spec.seed,
            skus=spec.skus,
            locations=spec.locations,
            weeks=spec.weeks,
            as_of=spec.as_of,
            counts=summary.counts,
        )
    if is_postgres():
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    summary.seconds = time.perf_counter() - started
    return summary


def _load_chunks(
    generator: ScenarioGenerator, buyer_ids: list[int], summary: LoadSummary, say: Callable[[str], None]
) -> None:
    substitute_table = m.Item.substitutes.through
    for number, chunk in enumerate(generator.chunks(), start=1):
        item_locations = chunk["item_locations"]
        item_locations["buyer_id"] = [buyer_ids[s] for s in item_locations.pop("buyer_slot")]
        subs = chunk["substitutes"]
        for model, frame in [
            (m.Item, chunk["items"]),
            (m.UomConversion, chunk["uoms"]),
            (substitute_table, subs),
            (m.SupplierItem, chunk["supplier_items"]),
            (m.ItemLocation, item_locations),
            (m.DemandHistory, chunk["demand"]),
            (m.SalesOrder, chunk["sales_orders"]),
            (m.SalesOrderLine, chunk["sales_order_lines"]),
            (m.PurchaseOrder, chunk["purchase_orders"]),
            (m.PurchaseOrderLine, chunk["purchase_order_lines"]),
            (m.Shipment, chunk["shipments"]),
            (m.ShipmentLine, chunk["shipment_lines"]),
            (m.TransferOrder, chunk["transfers"]),
            (m.Receipt, chunk["receipts"]),
        ]:
            summary.add(model._meta.db_table, bulk_insert_frame(model, frame))
        say(f"chunk {number}: items up to {chunk['items']['id'].iloc[-1]:,}")
