import time

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from replenish.models import PlanRun
from replenish.planning.refresh import CHUNK_ITEMS, RefreshError, plan_refresh


class Command(BaseCommand):
    help = "Recompute forecasts, lead times, policies, projections and recommendations (all or part of the network)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--location", help="only this location code (e.g. WH2)")
        parser.add_argument("--items", nargs="+", metavar="SKU", help="only these SKUs")
        parser.add_argument("--chunk-items", type=int, default=CHUNK_ITEMS, help="items per parallel chunk")
        parser.add_argument(
            "--workers",
            action="store_true",
            help="send the chunks to the Celery workers and wait (default when REDIS_URL is set)",
        )

    def handle(self, *args, **options) -> None:
        inline = not (options["workers"] or not settings.CELERY_TASK_ALWAYS_EAGER)
        started = time.perf_counter()
        try:
            run = plan_refresh(
                location_code=options["location"],
                skus=options["items"],
                chunk_items=options["chunk_items"],
                inline=inline,
            )
        except RefreshError as error:
            raise CommandError(str(error)) from error
        while run.status == PlanRun.Status.RUNNING:
            time.sleep(1)
            run.refresh_from_db()
            self.stdout.write(f"  {run.chunks_done}/{run.chunks_total} chunks ({run.progress:.0f}%)")
        if run.status == PlanRun.Status.FAILED:
            raise CommandError(f"Plan run {run.pk} failed: {run.error}")
        self.stdout.write(
            self.style.SUCCESS(
                f"Plan run {run.pk} ({run.scope}) complete: {run.series_count:,} SKU-locations, "
                f"{run.recommendation_count:,} recommendations in {time.perf_counter() - started:.1f} s."
            )
        )
