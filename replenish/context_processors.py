from django.conf import settings

from .core import roles


def navigation(request) -> dict:
    user = getattr(request, "user", None)
    role = roles.role_of(user) if user is not None else None
    return {
        "role": role,
        "role_label": roles.ROLE_LABELS.get(role, "") if role else "",
        "currency": settings.DISTOPS_CURRENCY,
    }
