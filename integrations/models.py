"""Integrations: the outbox of approved actions (the inbox, webhooks, files and EDI extend this app)."""

from django.db import models


class OutboxMessage(models.Model):
    """An action to post to the ERP, written in the same transaction as the decision that caused it.

    A relay task delivers it with its idempotency key; nothing is lost if the worker or broker dies in between,
    because the row is the source of truth and the relay picks up whatever is still pending.
    """

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        SENDING = "sending", "Sending"
        DELIVERED = "delivered", "Delivered"
        FAILED = "failed", "Failed (will retry)"
        DEAD = "dead", "Dead-lettered"

    kind = models.CharField(max_length=32, help_text="create_po, change_po, expedite_request, transfer_order, ...")
    idempotency_key = models.CharField(max_length=80, unique=True)
    payload = models.JSONField()
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    erp_transaction_id = models.CharField(max_length=80, blank=True)
    subject_type = models.CharField(max_length=48, blank=True)
    subject_id = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["status", "next_attempt_at"], name="outbox_status_next_idx")]

    def __str__(self) -> str:
        return f"{self.kind} {self.idempotency_key} ({self.status})"
