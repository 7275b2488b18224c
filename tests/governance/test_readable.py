"""Before/after snapshots and audit payloads in words, field by field, with labels and units."""

import pytest

from governance.readable import changes_text, field_changes, fields_text, readable_fields, value_pair
from tests.governance import factories as f

pytestmark = pytest.mark.django_db

BEFORE = {
    "status": "open",
    "version": 3,
    "proposal": {"action": "purchase_order", "quantity": 240, "date": "2026-12-10", "supplier_code": "S0004"},
    "value_at_stake": "1234.50",
    "snoozed_until": None,
    "maker": None,
}


def test_an_override_reads_as_the_fields_it_changed_with_units(settings):
    settings.DISTOPS_CURRENCY = "EUR"
    maker = f.user("buyer", username="alice")
    after = BEFORE | {
        "status": "overridden",
        "version": 4,
        "proposal": BEFORE["proposal"] | {"quantity": 180, "date": "2026-12-14"},
        "maker": maker.pk,
    }
    changes = [(c.label, c.before, c.after) for c in field_changes(BEFORE, after)]
    assert changes == [  # in the order a person reads a decision, whatever the order of the stored keys
        ("Status", "Open", "Overridden"),
        ("Quantity", "240 units", "180 units"),
        ("Date", "2026-12-10", "2026-12-14"),
        ("Changed by", "—", "alice"),
    ]  # the version (the optimistic lock) is not a change a person made
    assert changes_text(BEFORE, after).startswith(
        "Status: Open → Overridden; Quantity: 240 units → 180 units"
    )
    assert value_pair(BEFORE, after, "proposal.quantity") == ("240 units", "180 units")
    assert "{" not in changes_text(BEFORE, after) and '":' not in changes_text(BEFORE, after)


def test_a_payload_reads_as_labelled_fields_with_money_shares_and_nested_parts(settings):
    settings.DISTOPS_CURRENCY = "USD"
    payload = {
        "action": "expedite",
        "quantity": 12.0,
        "value_at_stake": "98765.4",
        "confidence": 0.834,
        "outcome": {"ok": True, "erp_transaction_id": "T-1"},
        "flags": ["no_history", "zero_cost"],
        "note": "",
    }
    fields = [(x.label, x.text) for x in readable_fields(payload)]
    assert fields == [
        ("Action", "Expedite an open PO"),
        ("Quantity", "12 units"),
        ("Value at stake", "USD 98,765.40"),
        ("Confidence", "83%"),
        ("ERP outcome: ok", "yes"),
        ("ERP outcome: erp transaction id", "T-1"),
        ("Flags", "no_history, zero_cost"),
        ("Note", "—"),
    ]
    assert fields_text({"quantity": 5}) == "Quantity: 5 units"
    assert field_changes({"a": 1}, {"a": 1}) == []


def test_a_decision_event_shows_its_changes_and_its_other_fields():
    from governance.readable import payload_text, payload_view

    after = BEFORE | {"status": "rejected", "version": 4}
    payload = {"version": 3, "before": BEFORE, "after": after, "reason_code": "data_error", "comment": ""}
    view = payload_view(payload)
    assert [(c.label, c.before, c.after) for c in view.changes] == [("Status", "Open", "Rejected")]
    assert [(f.label, f.text) for f in view.fields] == [
        ("Version", "3"),
        ("Reason", "data_error"),
        ("Comment", "—"),
    ]
    assert payload_text(payload) == "Status: Open → Rejected; Version: 3; Reason: data_error"


def test_a_list_of_records_reads_as_each_records_fields():
    payload = {"sets": [{"set": "856", "quantity": 4}, {"set": "855", "quantity": 1}]}
    assert fields_text(payload) == "Sets: Set: 856, Quantity: 4 units | Set: 855, Quantity: 1 units"
