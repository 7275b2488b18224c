"""Override history (filters, exports), one recommendation's timeline, the approvals inbox listing."""

import csv
import io
from datetime import timedelta
from decimal import Decimal

import openpyxl
import pytest
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from exceptions.models import Decision, PlanningException
from governance.selectors import approvals_inbox_list
from integrations.services import outbox_enqueue
from replenish.core.audit import audit_record

from . import factories as f

pytestmark = pytest.mark.django_db


@pytest.fixture
def history():
    b1, b2 = f.user("buyer", username="alice"), f.user("buyer", username="bob")
    rows = [
        (b1, "override", "forecast_too_high", "stockout_risk", "800", 1),
        (b1, "override", "promotion", "inbound_late", "12000", 3),
        (b2, "override", "forecast_too_high", "stockout_risk", "3000", 10),
        (b2, "approve", "", "stockout_risk", "900", 2),
        (None, "auto_execute", "", "reorder_due", "300", 4),
    ]
    made = []
    for actor, action, reason, exc_type, value, days_ago in rows:
        exc = f.exception(type=exc_type, value_at_stake=Decimal(value))
        d = f.decision(
            exception_=exc,
            action=action,
            actor=actor,
            reason_code=reason,
            comment='=HYPERLINK("http://evil")' if value == "800" else "checked",
            before={"quantity": 100},
            after={"quantity": 60},
        )
        Decision.objects.filter(pk=d.pk).update(created_at=timezone.now() - timedelta(days=days_ago))
        made.append(d)
    return made


def _ids(response) -> list[int]:
    return [d.pk for d in response.context["page"].object_list]


def test_filters_by_user_reason_type_date_and_value(client, history):
    client.force_login(f.user("auditor"))
    url = reverse("governance:overrides")
    o1, o2, o3, approve, auto = history
    assert _ids(client.get(url)) == [o1.pk, o2.pk, o3.pk]  # overrides only, newest first
    assert _ids(client.get(url, {"user": "alice"})) == [o1.pk, o2.pk]
    assert _ids(client.get(url, {"reason": "forecast_too_high"})) == [o1.pk, o3.pk]
    assert _ids(client.get(url, {"type": "inbound_late"})) == [o2.pk]
    assert _ids(client.get(url, {"value_min": "1000", "value_max": "5000"})) == [o3.pk]
    today = timezone.localdate()
    assert _ids(
        client.get(url, {"date_from": (today - timedelta(days=5)).isoformat(), "date_to": today.isoformat()})
    ) == [o1.pk, o2.pk]
    assert _ids(client.get(url, {"action": "auto_execute"})) == [auto.pk]  # automation reviewable afterwards
    bad = client.get(url, {"date_from": "yesterday", "value_min": "lots"})
    assert (
        set(bad.context["errors"]) == {"date_from", "value_min"} and "must be a date" in bad.content.decode()
    )


def test_exports_follow_the_filters_and_are_injection_safe(client, history):
    client.force_login(f.user("auditor"))
    url = reverse("governance:overrides")
    response = client.get(url, {"user": "alice", "export": "csv"})
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.getvalue().decode())))
    assert len(rows) == 3 and rows[0][0] == "When"
    comments = {r[9] for r in rows[1:]}
    assert comments == {'\'=HYPERLINK("http://evil")', "checked"}
    response = client.get(url, {"user": "alice", "export": "xlsx"})
    sheet = openpyxl.load_workbook(io.BytesIO(response.getvalue())).active
    assert sheet.max_row == 3
    values = {sheet.cell(row=r, column=10).value for r in (2, 3)}
    assert values == {'\'=HYPERLINK("http://evil")', "checked"}
    assert {sheet.cell(row=r, column=11).value for r in (2, 3)} == {800.0, 12000.0}


def test_timeline_shows_events_and_outbox_state_from_creation_to_erp(client):
    exc = f.exception(status="posted")
    with transaction.atomic():
        audit_record(
            kind="recommendation",
            action="create",
            actor=None,
            subject_type="exception",
            subject_id=exc.pk,
            payload={"summary": "Order 240"},
        )
    buyer = f.user("buyer")
    with transaction.atomic():
        audit_record(
            kind="decision",
            action="approve",
            actor=buyer,
            subject_type="exception",
            subject_id=exc.pk,
            payload={"quantity": 240},
        )
        message = outbox_enqueue(
            kind="create_po",
            idempotency_key=f"exc-{exc.pk}-v1",
            payload={"q": 240},
            subject_type="exception",
            subject_id=exc.pk,
        )
    with transaction.atomic():
        audit_record(
            kind="posting",
            action="delivered",
            actor=None,
            subject_type="exception",
            subject_id=exc.pk,
            payload={"erp": "PO-991"},
        )
    other = f.exception(type="excess")
    with transaction.atomic():
        audit_record(
            kind="decision", action="reject", actor=buyer, subject_type="exception", subject_id=other.pk
        )
    client.force_login(f.user("auditor"))
    response = client.get(reverse("governance:timeline", args=["exception", exc.pk]))
    entries = response.context["entries"]
    assert [e.title for e in entries if e.source == "audit"] == [
        "Recommendation created: create",
        "Human decision: approve",
        "ERP posting outcome: delivered",
    ]
    assert any(e.source == "outbox" and "create_po" in e.title for e in entries)
    assert response.context["outbox_messages"] == [message]
    assert "Pending" in response.content.decode()


