"""Default approval tiers for every action (up to 5,000 a buyer, up to 50,000 a manager, above that a director),
one conservative automation policy, and the director role group."""

from datetime import date
from decimal import Decimal

from django.db import migrations

ACTIONS = ["purchase_order", "expedite", "defer", "cancel", "transfer", "reallocate"]
BANDS = [(None, Decimal("5000"), "buyer"), (Decimal("5000"), Decimal("50000"), "manager"),
         (Decimal("50000"), None, "director")]
START = date(2020, 1, 1)


def seed(apps, schema_editor):
    ApprovalTier = apps.get_model("governance", "ApprovalTier")
    AutomationPolicy = apps.get_model("governance", "AutomationPolicy")
    Group = apps.get_model("auth", "Group")
    Group.objects.get_or_create(name="director")
    if not ApprovalTier.objects.exists():
        ApprovalTier.objects.bulk_create([
            ApprovalTier(action=action, value_above=lo, value_up_to=hi, required_role=role, effective_from=START)
            for action in ACTIONS for lo, hi, role in BANDS
        ])
    if not AutomationPolicy.objects.exists():
        AutomationPolicy.objects.create(
            name="Small C-class replenishment POs", action="purchase_order", abc_classes="C", xyz_classes="XY",
            min_supplier_reliability=0.9, max_value=Decimal("500"), min_confidence=0.8,
            require_no_quality_flags=True, effective_from=START,
        )


def unseed(apps, schema_editor):
    apps.get_model("governance", "ApprovalTier").objects.filter(created_by__isnull=True, effective_from=START).delete()
    apps.get_model("governance", "AutomationPolicy").objects.filter(created_by__isnull=True,
                                                                    effective_from=START).delete()


class Migration(migrations.Migration):
    dependencies = [("governance", "0003_policies"), ("auth", "0012_alter_user_first_name_max_length")]
    operations = [migrations.RunPython(seed, unseed)]
