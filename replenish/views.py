from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse

from .core import roles
from .core.paging import paginate
from .models import Item, Location
from .selectors import item_location_list, location_list
from .templatetags.nav import nav_links_for

PAGE_SIZE = 50


@login_required
def api_docs_view(request: HttpRequest) -> HttpResponse:
    """Swagger UI over /api/schema/, vendored under static/ (no CDN), behind login like the schema itself."""
    return render(request, "api_docs.html")


def role_home_url(user) -> str:
    """Where the user's role lands (replenish.core.roles.ROLE_HOME); the SKU-location list when none applies."""
    name = roles.ROLE_HOME.get(roles.role_of(user) or "")
    try:
        return reverse(name) if name else reverse("item_location_list")
    except NoReverseMatch:
        return reverse("item_location_list")


@login_required
def home_view(request: HttpRequest) -> HttpResponse:
    """Each role lands on its own workspace."""
    return redirect(role_home_url(request.user))


def _error_context(request: HttpRequest, exception) -> dict:
    """What the user can do instead: their workspace and the screens their navigation offers."""
    user = getattr(request, "user", None)
    message = str(exception) if exception is not None and str(exception) else ""
    if message.startswith("{") or message.endswith("matches the given query."):
        message = ""  # Django's internal wording of an unmatched URL or a missing row: not for people
    signed_in = bool(user is not None and user.is_authenticated)
    return {
        "message": message,
        "signed_in": signed_in,
        "home_url": role_home_url(user) if signed_in else reverse("login"),
        "alternatives": nav_links_for(request) if signed_in else [],
    }


def error_403_view(request: HttpRequest, exception=None) -> HttpResponse:
    """handler403, and the styled refusal of PermissionDenied (replenish.middleware.StyledErrorMiddleware)."""
    response = render(request, "403.html", _error_context(request, exception), status=403)
    response.distops_styled = True
    return response


def error_404_view(request: HttpRequest, exception=None) -> HttpResponse:
    """handler404, and the styled answer to Http404 with DEBUG on too (StyledErrorMiddleware)."""
    response = render(request, "404.html", _error_context(request, exception), status=404)
    response.distops_styled = True
    return response


def _search_and_location(query: str, location: str) -> tuple[str, str]:
    """'SKU-0000123 WH1' searches SKU-0000123 at WH1: a trailing location code in the search box is the location."""
    words = query.split()
    if not location and len(words) > 1 and Location.objects.filter(code__iexact=words[-1]).exists():
        code = Location.objects.filter(code__iexact=words[-1]).values_list("code", flat=True).first()
        return " ".join(words[:-1]), code or ""
    return query, location


@login_required
def item_location_list_view(request: HttpRequest) -> HttpResponse:
    search, location = _search_and_location(request.GET.get("q", ""), request.GET.get("location", ""))
    filters = {
        "location": location,
        "search": search,
        "category": request.GET.get("category", ""),
        "below_min": request.GET.get("below_min") == "1",
    }
    qs = item_location_list(user=request.user, **filters)
    if not request.htmx and filters["search"] and filters["location"]:
        # a search for one SKU at one location (the header search, or Enter) opens its page
        exact = list(qs.filter(item__sku__iexact=filters["search"].strip())[:2])
        if len(exact) == 1:
            return redirect("sku_location", location=exact[0].location.code, sku=exact[0].item.sku)
    # No COUNT(*) over 900,000 rows: pages are fetched one row past the page size to know if there is a next one.
    page = paginate(qs, request.GET.get("page"), size=PAGE_SIZE)
    context = {
        "rows": page.object_list,
        "page": page.number,
        "has_next": page.has_next(),
        "has_previous": page.has_previous(),
        "filters": filters,
        "locations": location_list(),
        "categories": Item.objects.order_by().values_list("category", flat=True).distinct(),
    }
    template = "replenish/item_location_list.html"
    if request.htmx:
        template += "#sku-table"
    return render(request, template, context)
