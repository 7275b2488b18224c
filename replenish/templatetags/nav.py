"""Navigation by role. Other apps register their links in NAV_LINKS (url name, label, roles, counter)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django import template
from django.urls import NoReverseMatch, reverse

from replenish.core import roles

register = template.Library()


@dataclass(frozen=True)
class NavLink:
    key: str
    url_name: str
    label: str
    roles: frozenset[str] | None = None  # None = everyone
    counter: Callable | None = None  # (user) -> int, shown as a badge
    permission: str | None = None  # "app.codename" the user must hold (the view checks the same)


NAV_LINKS: list[NavLink] = [
    NavLink("skus", "item_location_list", "SKU-locations"),
]


def register_nav_link(link: NavLink, *, before: str | None = None) -> None:
    if any(existing.key == link.key for existing in NAV_LINKS):
        return
    index = next((i for i, existing in enumerate(NAV_LINKS) if existing.key == before), len(NAV_LINKS))
    NAV_LINKS.insert(index, link)


@register.simple_tag(takes_context=True)
def nav_links(context) -> list[dict]:
    return nav_links_for(context.get("request"))


def nav_links_for(request) -> list[dict]:
    """The user's navigation: only the screens their role opens (the views refuse the others with the same sets)."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return []
    role = roles.role_of(user)
    links = []
    for link in NAV_LINKS:
        if (
            link.roles is not None and role not in link.roles
        ):  # the same role sets as the views: no link answers 403
            continue
        if link.permission is not None and not user.has_perm(link.permission):
            continue
        try:
            url = reverse(link.url_name)
        except NoReverseMatch:
            continue
        links.append(
            {
                "key": link.key,
                "url": url,
                "label": link.label,
                "active": request.path.startswith(url) if url != "/" else request.path == "/",
                "count": link.counter(user) if link.counter else None,
            }
        )
    return links
