"""ERP connector: adapter interface (base), the REST reference adapter (rest), the demo loopback, the circuit
breaker, incremental pulls (sync). The contract is written down in CONTRACT.md."""

from __future__ import annotations

from .base import ErpAdapter


def get_adapter() -> ErpAdapter:
    """The configured adapter: REST when DISTOPS_ERP_URL (env ERP_BASE_URL) is set, else the demo loopback."""
    from .. import conf

    if conf.erp_url():
        from .rest import RestErpAdapter

        return RestErpAdapter(conf.erp_url(), token=conf.erp_token(), timeout=conf.erp_timeout())
    from .loopback import LoopbackErpAdapter

    return LoopbackErpAdapter()
