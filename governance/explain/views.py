"""The SKU-location page (thin: the selector assembles, the template shows)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

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
        },
    )
