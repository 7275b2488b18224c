"""Customer service reviews order lines at risk from 250: each carries a certain contractual penalty (150 a late line
for platinum customers), so below that a task is mostly the penalty of one line (measured on the 20,000 x 5
scenario: 9,785 customer-service tasks, 5,141 of them at or above 100, 1,803 at or above 250)."""

from decimal import Decimal

from django.db import migrations


def raise_floor(apps, schema_editor):
    apps.get_model("exceptions", "TeamSetting").objects.filter(
        team="customer_service", value_floor=Decimal("100")
    ).update(value_floor=Decimal("250"))


class Migration(migrations.Migration):
    dependencies = [("exceptions", "0006_refresh_chunks")]
    operations = [migrations.RunPython(raise_floor, migrations.RunPython.noop)]
