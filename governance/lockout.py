"""A login lockout (django-axes) is an audit event and a message to the managers and administrators."""

from __future__ import annotations

import logging
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from replenish.core.audit import audit_record
from replenish.core.models import AuditEvent

logger = logging.getLogger(__name__)

NOTIFIED_GROUPS = ("manager", "director", "administrator")
ACTION = "login_locked_out"


def lockout_recipients() -> list[str]:
    """E-mail addresses of active managers, directors and administrators (superusers too), and settings.ADMINS."""
    users = get_user_model().objects.filter(is_active=True).exclude(email="")
    users = users.filter(Q(is_superuser=True) | Q(groups__name__in=NOTIFIED_GROUPS)).distinct()
    addresses = {user.email for user in users} | {email for _, email in settings.ADMINS}
    return sorted(addresses)


def _already_notified(username: str) -> bool:
    """axes signals every refused attempt while the lock holds: one notice per lockout."""
    window = settings.AXES_COOLOFF_TIME or timedelta(days=1)
    return AuditEvent.objects.filter(
        action=ACTION, subject_type="user", subject_id=username, created_at__gte=timezone.now() - window
    ).exists()


def login_lockout_record(*, username: str, ip_address: str | None) -> AuditEvent | None:
    """Audit the lockout of `username` and tell the managers and administrators (once per lockout)."""
    if _already_notified(username):
        return None
    user = get_user_model().objects.filter(username=username).first()
    limit, cooloff = settings.AXES_FAILURE_LIMIT, settings.AXES_COOLOFF_TIME
    until = f"for {cooloff}" if cooloff else "until an administrator unlocks it"
    message = (
        f"The DistOps account '{username}' was locked after {limit} failed logins "
        f"(last from {ip_address or 'an unknown address'}), {until}. "
        f"If this was not its owner, check the access log; `manage.py axes_reset_username {username}` unlocks it."
    )
    with transaction.atomic():
        event = audit_record(
            kind=AuditEvent.Kind.REFUSED,
            action=ACTION,
            actor=None,
            subject_type="user",
            subject_id=username,
            payload={
                "reason": f"{limit} failed logins",
                "ip_address": ip_address,
                "known_user": user is not None,
                "superuser": bool(user and user.is_superuser),
                "locked_for_seconds": int(cooloff.total_seconds()) if cooloff else None,
            },
        )
        recipients = lockout_recipients()
        transaction.on_commit(
            lambda: (
                send_mail(
                    f"DistOps: account {username} locked",
                    message,
                    settings.DEFAULT_FROM_EMAIL,
                    recipients,
                    fail_silently=True,
                )
                if recipients
                else None
            )
        )
    logger.warning(message)
    return event


def on_user_locked_out(sender, request=None, username: str | None = None, ip_address=None, **kwargs) -> None:
    login_lockout_record(username=username or "", ip_address=ip_address)
