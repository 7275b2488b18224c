"""python manage.py import_file KIND FILE [--format wide-monthly --location CODE --create-missing]"""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser

from integrations.files.importers import FORMATS, file_import
from integrations.files.reader import FileFormatError
from integrations.files.specs import SPECS
from integrations.files.validate import describe
from integrations.models import InboxMessage


class Command(BaseCommand):
    help = "Import a CSV or XLSX file of one kind (integrations/files/FORMATS.md): all rows or none."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("kind", choices=sorted(SPECS))
        parser.add_argument("file", type=Path)
        parser.add_argument(
            "--format",
            choices=FORMATS,
            default="long",
            help="wide-monthly: demand with a month column and one column per part number",
        )
        parser.add_argument("--location", default="", help="wide-monthly: the location of the demand")
        parser.add_argument(
            "--create-missing",
            action="store_true",
            help="demand: create unknown items, locations and SKU-locations (flagged created_by_import)",
        )
        parser.add_argument("--sku-prefix", default="", help="wide-monthly: prefix added to each part number")

    def handle(self, *args, **options) -> None:
        path: Path = options["file"]
        if not path.is_file():
            raise CommandError(f"{path}: no such file")
        try:
            message = file_import(
                kind=options["kind"],
                data=path.read_bytes(),
                filename=path.name,
                options={
                    "format": options["format"] if options["format"] != "long" else None,
                    "location": options["location"],
                    "create_missing": options["create_missing"],
                    "sku_prefix": options["sku_prefix"],
                },
            )
        except FileFormatError as refused:  # a NUL byte: nothing was stored
            raise CommandError(f"{path.name}: REFUSED, nothing was stored: {refused}") from refused
        if message.replays and message.status != InboxMessage.Status.REJECTED:
            self.stdout.write(
                f"{path.name}: this exact file was already imported (inbox message {message.pk}, "
                f"{message.status}); nothing changed."
            )
            return
        if message.status == InboxMessage.Status.REJECTED:
            self.stderr.write(f"{path.name}: REJECTED, nothing was applied (inbox message {message.pk}).")
            for problem in message.errors:
                self.stderr.write(
                    f"  {describe(problem)}{problem['message']}"
                    + (f"  [{problem['value']}]" if problem.get("value") else "")
                )
            raise CommandError(message.reason)
        summary = {k: v for k, v in message.summary.items() if k not in ("notes", "kind", "file")}
        self.stdout.write(self.style.SUCCESS(f"{path.name}: applied (inbox message {message.pk})"))
        for key, value in summary.items():
            self.stdout.write(f"  {key}: {value}")
        for note in message.summary.get("notes", []):
            self.stdout.write(f"  note: {note}")