def test_inbox_lists_what_the_managers_rank_covers():
    manager, director = f.user("manager"), f.user("director")
    buyer = f.user("buyer")
    small = f.exception(
        status="awaiting_approval", required_role="manager", maker=buyer, value_at_stake=Decimal("8000")
    )
    big = f.exception(
        status="awaiting_approval",
        required_role="director",
        maker=buyer,
        value_at_stake=Decimal("90000"),
        type="excess",
    )
    f.exception(status="open", type="inbound_late")
    assert list(approvals_inbox_list(user=manager)) == [small]
    assert list(approvals_inbox_list(user=director)) == [big, small]
    assert list(approvals_inbox_list(user=buyer)) == []


def test_override_export_carries_readable_columns_not_json(client, history):
    client.force_login(f.user("auditor"))
    response = client.get(reverse("governance:overrides"), {"user": "bob", "export": "csv"})
    rows = list(csv.reader(io.StringIO(response.getvalue().decode())))
    header, row = rows[0], rows[1]
    assert header[12:] == [
        "Status before",
        "Status after",
        "Quantity before",
        "Quantity after",
        "Date before",
        "Date after",
        "What changed",
    ]
    assert row[14:16] == ["100 units", "60 units"]
    assert row[18] == "Quantity: 100 units → 60 units"
    assert not any(cell.startswith(("{", "[")) or '":' in cell for r in rows for cell in r)


def test_audit_trail_exports_csv_and_excel_with_the_filters(client):
    buyer = f.user("buyer", username="carol")
    exc = f.exception(status="open")
    with transaction.atomic():
        audit_record(
            kind="decision",
            action="override",
            actor=buyer,
            subject_type="exception",
            subject_id=exc.pk,
            payload={
                "before": {"status": "open", "proposal": {"quantity": 240}},
                "after": {"status": "overridden", "proposal": {"quantity": 180}},
                "reason_code": "promotion",
            },
        )
        audit_record(kind="system", action="other", actor=None, subject_type="x", subject_id=1, payload={})
    client.force_login(f.user("auditor"))
    url = reverse("governance:audit_trail")
    page = client.get(url, {"actor": "carol"}).content.decode()
    assert 'id="export-csv"' in page and "actor=carol&amp;export=csv" in page
    rows = list(
        csv.reader(io.StringIO(client.get(url, {"actor": "carol", "export": "csv"}).getvalue().decode()))
    )
    assert rows[0] == ["Sequence", "When", "Kind", "Action", "By", "Subject", "Subject id", "Details", "Hash"]
    assert len(rows) == 2 and rows[1][4] == "carol" and rows[1][5] == "exception"
    assert rows[1][7] == "Status: Open → Overridden; Quantity: 240 units → 180 units; Reason: promotion"
    book = openpyxl.load_workbook(
        io.BytesIO(client.get(url, {"actor": "carol", "export": "xlsx"}).getvalue())
    )
    assert book.active.max_row == 2 and book.active.cell(row=2, column=8).value == rows[1][7]
    # on the page too, the payload reads as fields, never as a dict
    assert "Quantity" in page and "240 units" in page and "{&#x27;" not in page and "{'" not in page


def test_an_exception_timeline_links_to_its_recommendations_timeline(client):
    from tests.exceptions import factories as ef

    exc = ef.exception(status="open")
    rec = ef.recommendation(run=ef.plan_run(), item_location=exc.item_location)
    PlanningException.objects.filter(pk=exc.pk).update(recommendation=rec)
    exc.refresh_from_db()
    client.force_login(f.user("auditor"))
    page = client.get(reverse("governance:timeline", args=["exception", exc.pk])).content.decode()
    link = reverse("governance:timeline", args=["recommendation", exc.recommendation_id])
    assert 'id="recommendation-link"' in page and f'href="{link}"' in page
    back = client.get(link).content.decode()
    assert reverse("governance:timeline", args=["exception", exc.pk]) in back
