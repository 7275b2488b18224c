"""The queue page's rows (issue 12, queue p95 at 900,000 SKU-locations): whatever the page's SQL looks like, each
tab, filter, sort and page shows the rows, in the order and with the total that the rules give, computed here from
the rows in Python (visibility, floors, capacity, rank by value then id), not from the SQL."""

from datetime import timedelta
from decimal import Decimal
from urllib.parse import urlencode

import pytest
from django.http import QueryDict
from django.utils import timezone

from exceptions import selectors
from exceptions.models import TODO, PlanningException, Status, TeamSetting, WorkCapacity
from tests import factories as f
from tests.exceptions import factories as xf

pytestmark = pytest.mark.django_db
QUEUE = "/queue/"
FLOOR = Decimal("105")
CAPACITY = 10


@pytest.fixture
def scene(users):
    """buyer1's rows over two locations, two suppliers and two categories, SKUs under two prefixes, values with ties
    (the id breaks them), some dates and suppliers empty, some below the floor, some decided or snoozed; and rows of
    buyer2 that buyer1 may not see."""
    buyer, other = users["buyer1"], users["buyer2"]
    TeamSetting.objects.filter(team="procurement").update(value_floor=FLOOR)
    WorkCapacity.objects.update_or_create(user=buyer, defaults={"daily_decisions": CAPACITY})
    locations = [f.location(code="WA"), f.location(code="WB")]
    suppliers = [f.supplier(code="SUPA", name="Alpha"), f.supplier(code="SUPB", name="Bravo")]
    today = timezone.localdate()
    now = timezone.now()
    rows = []
    for i in range(84):
        owner = other if i % 7 == 6 else buyer
        (il,) = xf.network(buyer=owner, location=locations[i % 3 == 0], supplier=suppliers[i % 4 == 1])
        il.item.sku = f"SKU-{'AB'[i % 2]}{i:04d}"
        il.item.description = "Pump housing" if i % 5 == 0 else "Hex bolt"
        il.item.category = "Valves" if i % 3 == 1 else "Fasteners"
        il.item.save(update_fields=["sku", "description", "category"])
        status = Status.OPEN
        extra = {}
        if i % 11 == 10:
            status, extra = Status.APPROVED, {"decided_at": now - timedelta(minutes=i)}
        elif i % 13 == 12:
            status, extra = Status.SNOOZED, {"snoozed_until": today + timedelta(days=3)}
        rows.append(
            xf.exception(
                item_location=il,
                buyer=owner,
                owner=owner,
                category=il.item.category,
                supplier=None if i % 9 == 4 else suppliers[i % 4 == 1],
                value_at_stake=Decimal(10 * (i % 40 + 1)),  # ties: i and i + 40 share a value
                type="excess" if i % 2 else "stockout_risk",
                status=status,
                due_by=None if i % 6 == 5 else today + timedelta(days=i % 8),
                stockout_date=None if i % 4 == 3 else today + timedelta(days=i % 5),
                confidence=round(0.5 + (i % 7) / 20, 2),
                **extra,
            )
        )
    return buyer, PlanningException.objects.filter(pk__in=[r.pk for r in rows]).select_related(
        "item_location__item", "location", "supplier"
    )


def expected(buyer, rows, params):
    """The page's rows and the total, by the rules (see the module docstring)."""
    mine = [r for r in rows if buyer.pk in (r.buyer_id, r.owner_id)]
    queue = params.get("queue", "open")
    if queue == "decided":
        tab = sorted((r for r in mine if r.decided_at), key=lambda r: (r.decided_at, r.pk), reverse=True)
    else:
        above = sorted(
            (r for r in mine if r.status in TODO and r.value_at_stake >= FLOOR),
            key=lambda r: (-r.value_at_stake, r.pk),
        )
        tab = {
            "open": above[:CAPACITY],
            "later": above[CAPACITY:],
            "low": sorted(
                (r for r in mine if r.status in TODO and r.value_at_stake < FLOOR),
                key=lambda r: (-r.value_at_stake, r.pk),
            ),
        }[queue]
    term = params.get("q", "").upper()

    def matches(r):
        item = r.item_location.item
        found = item.sku.upper().startswith(term) or (
            not term.startswith("SKU") and term.lower() in item.description.lower()
        )
        return (
            (not term or found)
            and params.get("location") in (None, r.location.code)
            and params.get("supplier") in (None, r.supplier and r.supplier.code)
            and params.get("category") in (None, r.category)
            and params.get("type") in (None, r.type)
            and r.value_at_stake >= Decimal(params.get("min_value", "0"))
        )

    tab = [r for r in tab if matches(r)]
    ordering = params.get("ordering")
    if ordering:
        name = ordering.lstrip("-")
        key = {
            "due": lambda r: r.due_by,
            "days": lambda r: r.stockout_date,
            "supplier": lambda r: r.supplier and r.supplier.name,
            "confidence": lambda r: r.confidence,
            "value": lambda r: r.value_at_stake,
        }[name]
        present = sorted((r for r in tab if key(r) is not None), key=lambda r: r.pk)
        present.sort(key=key, reverse=ordering.startswith("-"))  # stable: the id breaks ties
        tab = present + sorted((r for r in tab if key(r) is None), key=lambda r: r.pk)  # empty last
    page = int(params.get("page", 1))
    start = (page - 1) * selectors.PAGE_SIZE
    return [r.pk for r in tab[start : start + selectors.PAGE_SIZE]], len(tab)


