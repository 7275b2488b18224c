from datetime import timedelta

from django.core.management.base import BaseCommand, CommandParser

from integrations.webhooks import webhook_secret_rotate


class Command(BaseCommand):
    help = "Create a webhook source or rotate its secret (the previous one stays valid for --grace-hours)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("source")
        parser.add_argument("--secret", default=None, help="default: a new random secret")
        parser.add_argument("--grace-hours", type=float, default=24.0)

    def handle(self, *args, **options) -> None:
        endpoint, secret = webhook_secret_rotate(
            source=options["source"],
            actor=None,
            new_secret=options["secret"],
            grace=timedelta(hours=options["grace_hours"]),
        )
        self.stdout.write(f"source {endpoint.source}: secret {secret}")
        if endpoint.previous_secret:
            self.stdout.write(
                f"the previous secret stays valid until {endpoint.previous_valid_until:%Y-%m-%d %H:%M}"
            )
