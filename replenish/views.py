from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from .core.paging import paginate
from .models import Item, Location
from .selectors import item_location_list, location_list

PAGE_SIZE = 50


@login_required
def api_docs_view(request: HttpRequest) -> HttpResponse:
    """Swagger UI over /api/schema/, vendored under static/ (no CDN), behind login like the schema itself."""
    return render(request, "api_docs.html")


@login_required
def home_view(request: HttpRequest) -> HttpResponse:
    return redirect("item_location_list")


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
