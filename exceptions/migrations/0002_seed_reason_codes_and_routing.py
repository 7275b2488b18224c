"""Seed the reason codes and the default routing rules (both are data, edited in the admin afterwards)."""

from django.db import migrations

REASON_CODES = [
    # code, label, applies_to
    ("supplier_constraint", "Supplier constraint (capacity, allocation, MOQ)", "any"),
    ("known_demand_change", "Known demand change (customer told us)", "any"),
    ("promotion", "Promotion or event not in the forecast", "any"),
    ("forecast_too_high", "Forecast too high", "any"),
    ("forecast_too_low", "Forecast too low", "any"),
    ("lead_time_wrong", "Lead time wrong", "any"),
    ("data_error", "Data error (on hand, open orders, master data)", "any"),
    ("already_handled", "Already handled outside the system", "reject"),
    ("other", "Other (explain in the comment)", "any"),
]

ROUTING_RULES = [
    # priority, type, team, note
    (10, "order_at_risk", "customer_service", "Customer orders at risk go to customer service."),
    (20, "master_data", "procurement", "Master-data faults: the buyer of the SKU-location fixes them."),
    (30, "supplier_decline", "procurement", "Supplier performance: the buyer who manages the supplier."),
    (40, "stockout_risk", "procurement", "Stockouts: the buyer of the SKU-location."),
    (50, "reorder_due", "procurement", "Reorders: the buyer of the SKU-location."),
    (60, "excess", "procurement", "Excess: the buyer of the SKU-location."),
]


def seed(apps, schema_editor):
    ReasonCode = apps.get_model("exceptions", "ReasonCode")
    RoutingRule = apps.get_model("exceptions", "RoutingRule")
    for position, (code, label, applies_to) in enumerate(REASON_CODES, start=1):
        ReasonCode.objects.get_or_create(
            code=code, defaults={"label": label, "applies_to": applies_to, "position": position * 10}
        )
    if not RoutingRule.objects.exists():
        RoutingRule.objects.bulk_create(
            [RoutingRule(priority=p, type=t, team=team, note=note) for p, t, team, note in ROUTING_RULES]
        )


def unseed(apps, schema_editor):
    apps.get_model("exceptions", "ReasonCode").objects.filter(code__in=[c for c, _l, _a in REASON_CODES]).delete()


class Migration(migrations.Migration):
    dependencies = [("exceptions", "0001_initial")]
    operations = [migrations.RunPython(seed, unseed)]
