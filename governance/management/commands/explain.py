"""manage.py explain SKU LOCATION [--json]: everything behind one SKU-location's plan (as on its page)."""

import json

from django.core.management.base import BaseCommand, CommandError, CommandParser

from governance.explain.selectors import sku_location_explain
from governance.explain.text import explain_text
from replenish.models import ItemLocation


class Command(BaseCommand):
    help = (
        "Explain one SKU-location: demand and forecast, lead time, the policy derivation, supply, decisions."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("sku")
        parser.add_argument("location", help="location code")
        parser.add_argument("--json", action="store_true", help="the same content as the API, as JSON")

    def handle(self, *args, **options) -> None:
        item_location = (
            ItemLocation.objects.select_related("item", "location", "buyer")
            .filter(item__sku=options["sku"], location__code=options["location"])
            .first()
        )
        if item_location is None:
            raise CommandError(f"No SKU-location {options['sku']} at {options['location']}.")
        explained = sku_location_explain(item_location)
        if options["json"]:
            self.stdout.write(json.dumps(explained, indent=2, default=str))
        else:
            self.stdout.write(explain_text(explained))
