"""The API answers as /api/schema/ says (issue 13 item 8): schemathesis generates requests for every operation of
the drf-spectacular schema and checks each response: no server error, a documented status code, content type,
headers, and a body that validates against the schema (nullable fields declared, `errors` in 400 bodies ...).

Bounded: EXAMPLES generated cases per operation with random path values (mostly 404s), as many with the path pinned
to real rows (so the 200 and 409 bodies are checked with real data, nulls included), and as many that break the
schema on purpose (the 400 bodies). The requests go in-process to the WSGI application, authenticated by a
manager's token. 250 cases (about 23 s of CPU); slow-marked like every test over 5 s, run by `make test` and CI.
"""

from __future__ import annotations

from contextlib import contextmanager
from decimal import Decimal

import pytest
import schemathesis
from django.core import signals
from django.core.cache import cache
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections, transaction
from hypothesis import HealthCheck, Phase, given
from hypothesis import settings as hypothesis_settings
from rest_framework.authtoken.models import Token
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.exceptions import factories as xf
from tests.governance import factories as gf

pytestmark = pytest.mark.django_db

EXAMPLES = 10
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]


@contextmanager
def in_process():
    """Requests handled in the test's own transaction: the WSGI handler must not close the connection after each
    request (Django's test client does the same, and connects the receivers again after each of its requests)."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    try:
        yield get_wsgi_application()
    finally:
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)


@pytest.fixture
def network():
    """A plan run with a SKU-location that runs out (plan, recommendation, exception) and a second exception with
    the optional fields empty (no supplier, owner, stockout date or decision)."""
    run = xf.plan_run(filters={"as_of": xf.today().isoformat()})
    il, plan, recommendation = xf.stockout_case(run=run)
    exception = xf.exception(item_location=il, recommendation=recommendation)
    xf.exception(type="excess", supplier=None, stockout_date=None, value_at_stake=Decimal("12.50"))
    return {"run": run, "plan": plan, "recommendation": recommendation, "exception": exception}


class _ServerError(Exception):
    def __init__(self, response):
        self.response = response


def _call(case, app, headers):
    """One request in a savepoint of its own, as a request has its own transaction in production: on PostgreSQL a
    failed statement would otherwise abort every request after it."""
    try:
        with transaction.atomic():
            response = case.call(app=app, headers=headers)
            if response.status_code >= 500:
                raise _ServerError(response)
    except _ServerError as error:
        return error.response
    return response


def _pinned(operation, real: dict[str, dict]) -> dict | None:
    """Path values of a real row for an operation with path parameters (None when it has none)."""
    names = {p.name for p in operation.path_parameters}
    if not names:
        return None
    for prefix, values in real.items():
        if operation.path.startswith(prefix) and names <= set(values):
            return {k: values[k] for k in names}
    return None


@pytest.mark.slow
def test_every_operation_answers_as_its_schema_says(network, client):
    manager = gf.user("manager")
    token = Token.objects.create(user=manager)
    headers = {"Authorization": f"Token {token.key}"}
    client.force_login(manager)
    raw = client.get("/api/schema/?format=json").json()
    schema = schemathesis.openapi.from_dict(raw)
    exception, recommendation, plan = network["exception"], network["recommendation"], network["plan"]
    real = {
        "/api/exceptions/": {"id": exception.pk},
        "/api/recommendations/": {"id": recommendation.pk},
        "/api/sku-locations/": {
            "location": plan.item_location.location.code,
            "sku": plan.item_location.item.sku,
        },
    }
    calls: list[tuple[str, int]] = []
    problems: set[str] = set()

    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 9  # list and detail of two resources, five decisions, the explanation
    with in_process() as app:
        _exercise(operations, real, app, headers, calls, problems)

    assert not problems, "\n".join(sorted(problems))
    statuses = {status for _label, status in calls}
    print(f"schemathesis: {len(calls)} cases over {len(operations)} operations, statuses {sorted(statuses)}")
    assert len(calls) >= len(operations) * 10
    assert 200 in statuses and 404 in statuses and 400 in statuses  # bodies of each kind were checked
    assert not any(status >= 500 for status in statuses)


def _exercise(operations, real, app, headers, calls, problems) -> None:
    for operation in operations:
        strategies = [operation.as_strategy()]
        pinned = _pinned(operation, real)
        if pinned is not None:
            strategies.append(operation.as_strategy(path_parameters=pinned))
        # requests that break the schema on purpose (a missing version, a number as text ...): the 400 bodies
        if operation.method.upper() == "POST":
            strategies.append(operation.as_strategy(GenerationMode.NEGATIVE, path_parameters=pinned))
        for strategy in strategies:

            @given(case=strategy)
            @hypothesis_settings(
                max_examples=EXAMPLES,
                deadline=None,
                database=None,
                derandomize=True,
                phases=[Phase.explicit, Phase.generate],
                suppress_health_check=list(HealthCheck),
            )
            def run(case):
                cache.clear()  # the per-user rate limit is not what is tested here
                response = _call(case, app, headers)
                calls.append((case.operation.label, response.status_code))
                try:
                    case.validate_response(response, checks=CHECKS, headers=headers)
                except (AssertionError, BaseExceptionGroup) as failure:  # collected, then reported at once
                    for found in getattr(failure, "exceptions", None) or [failure]:
                        lines = [line.strip() for line in str(found).splitlines() if line.strip()]
                        where = next((line for line in lines if line.startswith("Schema at")), "")
                        again = case.as_curl_command() if response.status_code >= 500 else ""
                        problems.add(
                            f"{case.operation.label} [{response.status_code}] {lines[:3]} {where} {again}"
                        )

            run()


# -- what the run above found, pinned as plain tests (fast) -----------------------------------------------------


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("/api/exceptions/?page=100000000000000000000", 200),  # was a database error: an empty page now
        ("/api/recommendations/?run=100000000000000000000", 400),  # was an integer overflow in the query
    ],
)
def test_out_of_range_numbers_are_not_server_errors(client, path, expected):
    client.force_login(gf.user("manager"))

    response = client.get(path)

    assert response.status_code == expected
    if expected == 200:
        assert response.json()["results"] == [] and response.json()["next"] is None
    else:
        assert "run" in response.json()


def test_a_decision_body_that_is_not_json_gets_the_declared_400(client):
    exception = xf.exception()
    client.force_login(gf.user("manager"))

    response = client.post(
        f"/api/exceptions/{exception.pk}/approve/", data="{not json", content_type="application/json"
    )

    assert response.status_code == 400
    assert set(response.json()) == {"detail", "errors"} and "body" in response.json()["errors"]


def test_null_fields_are_declared_nullable(client):
    client.force_login(gf.user("manager"))
    schema = client.get("/api/schema/?format=json").json()["components"]["schemas"]

    for name, fields in (
        ("Exception", ("sku", "description", "location", "supplier", "owner")),
        ("Recommendation", ("supplier_code", "source_location_code")),
    ):
        for field in fields:
            assert schema[name]["properties"][field].get("nullable") is True, (name, field)
