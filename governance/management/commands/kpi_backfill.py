from django.core.management.base import BaseCommand

from governance.kpis import kpi_backfill


class Command(BaseCommand):
    help = "Write weekly KPI snapshots for the past N weeks from history (demand, receipts, plan runs, decisions)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--weeks", type=int, default=26)

    def handle(self, *args, weeks: int, **options) -> None:
        rows = kpi_backfill(weeks=weeks)
        self.stdout.write(self.style.SUCCESS(f"KPI backfill: {rows} snapshot rows over {weeks + 1} weeks."))
