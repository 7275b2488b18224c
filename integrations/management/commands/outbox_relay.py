from django.core.management.base import BaseCommand

from integrations.outbox import outbox_relay


class Command(BaseCommand):
    help = "Relay due outbox messages to the ERP once (what the Celery task does on its schedule)."

    def handle(self, *args, **options) -> None:
        self.stdout.write(str(outbox_relay().as_dict()))
