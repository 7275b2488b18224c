"""python manage.py ingest_edi FILE [FILE ...]"""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser

from integrations.edi_ingest import EdiRefused, edi_ingest
from integrations.models import InboxMessage


class Command(BaseCommand):
    help = (
        "Ingest EDI X12 files (856, 855, 846, 997): prints what was applied, what was rejected and why, and the "
        "997 and TA1 acknowledgements written."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("files", nargs="+", type=Path)

    def handle(self, *args, **options) -> None:
        failed = 0
        for path in options["files"]:
            if not path.is_file():
                raise CommandError(f"{path}: no such file")
            try:
                message = edi_ingest(data=path.read_bytes(), filename=path.name)
            except EdiRefused as refused:
                raise CommandError(f"{path.name}: REFUSED, nothing was stored: {refused}") from refused
            if message.replays and message.status in (
                InboxMessage.Status.APPLIED,
                InboxMessage.Status.IGNORED,
            ):
                self.stdout.write(
                    f"{path.name}: already received (inbox message {message.pk}, {message.status}); "
                    f"nothing changed."
                )
                continue
            style = (
                self.style.SUCCESS if message.status == InboxMessage.Status.APPLIED else self.style.WARNING
            )
            self.stdout.write(style(f"{path.name}: {message.status} (inbox message {message.pk})"))
            if message.reason:
                self.stdout.write(f"  {message.reason}")
            for item in message.summary.get("sets", []):
                head = (
                    f"  {item['set']} {item['control_number']} (interchange {item['interchange']}, group "
                    f"{item['group']}): {item['status']}"
                )
                summary = {
                    k: v for k, v in item.get("summary", {}).items() if k not in ("changes", "warnings")
                }
                self.stdout.write(head + (f" - {summary}" if summary and item["status"] == "applied" else ""))
                if item["status"] != "applied":
                    self.stdout.write(f"      why: {item['reason']}")
                    for error in item.get("errors", [])[1:6]:
                        self.stdout.write(f"      also: {error['message']}")
            if message.status == InboxMessage.Status.REJECTED and not message.summary.get("sets"):
                for error in message.errors[:10]:
                    self.stdout.write(f"  {error['message']}")
            for document in message.edi_documents.filter(transaction_set_id__in=("997", "TA1")):
                what = "group" if document.transaction_set_id == "997" else "interchange"
                verdict = "AK9" if document.transaction_set_id == "997" else "TA104"
                self.stdout.write(
                    f"  {document.transaction_set_id} written for {what} {document.reference}: {verdict} "
                    f"{document.status} (interchange {document.interchange_control_number})"
                )
            failed += message.status != InboxMessage.Status.APPLIED
        if failed:
            raise CommandError(f"{failed} file(s) not fully applied")
