"""PostgreSQL only: an exclusion constraint so that two active tiers of one action can never overlap in both value
band and effective dates, even when two managers save at the same moment (SQLite relies on the service check)."""

from django.db import migrations, transaction

CREATE = """
ALTER TABLE governance_approvaltier ADD CONSTRAINT approvaltier_no_overlap EXCLUDE USING gist (
    action WITH =,
    numrange(value_above, value_up_to, '(]') WITH &&,
    daterange(effective_from, effective_to, '[]') WITH &&
) WHERE (active)
"""


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        try:
            with transaction.atomic(using=schema_editor.connection.alias):
                cursor.execute("CREATE EXTENSION IF NOT EXISTS btree_gist")
        except Exception:  # noqa: BLE001 - no privilege: the service check still applies
            return
        cursor.execute(CREATE)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        with schema_editor.connection.cursor() as cursor:
            cursor.execute("ALTER TABLE governance_approvaltier DROP CONSTRAINT IF EXISTS approvaltier_no_overlap")


class Migration(migrations.Migration):
    dependencies = [("governance", "0004_seed_policies")]
    operations = [migrations.RunPython(forwards, backwards)]
