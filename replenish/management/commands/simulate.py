"""python manage.py simulate [--weeks 26] [--demand generated|actuals] [--policy ...] [--attention K] [--json]"""

import json

from django.core.management.base import BaseCommand, CommandError, CommandParser

from replenish.engine import simulate as sim
from replenish.evaluation import text
from replenish.evaluation.attention import AttentionSettings
from replenish.evaluation.charts import report_html, tradeoff_png
from replenish.evaluation.report import DYNAMIC, DYNAMIC_PLUS
from replenish.evaluation.services import simulation_report_create
from replenish.evaluation.simulation import (
    DAY_SPREADS,
    DEFAULT_POLICIES,
    DEFAULT_REPLAN_WEEKS,
    POLICY_LABELS,
    RANDOM,
    simulation_run,
)
from replenish.evaluation.sweep import add_target_arguments, target_options
from replenish.evaluation.window import ACTUALS, GENERATED, EvaluationError


class Command(BaseCommand):
    help = (
        "Simulate the network over weeks the planner never saw and compare static min-max with DistOps' dynamic "
        "policies on the same demand and lead-time draws: fill rate, inventory, expedites, exceptions."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--weeks", type=int, default=26, help="measured weeks (default 26)")
        parser.add_argument(
            "--demand",
            choices=[GENERATED, ACTUALS],
            default=GENERATED,
            help="generated: new weeks from the scenario's generating process (default); actuals: hold out the "
            "last weeks of the stored history and replay them (works on imported demand files)",
        )
        parser.add_argument(
            "--policy",
            action="append",
            metavar="NAME",
            help=f"policy to run, repeatable or comma-separated: {', '.join(POLICY_LABELS)} (default: all)",
        )
        parser.add_argument(
            "--warmup-weeks",
            type=int,
            default=None,
            help="weeks simulated before measuring (default 13 for generated demand: the move from the ERP's "
            "stock to the policy; 0 for actuals)",
        )
        parser.add_argument(
            "--replan-weeks",
            type=int,
            default=DEFAULT_REPLAN_WEEKS,
            help=f"DistOps re-plans every N weeks of simulated demand (default {DEFAULT_REPLAN_WEEKS}; 0 = once)",
        )
        parser.add_argument(
            "--day-spread",
            choices=DAY_SPREADS,
            default=RANDOM,
            help="random: each week's units fall on days and order lines at random, seeded (default); even: "
            "spread evenly over the days",
        )
        parser.add_argument("--seed", type=int, default=1, help="simulation seed: demand and lead-time draws")
        add_target_arguments(parser)
        parser.add_argument("--location", help="only this location code (e.g. an imported file's location)")
        parser.add_argument(
            "--no-frontier",
            action="store_true",
            help="skip the static min-max frontier (its min scaled x0.5 ... x3 on the same draws)",
        )
        parser.add_argument(
            "--no-calibration",
            action="store_true",
            help="skip the service calibration on the last 39 weeks of training history",
        )
        parser.add_argument(
            "--attention",
            type=int,
            metavar="K",
            help="also simulate planners working only the top K tasks per person per day (DistOps' ranking, oldest "
            "first, random, unlimited) and report the share of the unlimited-attention improvement captured",
        )
        parser.add_argument(
            "--orderings",
            action="append",
            metavar="NAME",
            help=f"orderings for --attention, repeatable or comma-separated: {', '.join(sim.ORDERINGS)} (default: "
            "all; unlimited always runs)",
        )
        parser.add_argument(
            "--attention-policy",
            choices=[DYNAMIC, DYNAMIC_PLUS],
            default=DYNAMIC_PLUS,
            help="the DistOps policy whose proposals become tasks (default dynamic_plus: orders, transfers, "
            "expedites)",
        )
        parser.add_argument(
            "--no-automation",
            action="store_true",
            help="with --attention: no task is executed automatically (default: the automation policies in force, "
            "as the exceptions refresh applies them, execute the tasks they cover without a person)",
        )
        parser.add_argument(
            "--planners",
            type=int,
            help="with --attention: N planners dealt round-robin over the SKU-locations (default: the buyers)",
        )
        parser.add_argument("--json", action="store_true", help="print the report as JSON (for machines)")
        parser.add_argument("--no-save", action="store_true", help="do not store the report in the app")
        parser.add_argument("--png", metavar="FILE", help="also write the trade-off chart as a PNG")
        parser.add_argument("--html", metavar="FILE", help="also write the report as a standalone HTML page")

    def handle(self, *args, **options) -> None:
        policies = _policies(options["policy"]) or list(DEFAULT_POLICIES)
        verbose = not options["json"] and options["verbosity"] > 0
        try:
            report = simulation_run(
                demand=options["demand"],
                weeks=options["weeks"],
                warmup_weeks=options["warmup_weeks"],
                seed=options["seed"],
                policies=policies,
                location=options["location"],
                replan_weeks=options["replan_weeks"],
                day_spread=options["day_spread"],
                frontier=not options["no_frontier"],
                calibration=not options["no_calibration"],
                progress=(lambda message: self.stderr.write(f"  {message}")) if verbose else None,
                attention=_attention(options),
                **target_options(options),
            )
        except (EvaluationError, ValueError) as error:
            raise CommandError(str(error)) from error
        if not options["no_save"]:
            row = simulation_report_create(report=report, source="command")
            report["report_id"] = row.pk
        if options["png"]:
            with open(options["png"], "wb") as handle:
                handle.write(tradeoff_png(report))
        if options["html"]:
            with open(options["html"], "w", encoding="utf-8") as handle:
                handle.write(report_html(report))
        if options["json"]:
            self.stdout.write(json.dumps(report, indent=2, allow_nan=False))
            return
        write_report(self, report)


def _attention(options: dict) -> AttentionSettings | None:
    if options["attention"] is None:
        return None
    orderings = _policies(options["orderings"]) or list(sim.ORDERINGS)
    return AttentionSettings(
        capacity=options["attention"],
        orderings=tuple(orderings),
        policy=options["attention_policy"],
        automation=not options["no_automation"],
        planners=options["planners"],
    )


def _policies(values: list[str] | None) -> list[str]:
    return [name.strip() for value in values or [] for name in value.split(",") if name.strip()]


def write_report(command: BaseCommand, report: dict) -> None:
    parameters = report["parameters"]
    out = command.stdout
    out.write(
        f"{parameters['n_series']:,} SKU-locations, {parameters['demand']} demand, {parameters['weeks']} measured "
        f"weeks after {parameters['warmup_weeks']} warm-up weeks from {parameters['plan_as_of']} "
        f"(seed {parameters['seed']}, {parameters['plans']} plan(s))."
    )
    out.write("")
    for line in text.policy_totals(report):
        out.write(line)
    out.write("")
    out.write(
        "Per class (ABC-XYZ): target, achieved service (fill rate or cycle service), unit fill rate, "
        f"average inventory ({report['currency']}):"
    )
    for line in text.class_rows(report):
        out.write(line)
    out.write("")
    for line in text.acceptance_lines(report):
        out.write(line)
    for line in text.sweep_section(report):
        out.write(line)
    for line in text.attention_section(report):
        out.write(line)
    frontier = text.frontier_lines(report)
    if frontier:
        out.write("")
        out.write("The static policy's own trade-off (its min scaled, same lot size, same draws):")
        for line in frontier:
            out.write(line)
    out.write("")
    for note in report["notes"]:
        out.write(f"- {note}")
    timings = report["timings"]
    out.write(
        f"Time {timings['total']:.1f} s (load {timings['load']:.1f}, plan {timings['plan']:.1f} in "
        f"{len(timings['plans'])} runs, simulate "
        f"{sum(v for k, v in timings.items() if k.startswith('simulate.')):.1f}); peak memory "
        f"{report['peak_memory_mb']:,.0f} MB."
    )
    if "report_id" in report:
        out.write(
            command.style.SUCCESS(f"Saved as report {report['report_id']} (Simulation page in the app).")
        )
