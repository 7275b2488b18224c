"""The Integrations screen (administrators and managers) and the webhook receiver. Thin views: selectors read,
services write; every action is a POST form that also works without JavaScript."""

from __future__ import annotations

from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST
from django_htmx.http import HttpResponseClientRefresh, trigger_client_event
from rest_framework.throttling import SimpleRateThrottle

from replenish.core.paging import paginate

from . import selectors
from .edi_ingest import EdiRefused, edi_ingest
from .erp.breaker import breaker_reset
from .files.importers import FORMATS, file_receive
from .files.reader import FileFormatError
from .files.specs import SPECS
from .files.validate import describe
from .inbound import NotRetryable
from .inbox import inbox_retry
from .models import DataQualityIssue, EdiDocument, InboxMessage, OutboxMessage
from .outbox import outbox_requeue
from .progress import inbox_progress_get, inbox_progress_set
from .quality import data_quality_issue_resolve
from .tasks import inbox_process_task
from .webhooks import SIGNATURE_HEADER, TIMESTAMP_HEADER, webhook_receive

PAGE_SIZE = 50
MAX_UPLOAD_BYTES = 200 * 1024 * 1024
EDITABLE_PAYLOAD_BYTES = (
    512 * 1024
)  # larger payloads are fixed by uploading a corrected file, not in a textarea
CHANGED_EVENT = "integrations-changed"


def integrations_view(view):
    """Login, then administrators and managers only (403 for everyone else)."""

    @login_required
    @wraps(view)
    def wrapped(request, *args, **kwargs):
        if not selectors.can_view_integrations(request.user):
            raise PermissionDenied("The Integrations screen is for administrators and managers.")
        return view(request, *args, **kwargs)

    return wrapped


def _report_row(problem: dict) -> dict:
    """One line of a validation report: row, column (or EDI segment), cell (or segment position), message."""
    place = problem.get("cell") or (f"segment {problem['position']}" if problem.get("position") else "")
    return {
        "row": problem.get("row", ""),
        "column": problem.get("column") or problem.get("segment") or "",
        "cell": place,
        "message": problem.get("message", ""),
        "value": problem.get("value", ""),
        "where": describe(problem),
    }


def _page(request: HttpRequest, qs):
    return paginate(qs, request.GET.get("page") or 1, size=PAGE_SIZE, count=True)


def _query(request: HttpRequest, drop: str = "page") -> str:
    params = request.GET.copy()
    params.pop(drop, None)
    return params.urlencode()


@integrations_view
def integrations_home_view(request: HttpRequest) -> HttpResponse:
    context = {
        "counts": selectors.status_counts(),
        "health": selectors.erp_health(),
        "dead_inbox": selectors.inbox_list(user=request.user, status="dead")[:10],
        "dead_outbox": selectors.outbox_list(user=request.user, status=OutboxMessage.Status.DEAD)[:10],
        "open_issues": selectors.data_quality_issue_list(user=request.user).count(),
        "tab": "home",
    }
    return render(request, "integrations/home.html", context)


@integrations_view
def inbox_list_view(request: HttpRequest) -> HttpResponse:
    filters = {"status": request.GET.get("status", ""), "kind": request.GET.get("kind", "")}
    page = _page(request, selectors.inbox_list(user=request.user, **filters))
    context = {
        "page": page,
        "filters": filters,
        "statuses": InboxMessage.Status.choices,
        "query": _query(request),
        "tab": "dead" if filters["status"] == "dead" else "inbox",
        "dead_outbox": selectors.outbox_list(user=request.user, status=OutboxMessage.Status.DEAD)[:50]
        if filters["status"] == "dead"
        else [],
    }
    template = "integrations/inbox_list.html"
    if request.htmx and request.htmx.target == "inbox-table":
        template += "#inbox-table"
    return render(request, template, context)


@integrations_view
def inbox_detail_view(request: HttpRequest, pk: int) -> HttpResponse:
    message = get_object_or_404(selectors.inbox_list(user=request.user).defer(None), pk=pk)
    editable = message.meta.get("encoding") != "base64" and len(message.payload) <= EDITABLE_PAYLOAD_BYTES
    context = {
        "message": message,
        "editable": editable,
        "tab": "inbox",
        "errors": [_report_row(e) for e in message.errors[:500]],
        "edi_transactions": message.edi_transactions.all()[:200],
        "edi_documents": message.edi_documents.defer("text")[:50],
        "payload_preview": message.payload if editable else message.payload[:4000],
        "progress": inbox_progress_get(message.pk),
    }
    return render(request, "integrations/inbox_detail.html", context)


