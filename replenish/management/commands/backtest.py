"""python manage.py backtest [--holdout-weeks 26] [--json]"""

import json

from django.core.management.base import BaseCommand, CommandError, CommandParser

from replenish.evaluation import text
from replenish.evaluation.backtest import DEFAULT_HOLDOUT_WEEKS, backtest_run
from replenish.evaluation.services import simulation_report_create
from replenish.evaluation.simulation import DAY_SPREADS, DEFAULT_REPLAN_WEEKS, RANDOM
from replenish.evaluation.sweep import add_target_arguments, target_options
from replenish.evaluation.window import EvaluationError


class Command(BaseCommand):
    help = (
        "Hold out the last weeks of stored history, plan on the rest, and report forecast accuracy against the "
        "naive forecast by class and method, and static min-max against the dynamic policy on the held-out "
        "actual demand (achieved against target service per class)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--holdout-weeks",
            type=int,
            default=DEFAULT_HOLDOUT_WEEKS,
            help=f"weeks of history held out and replayed (default {DEFAULT_HOLDOUT_WEEKS})",
        )
        parser.add_argument(
            "--warmup-weeks", type=int, default=0, help="held-out weeks not measured (default 0)"
        )
        parser.add_argument(
            "--replan-weeks",
            type=int,
            default=DEFAULT_REPLAN_WEEKS,
            help=f"the dynamic policy re-plans every N held-out weeks (default {DEFAULT_REPLAN_WEEKS}; 0 = once)",
        )
        parser.add_argument(
            "--day-spread",
            choices=DAY_SPREADS,
            default=RANDOM,
            help="random: each week's units fall on days and order lines at random, seeded (default); even: "
            "spread evenly over the days",
        )
        parser.add_argument("--seed", type=int, default=1, help="seed of the day spread and lead-time draws")
        add_target_arguments(parser)
        parser.add_argument("--location", help="only this location code")
        parser.add_argument("--json", action="store_true", help="print the report as JSON")
        parser.add_argument("--no-save", action="store_true", help="do not store the report in the app")

    def handle(self, *args, **options) -> None:
        verbose = not options["json"] and options["verbosity"] > 0
        try:
            report = backtest_run(
                holdout_weeks=options["holdout_weeks"],
                warmup_weeks=options["warmup_weeks"],
                seed=options["seed"],
                location=options["location"],
                replan_weeks=options["replan_weeks"],
                day_spread=options["day_spread"],
                progress=(lambda message: self.stderr.write(f"  {message}")) if verbose else None,
                **target_options(options),
            )
        except (EvaluationError, ValueError) as error:
            raise CommandError(str(error)) from error
        if not options["no_save"]:
            report["report_id"] = simulation_report_create(report=report, source="command").pk
        if options["json"]:
            self.stdout.write(json.dumps(report, indent=2, allow_nan=False))
            return
        out = self.stdout
        parameters = report["parameters"]
        out.write(
            f"{parameters['n_series']:,} SKU-locations; plan on the history before {parameters['plan_as_of']}, "
            f"{parameters['weeks']} held-out weeks replayed."
        )
        out.write("")
        out.write(
            "Forecast accuracy by demand class (rolling-origin backtest on the training history; MASE < 1 "
            "beats the in-sample naive forecast) and on the held-out weeks (MAE relative to naive):"
        )
        for line in text.forecast_rows(report):
            out.write(line)
        out.write("")
        out.write("By method:")
        for line in text.method_rows(report):
            out.write(line)
        out.write("")
        out.write("Service on the held-out demand, per class:")
        for line in text.class_rows(report):
            out.write(line)
        out.write("")
        for line in text.policy_totals(report):
            out.write(line)
        for line in text.sweep_section(report):
            out.write(line)
        comparison = report.get("service_comparison", {})
        if comparison:
            out.write("")
            out.write(comparison["sentence"])
        for note in report["notes"]:
            out.write(f"- {note}")
        if "report_id" in report:
            out.write(self.style.SUCCESS(f"Saved as report {report['report_id']}."))
