"""The demo assembles every app (the network, the EDI inbox, plans, exceptions), so it lives in the top layer."""

import time

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser
from django.utils import timezone

from exceptions.services import supervisor_scopes_ensure
from exceptions.warehouse.demo import warehouse_demo_load
from governance.demo_history import WEEKS, demo_history_backfill
from governance.drift import drift_report_run
from governance.models import DriftReport
from integrations.demo import demo_asn_changes
from integrations.tms.demo import demo_milestones
from replenish.models import Item
from replenish.scenario.generate import BUYERS_PER_NETWORK, ScenarioSpec, monday_of
from replenish.scenario.load import scenario_load
from replenish.services import DEMO_PASSWORD, demo_logins, demo_users_ensure


class Command(BaseCommand):
    help = "Load the demo scenario (when the database is empty), compute plans and print the demo logins."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--skus", type=int, default=2_000)
        parser.add_argument("--locations", type=int, default=5)
        parser.add_argument(
            "--history-weeks",
            type=int,
            default=WEEKS,
            help="past weeks to simulate for the KPI history, decisions and the acceptance model (0: none)",
        )

    def handle(self, *args, **options) -> None:
        locations = options["locations"]
        if not Item.objects.exists():
            spec = ScenarioSpec(
                skus=options["skus"],
                locations=locations,
                weeks=104,
                seed=7,
                as_of=monday_of(timezone.localdate()),
            )  # noqa: DTZ011
            self.stdout.write(f"Generating the demo scenario: {spec.skus:,} SKUs x {locations} locations...")
            summary = scenario_load(spec)
            self.stdout.write(f"  done in {summary.seconds:.1f} s")
            try:  # the demo's ASN changes arrive through the EDI inbox (integrations)
                asn = demo_asn_changes()
                if asn is not None:
                    self.stdout.write(
                        f"  ASN changes loaded through EDI: inbox message {asn.pk} ({asn.status})"
                    )
            except Exception as error:  # noqa: BLE001 - the demo still runs without them
                self.stderr.write(f"ASN changes were not loaded through EDI: {error}")
            try:  # carriers and their TMS milestones, through the inbox (integrations/tms)
                tms = demo_milestones()
                if tms is not None:
                    self.stdout.write(f"  TMS milestones loaded: inbox message {tms.pk} ({tms.status})")
            except Exception as error:  # noqa: BLE001 - the demo still runs without them
                self.stderr.write(f"TMS milestones were not loaded: {error}")
        else:
            self.stdout.write("The database already holds a network: keeping it.")
        demo_users_ensure(locations=locations, buyers=BUYERS_PER_NETWORK)
        supervisor_scopes_ensure()  # demo seeding: supervisor<N> sees warehouse WH<N> (never in a refresh)
        warehouse = warehouse_demo_load()  # carriers and cut-offs (a file import), pick waves, labor
        self.stdout.write(
            f"Warehouse control: carrier cut-offs {warehouse['status']}, {warehouse['pick_tasks']} pick tasks, "
            f"{warehouse['labor_rows']} labor shifts, {warehouse['returns']} return lines "
            f"({warehouse['returns_status']})."
        )
        try:
            call_command("plan_refresh", stdout=self.stdout)
        except Exception as error:  # noqa: BLE001 - the demo still serves the network without plans
            self.stderr.write(f"Plans were not computed: {error}")
        if options["history_weeks"]:
            started = time.perf_counter()
            history = demo_history_backfill(weeks=options["history_weeks"])
            if history.runs:
                self.stdout.write(
                    f"Simulated the past {history.runs} weeks in {time.perf_counter() - started:.1f} s: "
                    f"{history.runs} plan runs, {sum(history.decisions.values())} decisions "
                    f"({', '.join(f'{k} {v}' for k, v in sorted(history.decisions.items()))}), "
                    f"{history.order_lines:,} order lines, {history.transfers} transfers, "
                    f"{history.kpi_rows} KPI snapshot rows, acceptance model v{history.acceptance_model}"
                )
        if not DriftReport.objects.exists():
            report = drift_report_run()
            self.stdout.write(f"Drift checks: {report.summary['opened']} findings opened.")
        self.stdout.write(self.style.SUCCESS(f"\nDemo logins (password for all: {DEMO_PASSWORD})"))
        for username, role in demo_logins(locations=locations, buyers=BUYERS_PER_NETWORK):
            self.stdout.write(f"  {username:<12} {role}")
        self.stdout.write("Open http://127.0.0.1:8000 and log in.\n")
