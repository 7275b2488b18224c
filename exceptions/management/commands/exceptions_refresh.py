"""Run the exception detectors over a plan run by hand (the plan_run_completed signal normally does it)."""

from django.core.management.base import BaseCommand, CommandError

from exceptions.services import exceptions_refresh, exceptions_wake
from replenish.models import PlanRun


class Command(BaseCommand):
    help = (
        "Detect, score and route exceptions of the current plan run (or --run N); --wake reopens due snoozes."
    )

    def add_arguments(self, parser):
        parser.add_argument("--run", type=int, help="Plan run id (default: the current run).")
        parser.add_argument(
            "--wake", action="store_true", help="Only reopen snoozed exceptions whose date has come."
        )

    def handle(self, *args, run=None, wake=False, **options):
        if wake:
            self.stdout.write(f"Reopened {exceptions_wake()} snoozed exception(s).")
            return
        plan_run = (
            PlanRun.objects.filter(pk=run).first() if run else PlanRun.objects.filter(is_current=True).first()
        )
        if plan_run is None:
            raise CommandError(
                f"No plan run {run}." if run else "No current plan run: refresh the plan first."
            )
        result = exceptions_refresh(run=plan_run)
        self.stdout.write(
            f"Run {plan_run.pk}: {result.created} created, {result.updated} updated, {result.unchanged} unchanged, "
            f"{result.closed} closed, {result.auto_executed} auto-executed in {result.seconds:.1f} s "
            f"({', '.join(f'{k} {v}' for k, v in sorted(result.by_type.items()))})."
        )
