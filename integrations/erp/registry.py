"""Adapters register themselves by name; configuration picks one (DISTOPS_ERP_ADAPTER, env ERP_ADAPTER).

    @register_adapter("rest")
    def _rest() -> ErpAdapter: ...

Known names: `loopback` (the demo: postings accepted locally), `rest` (the JSON contract of CONTRACT.md, at
ERP_BASE_URL), `tryton` (a Tryton ERP over JSON-RPC, integrations/erp/tryton/). Without ERP_ADAPTER the choice is
`rest` when ERP_BASE_URL is set, else `loopback`.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable

from .base import ErpAdapter

_FACTORIES: dict[str, Callable[[], ErpAdapter]] = {}
# Modules whose import registers an adapter; a module whose optional dependencies are missing is skipped.
ADAPTER_MODULES = ("integrations.erp.loopback", "integrations.erp.rest", "integrations.erp.tryton.adapter")


def register_adapter(name: str) -> Callable[[Callable[[], ErpAdapter]], Callable[[], ErpAdapter]]:
    def wrap(factory: Callable[[], ErpAdapter]) -> Callable[[], ErpAdapter]:
        _FACTORIES[name] = factory
        return factory

    return wrap


def _load() -> None:
    for module in ADAPTER_MODULES:
        importlib.import_module(module)


def adapter_names() -> list[str]:
    _load()
    return sorted(_FACTORIES)


def adapter_create(name: str) -> ErpAdapter:
    _load()
    if name not in _FACTORIES:
        raise ValueError(
            f"unknown ERP adapter '{name}' (DISTOPS_ERP_ADAPTER / env ERP_ADAPTER): one of {', '.join(sorted(_FACTORIES))}"
        )
    return _FACTORIES[name]()
