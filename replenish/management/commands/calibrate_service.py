"""python manage.py calibrate_service [--passes N] [--max-items N]"""

from django.core.management.base import BaseCommand, CommandError, CommandParser

from replenish.planning.calibration import (
    CALIBRATION_MAX_ITEMS,
    CalibrationError,
    service_calibration_learn,
)


class Command(BaseCommand):
    help = (
        "Replay the last 26 weeks of the current plan's history and store the per-group service calibration the "
        "next plan applies (what the nightly schedule does after the plan)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--passes",
            type=int,
            default=None,
            help="replay passes (default: 1, or 2 for a first calibration)",
        )
        parser.add_argument(
            "--max-items",
            type=int,
            default=CALIBRATION_MAX_ITEMS,
            help=f"whole items replayed, every k-th (default {CALIBRATION_MAX_ITEMS:,})",
        )

    def handle(self, *args, **options) -> None:
        if options["passes"] is not None and options["passes"] < 1:
            raise CommandError("--passes must be at least 1.")
        try:
            run = service_calibration_learn(
                passes=options["passes"],
                max_items=options["max_items"],
                progress=lambda message: self.stderr.write(f"  {message}"),
            )
        except CalibrationError as error:
            raise CommandError(str(error)) from error
        learned = run.calibration_learned
        self.stdout.write(
            f"Plan run {run.pk}: {learned['series']:,} SKU-locations replayed over {learned['periods']} "
            f"{learned.get('period', 'week')}s."
        )
        self.stdout.write("group           series  target  achieved  factor")
        for group, row in sorted(learned["groups"].items()):
            achieved = "-" if row.get("achieved") is None else f"{100 * row['achieved']:.1f}%"
            target = "-" if row.get("target") is None else f"{100 * row['target']:.1f}%"
            self.stdout.write(
                f"{group:<14}  {row['series']:>6,}  {target:>6}  {achieved:>8}  {row['factor']:>6.3f}"
                + ("" if row.get("calibrated") else "  (not calibrated)")
            )
        self.stdout.write(self.style.SUCCESS("The next plan run applies these factors."))
