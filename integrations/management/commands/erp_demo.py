"""`make erp-demo`: a local Tryton holding the demo network, DistOps pulling from it and posting to it."""

from __future__ import annotations

import time
from pathlib import Path

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser

from integrations.erp.sync import erp_pull
from integrations.erp.tryton.adapter import TrytonErpAdapter
from integrations.erp.tryton.client import TrytonClient
from integrations.erp.tryton.demo import network_from_distops, tryton_database_ensure, tryton_start
from integrations.erp.tryton.network import network_load
from replenish.models import Item


class Command(BaseCommand):
    help = "Start a local Tryton (SQLite under var/tryton), load the demo network into it, pull it, and serve DistOps."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--port", type=int, default=8801, help="trytond's port")
        parser.add_argument("--dir", default=str(Path(settings.BASE_DIR) / "var" / "tryton"))
        parser.add_argument("--database", default="distops_demo")
        parser.add_argument(
            "--skus", type=int, default=150, help="items of the demo network loaded into Tryton"
        )
        parser.add_argument("--locations", type=int, default=3)
        parser.add_argument(
            "--serve", default="127.0.0.1:8000", help="where DistOps serves ('' = do not serve)"
        )

    def handle(self, *args, **options) -> None:
        if not Item.objects.exists():
            call_command(
                "demo_setup", skus=options["skus"], locations=options["locations"], stdout=self.stdout
            )
        directory, port, database = Path(options["dir"]), options["port"], options["database"]
        self.stdout.write(f"Tryton database {database} in {directory} (made once, about 30 s)...")
        config = tryton_database_ensure(directory, database=database, password="admin", port=port)
        server = tryton_start(config, database=database, port=port, log=directory / "trytond.log")
        url = f"http://127.0.0.1:{port}/{database}/"
        try:
            settings.DISTOPS_ERP_ADAPTER, settings.DISTOPS_TRYTON_URL = "tryton", url
            settings.DISTOPS_TRYTON_USER, settings.DISTOPS_TRYTON_PASSWORD = "admin", "admin"
            client = TrytonClient(url, user="admin", password="admin", timeout=120)
            network = network_from_distops(skus=options["skus"])
            skus = [r["sku"] for r in network["items"]]
            if not client.search_read("product.product", [("code", "in", skus[:1])], fields=["id"]):
                started = time.monotonic()
                counts = network_load(client, network)
                self.stdout.write(f"Loaded into Tryton in {time.monotonic() - started:.1f} s: {counts}")
            started = time.monotonic()
            report = erp_pull(adapter=TrytonErpAdapter(client))
            records = {entity: line["records"] for entity, line in report.items()}
            self.stdout.write(f"Pulled from Tryton in {time.monotonic() - started:.1f} s: {records}")
            self.stdout.write(
                self.style.SUCCESS(
                    f"Tryton serves {url} (login admin / admin). DistOps posts approved actions to it: approve a "
                    f"purchase exception as a buyer and it becomes a Tryton purchase (purchase.purchase, "
                    f"reference = the decision's key)."
                )
            )
            if options["serve"]:
                call_command("runserver", options["serve"], use_reloader=False)
        finally:
            server.terminate()
            server.wait(timeout=20)
