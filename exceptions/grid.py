"""The queue as a grid: saved views per person, and bulk approval of every row a filter matches.

Bulk approval of a filter is decided on the server: the filter is read from the query string, the person confirms
the count it matches (the confirmation signs the ids and versions), and each confirmed row then goes through
exception_approve (the same visibility, role, tier and version checks as a single approval; refusals are audited
there) at the version it had when confirmed: a row changed since is refused with who changed it and when.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import urlencode

from django.core import signing
from django.db import IntegrityError, transaction
from django.http import QueryDict

from . import selectors
from .errors import InvalidInput, NotAllowed, StaleVersion
from .models import PlanningException, SavedView
from .services import exception_approve

BULK_LIMIT = (
    500  # rows one bulk approval decides: ~20 ms each (an audit row and an outbox row), ~10 s at most
)
BULK_QUEUES = ("open", "later", "low")
NAME_MAX = SavedView._meta.get_field("name").max_length


# --- saved views --------------------------------------------------------------------------------------------------


def saved_view_list(*, user):
    return SavedView.objects.filter(user_id=user.pk).order_by("name")


def _clean_query(query: str) -> str:
    """The query string as the queue reads it (unknown or wrong parameters dropped, page left out)."""
    return urlencode(selectors.QueueFilters.from_query(QueryDict(query.lstrip("?"))).as_query())


def saved_view_save(*, user, name: str, query: str) -> tuple[SavedView, bool]:
    """Save the view under its name (the same name again replaces its filter); returns (view, created)."""
    name = " ".join((name or "").split())
    if not name:
        raise InvalidInput({"name": "Name the view (for example “WA pumps due this week”)."})
    if len(name) > NAME_MAX:
        raise InvalidInput({"name": f"A view name has at most {NAME_MAX} characters, not {len(name)}."})
    clean = _clean_query(query or "")
    try:
        with transaction.atomic():
            view, created = SavedView.objects.update_or_create(
                user_id=user.pk, name=name, defaults={"query": clean}
            )
    except IntegrityError as err:  # a double submit raced the first one: it holds the same name
        raise InvalidInput({"name": f"A view named “{name}” was just saved: reload the page."}) from err
    return view, created


def saved_view_delete(*, user, pk: int) -> str:
    """Delete one of the user's views; returns its name (SavedView.DoesNotExist when it is not theirs)."""
    view = SavedView.objects.get(pk=pk, user_id=user.pk)
    name = view.name
    view.delete()
    return name


# --- bulk approval of a filter ------------------------------------------------------------------------------------

SALT = "exceptions.bulk-filter"
CONFIRM_MAX_AGE = 15 * 60  # seconds a confirmation stays valid


@dataclass
class BulkOutcome:
    confirmed: int
    approved: list[PlanningException] = field(default_factory=list)
    refused: list[tuple[PlanningException | None, str]] = field(default_factory=list)
    joined: int = 0  # rows that match the filter now but were not in the confirmed set (left alone)


def bulk_matching(*, actor, filters: selectors.QueueFilters) -> tuple[int, str]:
    """The rows a bulk approval of this filter would decide: their count and a signed token of their ids and
    versions, which the confirmation sends back (InvalidInput when the filter may not be bulk-approved)."""
    if filters.queue not in BULK_QUEUES:
        raise InvalidInput(
            {
                "queue": "Bulk approval works on the To do, Later and Low value tabs, where rows wait for a decision."
            }
        )
    if filters.errors:
        raise InvalidInput({"filter": " ".join(filters.errors.values())})
    count = selectors.exception_count(user=actor, filters=filters)
    if count == 0:
        raise InvalidInput({"filter": "No row matches this filter: there is nothing to approve."})
    if count > BULK_LIMIT:
        raise InvalidInput(
            {
                "filter": f"The filter matches {count:,} rows; a bulk approval decides at most {BULK_LIMIT:,}. "
                "Narrow the filter (location, supplier, type or minimum value) and try again."
            }
        )
    rows = list(
        selectors.exception_list(user=actor, filters=filters).values_list("pk", "version")[:BULK_LIMIT]
    )
    token = signing.dumps({"user": actor.pk, "rows": rows}, salt=SALT, compress=True)
    return len(rows), token


def exceptions_bulk_approve_matching(
    *, actor, filters: selectors.QueueFilters, expected, token: str
) -> BulkOutcome:
    """Approve the rows the person confirmed (ids and versions in the signed token), each through exception_approve
    at the version they saw: a row decided or changed since is refused with who did it and when."""
    try:
        data = signing.loads(token or "", salt=SALT, max_age=CONFIRM_MAX_AGE)
    except signing.SignatureExpired as err:
        raise InvalidInput({"expected": "The confirmation is older than 15 minutes: confirm again."}) from err
    except signing.BadSignature as err:
        raise InvalidInput(
            {"expected": "Confirm the rows to approve first (the confirmation is missing)."}
        ) from err
    rows = [(int(pk), int(version)) for pk, version in data.get("rows", [])]
    if data.get("user") != actor.pk or str(len(rows)) != str(expected):
        raise InvalidInput(
            {"expected": "This confirmation is not yours or not for this count: confirm again."}
        )
    outcome = BulkOutcome(confirmed=len(rows))
    visible = {
        exc.pk: exc
        for exc in selectors.exception_base(user=actor)
        .select_related("item_location__item", "location", "supplier")
        .filter(pk__in=[pk for pk, _v in rows])
    }
    for pk, version in rows:
        exc = visible.get(pk)
        if exc is None:
            outcome.refused.append((None, f"Exception #{pk} is no longer in your queues."))
            continue
        try:
            outcome.approved.append(exception_approve(exception=exc, actor=actor, version=version))
        except (StaleVersion, NotAllowed, InvalidInput) as err:
            exc.refresh_from_db()
            outcome.refused.append((exc, str(err)))
    now = set(selectors.exception_list(user=actor, filters=filters).values_list("pk", flat=True)[:BULK_LIMIT])
    outcome.joined = len(now - {pk for pk, _v in rows})
    return outcome
