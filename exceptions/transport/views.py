"""The transportation workspace (thin views): inbound shipments, expedite freight, milestone file upload."""

from __future__ import annotations

from datetime import date

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from integrations.tms.ingest import milestone_file_ingest
from replenish import models as m
from replenish.core.errors import NotAllowed

from . import selectors, services


@login_required
def workspace_transport_view(request):
    if not selectors.can_view(request.user):
        raise PermissionDenied("The transportation workspace is for transportation planners and managers.")
    late_only = request.GET.get("late") == "1"
    rows = selectors.inbound_shipments(user=request.user, late_only=late_only)
    context = {
        "rows": rows,
        "late_only": late_only,
        "can_act": selectors.can_act(request.user),
        "outbound": selectors.outbound_at_risk(),
    }
    return render(request, "transport/workspace.html", context)


@login_required
@require_POST
def shipment_expedite_view(request, pk: int):
    if not selectors.can_view(request.user):
        raise Http404("no such shipment")
    shipment = m.Shipment.objects.filter(pk=pk).first()
    if shipment is None:
        raise Http404("no such shipment")
    if not selectors.can_act(request.user):
        raise PermissionDenied("Only transportation planners and managers book expedite freight.")
    try:
        requested = date.fromisoformat(request.POST.get("requested_eta", "").strip())
        decision = services.shipment_expedite(
            shipment=shipment,
            actor=request.user,
            requested_eta=requested,
            reason=request.POST.get("reason", ""),
        )
    except ValueError:
        messages.error(request, f"'{request.POST.get('requested_eta', '')}' is not a date (YYYY-MM-DD)")
    except NotAllowed as exc:
        messages.error(request, str(exc))
    else:
        messages.success(
            request,
            f"Expedite freight booked for {shipment.number}: arrival {decision.requested_eta}, "
            f"freight {decision.freight} (posted to the ERP through the outbox).",
        )
    return redirect("workspace-transport")


@login_required
@require_POST
def milestone_upload_view(request):
    if not selectors.can_act(request.user):
        raise PermissionDenied("Only transportation planners and managers import milestones.")

    upload = request.FILES.get("file")
    if upload is None:
        messages.error(request, "Choose a CSV file of milestones.")
        return redirect("workspace-transport")
    message, processed = milestone_file_ingest(name=upload.name, data=upload.read(), actor=request.user)
    if not processed:
        messages.info(
            request, f"This file was already received (inbox message {message.pk}, {message.status})."
        )
    elif message.status == "applied":
        messages.success(request, f"{message.summary.get('milestones')} milestone(s) applied.")
    else:
        for error in message.errors[:10]:
            messages.error(request, error.get("message", ""))
        messages.error(request, f"Nothing applied: {message.reason}")
    return redirect("workspace-transport")
