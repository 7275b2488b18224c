"""The demo assembles every app (the network, the EDI inbox, plans, exceptions), so it lives in the top layer."""

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser
from django.utils import timezone

from exceptions.services import supervisor_scopes_ensure
from integrations.demo import demo_asn_changes
from replenish.models import Item
from replenish.scenario.generate import BUYERS_PER_NETWORK, ScenarioSpec, monday_of
from replenish.scenario.load import scenario_load
from replenish.services import DEMO_PASSWORD, demo_logins, demo_users_ensure


class Command(BaseCommand):
    help = "Load the demo scenario (when the database is empty), compute plans and print the demo logins."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--skus", type=int, default=2_000)
        parser.add_argument("--locations", type=int, default=5)

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
        else:
            self.stdout.write("The database already holds a network: keeping it.")
        demo_users_ensure(locations=locations, buyers=BUYERS_PER_NETWORK)
        supervisor_scopes_ensure()  # demo seeding: supervisor<N> sees warehouse WH<N> (never in a refresh)
        try:
            call_command("plan_refresh", stdout=self.stdout)
        except Exception as error:  # noqa: BLE001 - the demo still serves the network without plans
            self.stderr.write(f"Plans were not computed: {error}")
        self.stdout.write(self.style.SUCCESS(f"\nDemo logins (password for all: {DEMO_PASSWORD})"))
        for username, role in demo_logins(locations=locations, buyers=BUYERS_PER_NETWORK):
            self.stdout.write(f"  {username:<12} {role}")
        self.stdout.write("Open http://127.0.0.1:8000 and log in.\n")
