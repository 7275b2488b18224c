from pathlib import Path

from django.core.management.base import BaseCommand, CommandParser

from integrations.files.export import export_scenario


class Command(BaseCommand):
    help = (
        "Export the network (master data, balances, open orders, demand) as CSV files in the import formats."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("directory", type=Path)

    def handle(self, *args, **options) -> None:
        counts = export_scenario(options["directory"])
        for kind, n in counts.items():
            self.stdout.write(f"{kind}.csv: {n:,} rows")
        self.stdout.write(f"Load order: {options['directory'] / 'LOAD_ORDER.txt'}")
