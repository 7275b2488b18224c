"""python manage.py replay_events --days N: the scenario's next days of events through the integrations."""

from django.core.management.base import BaseCommand, CommandError

from exceptions.workflows.models import DomainEvent
from exceptions.workflows.replay import replay_events


class Command(BaseCommand):
    help = (
        "Replay the next days of events (ASN slips, acknowledgements, receipts, new orders, WMS capacity, TMS "
        "milestones) through "
        "the integrations inbox, so the queues react live."
    )

    def add_arguments(self, parser):
        parser.add_argument("--days", type=int, default=1)
        parser.add_argument("--seed", type=int, default=7)
        parser.add_argument("--per-day", type=int, default=5, help="Events of each kind per day.")
        parser.add_argument("--pause", type=float, default=0.0, help="Seconds between events (live demo).")

    def handle(self, *args, days, seed, per_day, pause, **options):
        if days < 1 or days > 60:
            raise CommandError("--days must be between 1 and 60")
        before = DomainEvent.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
        counts = replay_events(
            days=days, seed=seed, per_day=per_day, pause=pause, say=lambda msg: self.stdout.write(msg)
        )
        events = DomainEvent.objects.filter(pk__gt=before)
        by_status = {s: events.filter(status=s).count() for s in DomainEvent.Status.values}
        self.stdout.write(self.style.SUCCESS(f"inbox: {counts}"))
        self.stdout.write(self.style.SUCCESS(f"domain events: {by_status}"))