@integrations_view
def inbox_progress_view(request: HttpRequest, pk: int) -> HttpResponse:
    """The progress bar of a message a worker is processing (polled by htmx every second while it is received);
    once processed, the whole page reloads with the outcome."""
    message = get_object_or_404(selectors.inbox_list(user=request.user), pk=pk)
    if message.status != InboxMessage.Status.RECEIVED and request.htmx:
        return HttpResponseClientRefresh()
    return render(
        request,
        "integrations/inbox_detail.html#inbox-progress",
        {"message": message, "progress": inbox_progress_get(message.pk)},
    )


@integrations_view
@require_POST
def inbox_retry_view(request: HttpRequest, pk: int) -> HttpResponse:
    message = get_object_or_404(selectors.inbox_list(user=request.user).defer(None), pk=pk)
    payload = request.POST.get("payload") if "payload" in request.POST else None
    try:
        message = inbox_retry(message=message, actor=request.user, payload=payload)
    except NotRetryable as exc:
        messages.error(request, str(exc))
        return redirect("integrations:inbox_detail", pk=pk)
    if message.status == InboxMessage.Status.APPLIED:
        messages.success(request, f"Message {message.pk} applied on retry.")
    else:
        messages.error(
            request, f"Message {message.pk} is still {message.get_status_display().lower()}: {message.reason}"
        )
    if request.htmx and request.htmx.target and request.htmx.target.startswith("inbox-row-"):
        response = render(request, "integrations/inbox_list.html#inbox-row", {"row": message})
        return trigger_client_event(response, CHANGED_EVENT)
    return redirect("integrations:inbox_detail", pk=pk)


@integrations_view
def outbox_list_view(request: HttpRequest) -> HttpResponse:
    status = request.GET.get("status", "")
    page = _page(request, selectors.outbox_list(user=request.user, status=status))
    context = {
        "page": page,
        "status": status,
        "statuses": OutboxMessage.Status.choices,
        "query": _query(request),
        "tab": "outbox",
        "health": selectors.erp_health(),
    }
    template = "integrations/outbox_list.html"
    if request.htmx and request.htmx.target == "outbox-table":
        template += "#outbox-table"
    return render(request, template, context)


@integrations_view
def outbox_detail_view(request: HttpRequest, pk: int) -> HttpResponse:
    message = get_object_or_404(selectors.outbox_list(user=request.user), pk=pk)
    context = {
        "message": message,
        "attempts": message.posting_attempts.all(),
        "tab": "outbox",
        "documents": message.edi_documents.all(),
    }
    return render(request, "integrations/outbox_detail.html", context)


@integrations_view
@require_POST
def outbox_requeue_view(request: HttpRequest, pk: int) -> HttpResponse:
    message = get_object_or_404(selectors.outbox_list(user=request.user), pk=pk)
    try:
        message = outbox_requeue(message=message, actor=request.user)
        messages.success(request, f"Outbox message {message.pk} requeued with the same idempotency key.")
    except ValueError as exc:
        messages.error(request, str(exc))
    if request.htmx:
        message.refresh_from_db()
        response = render(request, "integrations/outbox_list.html#outbox-row", {"row": message})
        return trigger_client_event(response, CHANGED_EVENT)
    return redirect("integrations:outbox_detail", pk=pk)


@integrations_view
def erp_health_view(request: HttpRequest) -> HttpResponse:
    context = {"health": selectors.erp_health(), "tab": "erp"}
    template = "integrations/erp_health.html"
    if request.htmx and request.htmx.target == "erp-health":
        template += "#erp-health"
    return render(request, template, context)


@integrations_view
@require_POST
def erp_reset_view(request: HttpRequest) -> HttpResponse:
    breaker_reset(actor=request.user)
    messages.success(request, "The ERP circuit breaker is closed again: postings resume.")
    return redirect("integrations:erp_health")


@integrations_view
@require_POST
def erp_pull_view(request: HttpRequest) -> HttpResponse:
    from .tasks import erp_pull_task

    erp_pull_task.delay()
    messages.success(request, "ERP pull started.")
    return redirect("integrations:erp_health")


