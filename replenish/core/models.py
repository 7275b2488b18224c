"""The append-only, hash-chained audit trail (written by `replenish.core.audit`, read by governance's screens)."""

from django.conf import settings
from django.db import models


class AuditEvent(models.Model):
    """One audited fact. Append-only: UPDATE and DELETE are refused by database triggers (see migration 0002).

    `hash` = HMAC-SHA256, keyed with AUDIT_HMAC_KEY (environment only), over the canonical JSON of (sequence,
    previous hash, the event's fields); each event stores the hash of the one before it, so editing or removing any
    row breaks every later link, and without the key the links cannot be recomputed. TRUNCATE is refused too
    (PostgreSQL), and the day's head is checkpointed outside the database (replenish/core/checkpoints.py).
    """

    class Kind(models.TextChoices):
        RECOMMENDATION = "recommendation", "Recommendation created"
        DECISION = "decision", "Human decision"
        AUTO_EXECUTION = "auto_execution", "Automatic execution"
        POLICY_CHANGE = "policy_change", "Policy or tier change"
        POSTING = "posting", "ERP posting outcome"
        REFUSED = "refused", "Refused attempt"
        INGESTION = "ingestion", "Inbound data applied"
        SYSTEM = "system", "System event"

    sequence = models.BigIntegerField(unique=True)
    kind = models.CharField(max_length=24, choices=Kind.choices)
    action = models.CharField(max_length=48, help_text="approve, override, reject, snooze, create, post, ...")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="audit_events"
    )
    actor_name = models.CharField(max_length=150, help_text="Kept as written, even if the user is renamed.")
    subject_type = models.CharField(max_length=48)
    subject_id = models.CharField(max_length=64)
    payload = models.JSONField(default=dict)
    created_at = models.DateTimeField()
    previous_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64, unique=True)

    class Meta:
        ordering = ["sequence"]
        indexes = [
            models.Index(fields=["subject_type", "subject_id", "sequence"], name="audit_subject_idx"),
            models.Index(fields=["kind", "created_at"], name="audit_kind_time_idx"),
            models.Index(fields=["actor", "created_at"], name="audit_actor_time_idx"),
        ]
        permissions = [("view_audit", "Can view the audit trail and export it")]
        db_table = "governance_auditevent"  # the table predates the move to core: no data moved

    def __str__(self) -> str:
        return f"#{self.sequence} {self.kind}/{self.action} {self.subject_type}:{self.subject_id}"


class AuditChainHead(models.Model):
    """A single row holding the chain's tip; writers lock it (SELECT ... FOR UPDATE) so the chain cannot fork."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    sequence = models.BigIntegerField(default=0)
    hash = models.CharField(max_length=64, default="0" * 64)

    class Meta:
        db_table = "governance_auditchainhead"

    def __str__(self) -> str:
        return f"head #{self.sequence}"
