from django.core.management.base import BaseCommand, CommandParser

from integrations.demo import demo_asn_changes


class Command(BaseCommand):
    help = (
        "Demo: write an 856 with later arrival dates for some open POs and ingest it through the EDI inbox."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--count", type=int, default=10)
        parser.add_argument("--seed", type=int, default=7)

    def handle(self, *args, **options) -> None:
        message = demo_asn_changes(count=options["count"], seed=options["seed"])
        if message is None:
            self.stdout.write("No open purchase orders: no ship notice written.")
            return
        self.stdout.write(f"856 ingested: inbox message {message.pk}, {message.status}")
        for item in message.summary.get("sets", []):
            self.stdout.write(
                f"  {item['set']} {item['control_number']}: {item['status']} {item.get('summary', {})}"
            )