CASES = [
    {},
    {"queue": "later"},
    {"queue": "later", "page": "2"},
    {"queue": "low"},
    {"queue": "decided"},
    {"queue": "later", "q": "sku-b"},
    {"queue": "later", "q": "pump"},
    {"q": "SKU-A00"},
    {"queue": "later", "location": "WB", "supplier": "SUPB"},
    {"queue": "later", "category": "Valves", "type": "excess", "min_value": "250"},
    {"queue": "later", "ordering": "supplier"},
    {"queue": "later", "ordering": "due", "page": "2"},
    {"queue": "later", "ordering": "-confidence", "q": "SKU"},
    {"ordering": "days"},
    {"queue": "low", "ordering": "-value", "location": "WA"},
]


@pytest.mark.parametrize("params", CASES, ids=lambda p: "&".join(f"{k}={v}" for k, v in p.items()) or "to_do")
def test_each_tab_filter_sort_and_page_shows_the_rows_the_rules_give(client, scene, params):
    buyer, rows = scene
    want, total = expected(buyer, list(rows), params)
    assert want or params.get("page")  # each case shows rows (a second page may be the last rows)
    client.force_login(buyer)
    response = client.get(QUEUE, params)
    assert [r.pk for r in response.context["rows"]] == want
    assert response.context["total"] == total
    body = response.content.decode()
    assert all(f'id="row-{pk}"' in body for pk in want)


@pytest.mark.parametrize("params", CASES, ids=lambda p: "&".join(f"{k}={v}" for k, v in p.items()) or "to_do")
def test_filters_from_the_url_list_the_same_rows_as_filters_built_in_code(scene, params):
    """QueueFilters.from_query's values are the form's cleaned values (not validated again); filters built in code
    are validated by the FilterSet: both list the same rows."""
    buyer, _rows = scene
    checked = selectors.QueueFilters.from_query(QueryDict(urlencode(params)))
    built = selectors.QueueFilters(
        queue=checked.queue,
        location=checked.location,
        supplier=checked.supplier,
        category=checked.category,
        type=checked.type,
        min_value=checked.min_value,
        search=checked.search,
        ordering=checked.ordering,
    )
    assert checked.checked and not built.checked
    from_url = selectors.exception_list(user=buyer, filters=checked)
    in_code = selectors.exception_list(user=buyer, filters=built)
    assert list(from_url.values_list("pk", flat=True)) == list(in_code.values_list("pk", flat=True))
    assert str(from_url.query) == str(
        in_code.query
    )  # the same SQL, without a FilterSet instance for the first


LOOPS = {  # the filter bar's selects as queue.html wrote them before filter_options
    "code_name": '{% for code, name in choices %}<option value="{{ code }}" {% if code == selected %}selected'
    "{% endif %}>{{ code }} {{ name }}</option>{% endfor %}",
    "name": '{% for code, name in choices %}<option value="{{ code }}" {% if code == selected %}selected{% endif %}>'
    "{{ name }}</option>{% endfor %}",
    "bare": "{% for c in choices %}<option {% if c == selected %}selected{% endif %}>{{ c }}</option>{% endfor %}",
}


@pytest.mark.parametrize("label", list(LOOPS))
@pytest.mark.parametrize("selected", ["", "B&Q", "W<1>", 'say "hi"', "none of them"])
def test_the_filter_options_are_the_options_the_template_loop_wrote(label, selected):
    from django.template import Context, Template

    from exceptions.templatetags.exceptions_tags import filter_options

    pairs = [("WA", "West <A>"), ("B&Q", "Bolts & Quads"), ("W<1>", "x"), ('say "hi"', "it's"), ("", "empty")]
    choices = [code for code, _name in pairs] if label == "bare" else pairs
    want = Template(LOOPS[label]).render(Context({"choices": choices, "selected": selected}))
    got = filter_options(choices, selected, label)
    assert got == want
    assert got.count(" selected>") == (selected in [c for c, _n in pairs])
