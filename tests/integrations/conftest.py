"""Fixtures of the integrations tests: a real reference ERP HTTP server on 127.0.0.1 in a thread."""

from __future__ import annotations

import json
import urllib.request

import pytest

from integrations.erp.reference_server import start_in_thread


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
