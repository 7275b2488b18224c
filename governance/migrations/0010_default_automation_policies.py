"""Default automation policies, so a fresh install executes the low-value, confident actions (issue 12 item 3).

Each covers one action up to a value at stake of 250 (the customer-service floor; procurement's is 100) and a spend
within a buyer's own approval band (up to 5,000): what the system executes is never more than a buyer could
approve alone. Confidence floors follow what a wrong execution costs: a chase is a message to the supplier (any
confidence); a transfer moves the company's own stock, a wrong one costs its freight (at most 40 + 3% of 5,000) and
a transfer back (0.35); a deferral moves a PO line's date and a re-promise writes the date the next supply lands
(0.4); new POs, cancellations and expedites (which pay freight) 0.5. Confidence is 0.7 x data confidence +
0.3 x P(a planner accepts) (replenish/engine/confidence.py): 0.85 at most until the acceptance model is trained.
Measured on the 20,000 x 5 scenario (README, "Measured figures"). A manager changes or deactivates them on the
Policies page; they are seeded only where no person has created a policy of that name.
"""

from datetime import date
from decimal import Decimal

from django.db import migrations

START = date(2020, 1, 1)
DEFAULTS = [
    # name, action, min confidence, spend at most, supplier reliability at least
    ("Routine replenishment POs", "purchase_order", 0.5, "2500", 0.8),
    ("Transfers between our warehouses", "transfer", 0.35, "5000", 0.0),
    ("Small expedites", "expedite", 0.5, "2500", 0.0),
    ("Defer inbound on excess", "defer", 0.4, "5000", 0.0),
    ("Cancel inbound on excess", "cancel", 0.5, "5000", 0.0),
    ("Chase late suppliers", "chase", 0.0, None, 0.0),
    ("Re-promise low-value order lines", "repromise", 0.4, None, 0.0),
]
MAX_VALUE = Decimal("250")


def seed(apps, schema_editor):
    AutomationPolicy = apps.get_model("governance", "AutomationPolicy")
    for name, action, confidence, amount, reliability in DEFAULTS:
        AutomationPolicy.objects.get_or_create(
            name=name,
            defaults={
                "action": action,
                "abc_classes": "ABC",
                "xyz_classes": "XYZ",
                "min_supplier_reliability": reliability,
                "max_value": MAX_VALUE,
                "max_amount": Decimal(amount) if amount else None,
                "min_confidence": confidence,
                "require_no_quality_flags": action != "chase",
                "effective_from": START,
            },
        )


def unseed(apps, schema_editor):
    apps.get_model("governance", "AutomationPolicy").objects.filter(
        created_by__isnull=True, name__in=[d[0] for d in DEFAULTS]
    ).delete()


class Migration(migrations.Migration):
    dependencies = [("governance", "0009_automation_spend_limit")]
    operations = [migrations.RunPython(seed, unseed)]
