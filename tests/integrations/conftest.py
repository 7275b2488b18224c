"""Fixtures of the integrations tests: a real reference ERP HTTP server on 127.0.0.1 in a thread."""

from __future__ import annotations

import json
import re
import urllib.request
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from integrations.erp.reference_server import start_in_thread
from replenish import models as m
from tests import factories as f
from tests.integrations import factories as ff


class ErpServer:
    def __init__(self, server, state, url):
        self.server, self.state, self.url = server, state, url

    def call(self, path: str, body: dict | None = None) -> dict:
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(
            self.url + path,
            data=data,
            method="POST" if data else "GET",
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=5) as response:
            return json.loads(response.read())

    def seed(self, entity: str, records: list[dict]) -> None:
        self.call("/_records", {"entity": entity, "records": records})

    def faults(self, *, post: list[dict] | None = None, get: list[dict] | None = None) -> None:
        self.call("/_faults", {"post": post or [], "get": get or []})

    def stats(self) -> dict:
        return self.call("/_stats")


@pytest.fixture(scope="session")
def _erp_server():
    server, state, url = start_in_thread()
    yield ErpServer(server, state, url)
    server.shutdown()
    server.server_close()


@pytest.fixture
def erp(_erp_server, settings):
    """The reference ERP, emptied, configured as the ERP (fast breaker and backoff settings for tests)."""
    _erp_server.state.reset()
    settings.DISTOPS_ERP_URL = _erp_server.url
    settings.DISTOPS_ERP_TIMEOUT = 1.0
    settings.DISTOPS_ERP_BREAKER_THRESHOLD = 3
    settings.DISTOPS_ERP_BREAKER_COOLDOWN_SECONDS = 60
    settings.DISTOPS_ERP_PULL_BACKOFF_BASE_SECONDS = 0.01
    return _erp_server


class TrytonServer:
    """A running trytond (DISTOPS_TRYTON_TEST_URL), shared by the tests: each test loads its own small company
    network under a prefix of its own, so tests never see each other's codes."""

    def __init__(self, url: str, password: str):
        from integrations.erp.tryton.client import TrytonClient

        self.url, self.password = url, password
        self.client = TrytonClient(url, user="admin", password=password, timeout=30)

    def adapter(self):
        from integrations.erp.tryton.adapter import TrytonErpAdapter
        from integrations.erp.tryton.client import TrytonClient

        return TrytonErpAdapter(TrytonClient(self.url, user="admin", password=self.password, timeout=30))


@pytest.fixture(scope="session")
def _tryton_server():
    import os

    return TrytonServer(
        os.environ.get("DISTOPS_TRYTON_TEST_URL", ""), os.environ.get("DISTOPS_TRYTON_TEST_PASSWORD", "admin")
    )


@pytest.fixture
def tryton(_tryton_server, settings):
    """The live Tryton, configured as the ERP adapter (fast breaker and backoff settings for tests)."""
    from integrations.erp.tryton.network import company_ensure

    settings.DISTOPS_ERP_ADAPTER = "tryton"
    settings.DISTOPS_TRYTON_URL = _tryton_server.url
    settings.DISTOPS_TRYTON_USER = "admin"
    settings.DISTOPS_TRYTON_PASSWORD = _tryton_server.password
    settings.DISTOPS_TRYTON_PO_STATE = "quotation"
    settings.DISTOPS_ERP_TIMEOUT = 30.0
    settings.DISTOPS_ERP_PULL_BACKOFF_BASE_SECONDS = 0.01
    company_ensure(_tryton_server.client)
    return _tryton_server


# -- EDI: scenario rows matching the public samples in tests/fixtures/edi/ ----------------------------------------

EDI_FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "edi"
SOPI_856 = EDI_FIXTURES / "bots-plugins__856_004010_SOPI-sscc.x12"
VONS_855 = EDI_FIXTURES / "bots-plugins__855_004010UCS_safeway-vons_6tx.x12"


@pytest.fixture
def sopi_po():
    text = SOPI_856.read_text()
    buyer_parts = re.findall(r"LIN\*\d+\*UP\*\d+\*\*\*BP\*(\d+)~", text)
    supplier = f.supplier(code="SOPI", edi_qualifier="01", edi_interchange_id="111111111")
    location = f.location(code="DEST1")
    items = [f.item(sku=part) for part in buyer_parts]
    for item in items:
        m.ItemLocation.objects.create(item=item, location=location, external_id=f"il-{item.sku}")
    po = ff.purchase_order(
        number="ordernumber",
        supplier=supplier,
        location=location,
        lines=[(item, 40) for item in items],
        order_date=date(2004, 7, 20),
    )
    return {"po": po, "text": text, "parts": buyer_parts, "supplier": supplier}


@pytest.fixture
def vons_pos():
    supplier = f.supplier(code="BIGBITE", edi_qualifier="ZZ", edi_interchange_id="9255550000")
    location = f.location(code="ELMONTE")
    item = f.item(sku="VONS-22")
    ff.supplier_item(supplier=supplier, item=item, part="003331113474")
    m.UomConversion.objects.create(item=item, uom="CA", factor=Decimal(12))
    return {
        number: ff.purchase_order(
            number=number,
            supplier=supplier,
            location=location,
            lines=[(item, 264)],
            order_date=date(2003, 5, 1),
            promised=date(2003, 5, 15),
        )
        for number in ("194208", "194721", "194724")
    }
