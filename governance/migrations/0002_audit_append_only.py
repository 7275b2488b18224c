from django.db import migrations


def install(apps, schema_editor):
    from replenish.core.audit import install_immutability

    install_immutability(schema_editor)


class Migration(migrations.Migration):
    dependencies = [("governance", "0001_initial")]
    operations = [migrations.RunPython(install, migrations.RunPython.noop)]
