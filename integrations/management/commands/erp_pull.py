from django.core.management.base import BaseCommand, CommandParser

from integrations.erp.base import ENTITIES
from integrations.erp.sync import erp_pull


class Command(BaseCommand):
    help = "Pull changed records from the ERP (incremental by updated-since cursor)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "entities",
            nargs="*",
            help=f"default: all the configured adapter serves (REST: {', '.join(ENTITIES)})",
        )

    def handle(self, *args, **options) -> None:
        report = erp_pull(entities=options["entities"] or None)
        for entity, line in report.items():
            self.stdout.write(f"{entity}: {line}")
