"""The audit chain moves from governance to core without touching the database.

The tables keep their names (governance_auditevent, governance_auditchainhead) and their append-only triggers;
only Django's state moves (SeparateDatabaseAndState), and the content types are relabelled so the view_audit
permission and any grant of it carry over.
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


def relabel_content_types(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    for model in ("auditevent", "auditchainhead"):
        if not ContentType.objects.filter(app_label="core", model=model).exists():
            ContentType.objects.filter(app_label="governance", model=model).update(app_label="core")


def restore_content_types(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    for model in ("auditevent", "auditchainhead"):
        if not ContentType.objects.filter(app_label="governance", model=model).exists():
            ContentType.objects.filter(app_label="core", model=model).update(app_label="governance")


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
        ("contenttypes", "0002_remove_content_type_name"),
        # the tables were created (and made append-only) by governance before the move
        ("governance", "0002_audit_append_only"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="AuditChainHead",
                    fields=[
                        ("id", models.PositiveSmallIntegerField(default=1, primary_key=True, serialize=False)),
                        ("sequence", models.BigIntegerField(default=0)),
                        (
                            "hash",
                            models.CharField(
                                default="0000000000000000000000000000000000000000000000000000000000000000",
                                max_length=64,
                            ),
                        ),
                    ],
                    options={"db_table": "governance_auditchainhead"},
                ),
                migrations.CreateModel(
                    name="AuditEvent",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                            ),
                        ),
                        ("sequence", models.BigIntegerField(unique=True)),
                        (
                            "kind",
                            models.CharField(
                                choices=[
                                    ("recommendation", "Recommendation created"),
                                    ("decision", "Human decision"),
                                    ("auto_execution", "Automatic execution"),
                                    ("policy_change", "Policy or tier change"),
                                    ("posting", "ERP posting outcome"),
                                    ("refused", "Refused attempt"),
                                    ("ingestion", "Inbound data applied"),
                                    ("system", "System event"),
                                ],
                                max_length=24,
                            ),
                        ),
                        (
                            "action",
                            models.CharField(
                                help_text="approve, override, reject, snooze, create, post, ...", max_length=48
                            ),
                        ),
                        (
                            "actor_name",
                            models.CharField(
                                help_text="Kept as written, even if the user is renamed.", max_length=150
                            ),
                        ),
                        ("subject_type", models.CharField(max_length=48)),
                        ("subject_id", models.CharField(max_length=64)),
                        ("payload", models.JSONField(default=dict)),
                        ("created_at", models.DateTimeField()),
                        ("previous_hash", models.CharField(max_length=64)),
                        ("hash", models.CharField(max_length=64, unique=True)),
                        (
                            "actor",
                            models.ForeignKey(
                                blank=True,
                                null=True,
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="audit_events",
                                to=settings.AUTH_USER_MODEL,
                            ),
                        ),
                    ],
                    options={
                        "ordering": ["sequence"],
                        "permissions": [("view_audit", "Can view the audit trail and export it")],
                        "db_table": "governance_auditevent",
                        "indexes": [
                            models.Index(fields=["subject_type", "subject_id", "sequence"], name="audit_subject_idx"),
                            models.Index(fields=["kind", "created_at"], name="audit_kind_time_idx"),
                            models.Index(fields=["actor", "created_at"], name="audit_actor_time_idx"),
                        ],
                    },
                ),
            ],
            database_operations=[],
        ),
        migrations.RunPython(relabel_content_types, restore_content_types),
    ]
