"""The audit chain moved to replenish.core (core 0001 took over the tables): governance forgets the models only."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("governance", "0006_kpis_drift"),
        ("core", "0001_initial"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.DeleteModel(name="AuditEvent"),
                migrations.DeleteModel(name="AuditChainHead"),
            ],
            database_operations=[],
        ),
    ]
