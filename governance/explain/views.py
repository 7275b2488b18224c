"""The SKU-location page (thin: the selector assembles, the template shows)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from replenish.core.errors import InvalidInput, NotAllowed, ServiceError

from ..order_points import (
    can_set_order_point,
    latest_order_point_posting,
    order_point_change,
    order_point_send,
)
from ..selectors import can_view_audit
from .selectors import item_location_get, sku_location_explain


@login_required
def sku_location_view(request: HttpRequest, location: str, sku: str) -> HttpResponse:
    item_location = item_location_get(user=request.user, location=location, sku=sku)
    explained = sku_location_explain(item_location)
    charts = {
        "demand": {
            "history": explained["demand"]["history"],
            "fit": explained["demand"]["backtest_fit"],
            "path": explained["demand"]["forecast_path"],
        },
        "lead_time": explained["lead_time"]["histogram"],
        "projection": explained["projection"],
    }
    return render(
        request,
        "explain/sku_location.html",
        {
            "x": explained,
            "item_location": item_location,
            "charts": charts,
            "can_audit": can_view_audit(request.user),
            "order_point": order_point_change(item_location),
            "order_point_posting": latest_order_point_posting(item_location),
            "can_set_order_point": can_set_order_point(request.user),
        },
    )


@login_required
@require_POST
def order_point_send_view(request: HttpRequest, location: str, sku: str) -> HttpResponse:
    """Send the current plan's s and S to the ERP as its order point (from the SKU-location page)."""
    item_location = item_location_get(user=request.user, location=location, sku=sku)
    try:
        fields = {name: int(request.POST.get(name, "")) for name in ("plan_run_id", "new_min", "new_max")}
    except ValueError:
        messages.error(request, "The form lost its plan run or levels: reload the page and try again.")
        return redirect(_page_url(item_location) + "#order-point")
    try:
        message = order_point_send(actor=request.user, item_location=item_location, **fields)
    except NotAllowed as err:
        return render(request, "governance/refused.html", {"message": str(err)}, status=403)
    except InvalidInput as err:
        messages.error(request, " ".join(err.errors.values()))
    except ServiceError as err:
        messages.error(request, str(err))
    else:
        message.refresh_from_db()
        messages.success(
            request,
            f"Order point min {fields['new_min']}, max {fields['new_max']} sent to the ERP "
            f"(posting {message.pk}, {message.get_status_display().lower()}).",
        )
    return redirect(_page_url(item_location) + "#order-point")


def _page_url(item_location) -> str:
    return reverse("sku_location", args=[item_location.location.code, item_location.item.sku])
