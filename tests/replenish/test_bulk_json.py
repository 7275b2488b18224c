"""replenish.bulk.json_text (orjson) writes the documents COPY loads into jsonb columns: read back, each must be what
json.dumps (the JSON field's own encoding) gave before."""

import json
from datetime import UTC, date, datetime
from decimal import Decimal

import numpy as np
import pytest
from django.db import models

from exceptions.bulk import _json, _json_default
from replenish.bulk import json_text


class Colour(models.TextChoices):
    RED = "red", "Red"


DOCUMENT = {
    "text": 'Schraube M8 \u2013 \u00e9t\u00e9 "quoted"\ttab\nline',
    "status": Colour.RED,  # a str subclass: its value
    "int": 12,
    "big": 2**62,
    "negative": -3,
    "floats": [0.1, 1e-05, 123456789.125, 1e16, 2.5e-310, -0.0, 1 / 3],
    "numpy_float": np.float64(0.30000000000000004),
    "tuple": (1, "a", None),
    "nested": {"a": [{"b": True, "c": False, "d": None}], "e": {}},
    3: "an int key",
    None: "a None key",
    True: "a bool key",
}


def test_json_text_reads_back_as_json_dumps_wrote_it():
    assert json.loads(json_text(DOCUMENT)) == json.loads(json.dumps(DOCUMENT))


def test_json_text_refuses_what_json_dumps_refuses():
    for value in ({"amount": Decimal("1.50")}, {"when": {1, 2}}):
        with pytest.raises(TypeError):
            json.dumps(value)
        with pytest.raises(TypeError):
            json_text(value)


def test_exception_documents_read_back_as_the_old_encoder_wrote_them():
    """The exception rows' documents: Decimals as strings, dates and datetimes in ISO form."""
    old = json.JSONEncoder(default=_json_default).encode
    document = {
        **{str(k): v for k, v in DOCUMENT.items()},
        "value": Decimal("1234.50"),
        "parts": [Decimal("0.00"), Decimal("-12.34")],
        "due": date(2026, 12, 7),
        "at": datetime(2026, 12, 7, 5, 6, 7, 123456, tzinfo=UTC),
        "at_whole_second": datetime(2026, 12, 7, 5, 6, 7, tzinfo=UTC),
    }
    assert json.loads(_json(document)) == json.loads(old(document))
    assert _json(None) == "{}"
