"""How much human attention the live tasks ask for (issue 12's acceptance: at most 5% of SKU-locations)."""

import json

from django.core.management.base import BaseCommand

from exceptions.attention_report import attention_summary


class Command(BaseCommand):
    help = (
        "Open human tasks (To do, Later, Low value, Awaiting approval, Snoozed) against the SKU-locations, per tab, "
        "team, type and buyer, with what the automation policies executed."
    )

    def add_arguments(self, parser):
        parser.add_argument("--json", action="store_true", help="Print the figures as JSON.")

    def handle(self, *args, **options):
        summary = attention_summary()
        if options.get("json"):
            self.stdout.write(json.dumps(summary, indent=2))
            return
        share = summary["open_human_share"]
        verdict = "within" if share <= summary["limit_share"] else "ABOVE"
        self.stdout.write(
            f"{summary['open_human_tasks']:,} open human tasks for {summary['sku_locations']:,} SKU-locations: "
            f"{share:.1%} ({verdict} the {summary['limit_share']:.0%} limit)."
        )
        tabs = summary["tabs"]
        self.stdout.write(
            f"  above the floor (To do + Later) {tabs['above_floor']:,}, Low value {tabs['low_value']:,}, "
            f"awaiting approval {tabs['awaiting_approval']:,}, snoozed {tabs['snoozed']:,}"
        )
        self.stdout.write(
            f"  auto-executed {summary['auto_executed']:,} "
            f"({', '.join(f'{k} {v:,}' for k, v in summary['auto_executed_by_action'].items()) or 'none'})"
        )
        for title, key in (
            ("by team", "by_team"),
            ("by type", "by_type"),
            ("Low value, why", "low_value_why"),
        ):
            self.stdout.write(f"  {title}: " + ", ".join(f"{k} {v:,}" for k, v in summary[key].items()))
        for name, b in summary.get("buyers", {}).items():
            self.stdout.write(
                f"  {name}: To do {b['todo']} of capacity {b['capacity']}, Later {b['later']:,}, "
                f"Low value {b['low_value']:,}, awaiting approval {b['awaiting_approval']:,}"
            )
