from django.core.management.base import BaseCommand, CommandError

from integrations.tms.ingest import milestone_file_ingest


class Command(BaseCommand):
    help = "Import a CSV file of TMS milestones through the inbox (all or nothing; README: TMS milestones)."

    def add_arguments(self, parser):
        parser.add_argument("file")

    def handle(self, *args, **options):
        path = options["file"]
        try:
            with open(path, "rb") as fh:
                data = fh.read()
        except OSError as exc:
            raise CommandError(f"cannot read {path}: {exc.strerror}") from exc
        message, processed = milestone_file_ingest(name=path.rsplit("/", 1)[-1], data=data)
        if not processed:
            self.stdout.write(
                f"already received as inbox message {message.pk} ({message.status}): nothing to do"
            )
            return
        if message.status != "applied":
            for error in message.errors[:50]:
                self.stderr.write(error.get("message", str(error)))
            raise CommandError(f"rejected: {message.reason}")
        summary = message.summary
        self.stdout.write(
            f"applied {summary.get('milestones')} milestone(s) on {len(summary.get('shipments', []))} shipment(s)"
        )
