"""Domain signals of the integrations app."""

from django.dispatch import Signal

# Sent after the ERP answered a posting: kwargs message (OutboxMessage), ok (bool), outcome (dict).
posting_completed = Signal()
