"""ERP connector: adapter interface (base), a registry of adapters by name (registry), the REST reference adapter
(rest), the demo loopback, the Tryton adapter (tryton/), the circuit breaker, incremental pulls (sync). The
contract is written down in CONTRACT.md."""

from __future__ import annotations

from .. import conf
from .base import ErpAdapter
from .registry import adapter_create


def get_adapter(name: str | None = None) -> ErpAdapter:
    """The adapter named by DISTOPS_ERP_ADAPTER (env ERP_ADAPTER); unset: `rest` when ERP_BASE_URL is set, else
    the demo `loopback`."""
    return adapter_create(name or conf.erp_adapter())