@integrations_view
def file_upload_view(request: HttpRequest) -> HttpResponse:
    result, status = None, 200
    form = {"kind": "balances", "format": "long", "location": "", "create_missing": False, "sku_prefix": ""}
    if request.method == "POST":
        form.update({key: request.POST.get(key, "") for key in ("kind", "format", "location", "sku_prefix")})
        form["create_missing"] = request.POST.get("create_missing") == "1"
        upload = request.FILES.get("file")
        if upload is None:
            messages.error(request, "Choose a file to upload.")
        elif upload.size > MAX_UPLOAD_BYTES:
            messages.error(
                request,
                f"The file is larger than {MAX_UPLOAD_BYTES // (1024 * 1024)} MB: load it with "
                f"the import_file command instead.",
            )
        elif form["kind"] not in SPECS or form["format"] not in FORMATS:
            messages.error(request, "Choose what the file holds and its format.")
        else:
            try:
                result, new = file_receive(
                    kind=form["kind"],
                    data=upload.read(),
                    filename=upload.name,
                    options={
                        "format": form["format"] if form["format"] != "long" else None,
                        "location": form["location"].strip(),
                        "create_missing": form["create_missing"],
                        "sku_prefix": form["sku_prefix"].strip(),
                    },
                )
            except FileFormatError as refused:  # a NUL byte: refused before anything is stored
                messages.error(request, f"{upload.name}: refused, nothing was stored: {refused}")
                status = 422
            else:
                if (
                    new
                ):  # processed by a worker, never inside the request (in-process when there is no broker)
                    inbox_progress_set(result.pk, 0, "waiting for a worker")
                    inbox_process_task.delay(result.pk, request.user.pk)
                    result.refresh_from_db()
                if result.status == InboxMessage.Status.RECEIVED:  # a worker has it: follow its progress
                    return redirect("integrations:inbox_detail", pk=result.pk)
    context = {
        "kinds": [(kind, spec.label) for kind, spec in SPECS.items()],
        "formats": FORMATS,
        "form": form,
        "result": result,
        "tab": "files",
        "errors": [_report_row(e) for e in (result.errors if result else [])[:500]],
        "replayed": bool(result and result.replays),
    }
    return render(request, "integrations/file_upload.html", context, status=status)


@integrations_view
def edi_list_view(request: HttpRequest) -> HttpResponse:
    status = 200
    if request.method == "POST":
        upload = request.FILES.get("file")
        if upload is None:
            messages.error(request, "Choose an EDI file to upload.")
        else:
            try:
                message = edi_ingest(data=upload.read(), filename=upload.name, actor=request.user)
                return redirect("integrations:inbox_detail", pk=message.pk)
            except EdiRefused as refused:
                messages.error(request, f"{upload.name}: refused, nothing was stored: {refused}")
                status = 422
    transaction_set_id = request.GET.get("set", "")
    page = _page(
        request, selectors.edi_document_list(user=request.user, transaction_set_id=transaction_set_id)
    )
    return render(
        request,
        "integrations/edi_list.html",
        {"page": page, "set": transaction_set_id, "tab": "edi", "query": _query(request)},
        status=status,
    )


@integrations_view
def edi_document_view(request: HttpRequest, pk: int) -> HttpResponse:
    document = get_object_or_404(EdiDocument, pk=pk)
    return render(request, "integrations/edi_document.html", {"document": document, "tab": "edi"})


@integrations_view
def quality_list_view(request: HttpRequest) -> HttpResponse:
    filters = {"status": request.GET.get("status", "open"), "code": request.GET.get("code", "")}
    page = _page(request, selectors.data_quality_issue_list(user=request.user, **filters))
    context = {
        "page": page,
        "filters": filters,
        "codes": DataQualityIssue.Code.choices,
        "tab": "quality",
        "query": _query(request),
    }
    template = "integrations/quality_list.html"
    if request.htmx and request.htmx.target == "quality-table":
        template += "#quality-table"
    return render(request, template, context)


@integrations_view
@require_POST
def quality_resolve_view(request: HttpRequest, pk: int) -> HttpResponse:
    issue = get_object_or_404(selectors.data_quality_issue_list(user=request.user, status=""), pk=pk)
    issue = data_quality_issue_resolve(issue=issue, actor=request.user, note=request.POST.get("note", ""))
    if request.htmx:
        response = render(request, "integrations/quality_list.html#quality-row", {"row": issue})
        return trigger_client_event(response, CHANGED_EVENT)
    messages.success(request, "Issue marked resolved.")
    return redirect("integrations:quality")


class WebhookThrottle(SimpleRateThrottle):
    """REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]["webhook"] requests per source and sending address (DRF's counter)."""

    scope = "webhook"

    def get_cache_key(self, request, view) -> str:
        return self.cache_format % {"scope": self.scope, "ident": f"{view}:{self.get_ident(request)}"}


@csrf_exempt
@require_POST
def webhook_view(request: HttpRequest, source: str) -> HttpResponse:
    """Signed by HMAC (see integrations/webhooks.py): no session, no CSRF token, no cookies."""
    throttle = WebhookThrottle()
    if not throttle.allow_request(request, source):
        wait = int(throttle.wait() or 1)
        response = JsonResponse(
            {"error": f"too many requests from this sender: retry in {wait} s"}, status=429
        )
        response["Retry-After"] = str(wait)
        return response
    result = webhook_receive(
        source=source,
        timestamp=request.headers.get(TIMESTAMP_HEADER),
        signature_header=request.headers.get(SIGNATURE_HEADER),
        body=request.body,
    )
    return JsonResponse(result.body, status=result.status)
