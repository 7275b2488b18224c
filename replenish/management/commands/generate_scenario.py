from datetime import date

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from replenish.scenario.generate import ScenarioError, ScenarioSpec, monday_of
from replenish.scenario.load import ScenarioExists, scenario_load


class Command(BaseCommand):
    help = "Generate a realistic synthetic distribution network (demo and benchmark data)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--skus", type=int, default=2_000, help="number of items (default 2,000)")
        parser.add_argument(
            "--locations", type=int, default=5, help="number of warehouses/branches (default 5)"
        )
        parser.add_argument("--weeks", type=int, default=104, help="weeks of demand history (default 104)")
        parser.add_argument(
            "--seed", type=int, default=7, help="random seed: same seed, same data (default 7)"
        )
        parser.add_argument(
            "--as-of",
            type=date.fromisoformat,
            default=None,
            help="the scenario's today, YYYY-MM-DD (default: Monday of this week)",
        )
        parser.add_argument("--replace", action="store_true", help="delete the existing network first")

    def handle(self, *args, **options) -> None:
        as_of = monday_of(options["as_of"] or timezone.localdate())
        spec = ScenarioSpec(
            skus=options["skus"],
            locations=options["locations"],
            weeks=options["weeks"],
            seed=options["seed"],
            as_of=as_of,
        )
        try:
            spec.validate()
            summary = scenario_load(
                spec,
                replace=options["replace"],
                progress=lambda msg: self.stdout.write(msg) if options["verbosity"] > 1 else None,
            )
        except (ScenarioError, ScenarioExists) as error:
            raise CommandError(str(error)) from error
        for name, count in sorted(summary.counts.items()):
            self.stdout.write(f"{name:>28}: {count:,}")
        self.stdout.write(
            self.style.SUCCESS(
                f"Generated {spec.skus:,} SKUs x {spec.locations} locations x {spec.weeks} weeks "
                f"(seed {spec.seed}, as of {spec.as_of}) in {summary.seconds:.1f} s."
            )
        )
