"""The Tryton adapter: pulls Tryton's records page by page (changed since a time, by id), posts approved actions
as Tryton documents (integrations/erp/tryton/postings.py).

Pull cursor (opaque to DistOps): `{"since": <time>, "after": <id>, "started": <time>}` during a pass over the
records changed since `since`, by id; when the pass ends the next pass starts at the time Tryton's clock showed
when this one began, less an overlap (`conf.pull_overlap_seconds`): a record changed during the pass is read
again by the next one, never lost. Pages are Tryton's records as received; the inbox handler translates them.
"""

from __future__ import annotations

import datetime as dt
import json

from ... import conf as integrations_conf
from ..base import ErpAdapter, ErpRejected, Page, PostResult
from ..registry import register_adapter
from . import conf
from .client import TrytonClient, dumps
from .postings import post_action
from .queries import PULLS

ENTITIES = (
    "locations",
    "suppliers",
    "customers",
    "items",
    "supplier_items",
    "balances",
    "purchase_orders",
    "incoming_shipments",
    "sales_orders",
    "order_points",
)
TIME_FORMAT = "%Y-%m-%dT%H:%M:%S.%f"


def _time(text: str | None) -> dt.datetime | None:
    return dt.datetime.strptime(text, TIME_FORMAT) if text else None  # noqa: DTZ007 - Tryton's naive UTC


def _text(value: dt.datetime | None) -> str | None:
    return value.strftime(TIME_FORMAT) if value else None


def cursor_read(cursor: str | None) -> dict:
    if not cursor:
        return {"since": None, "after": 0, "started": None}
    try:
        state = json.loads(cursor)
        return {
            "since": state.get("since"),
            "after": int(state.get("after") or 0),
            "started": state.get("started"),
        }
    except (ValueError, TypeError, AttributeError) as exc:
        raise ErpRejected(f"the Tryton pull cursor {cursor!r} is not one this adapter wrote") from exc


class TrytonErpAdapter(ErpAdapter):
    name = "tryton"
    entities = ENTITIES

    def __init__(self, client: TrytonClient) -> None:
        self.client = client

    def describe(self) -> str:
        return f"Tryton {self.client.describe()}"

    def inbox_kind(self, entity: str) -> str:
        return f"tryton.{entity}"

    def _clock(self) -> dt.datetime:
        """Tryton's clock (its HTTP Date header, whole seconds), read with a cheap call."""
        self.client.call("model.res.user.get_preferences", True)
        return (self.client.last_server_time or dt.datetime.now(dt.UTC).replace(tzinfo=None)) - dt.timedelta(
            seconds=1
        )

    def pull(self, entity: str, *, cursor: str | None, limit: int) -> Page:
        if entity not in PULLS:
            raise ValueError(f"unknown Tryton entity {entity} (one of {', '.join(ENTITIES)})")
        state = cursor_read(cursor)
        started = state["started"] or _text(self._clock())
        records, has_more = PULLS[entity](self.client, _time(state["since"]), state["after"], limit)
        if has_more and records:
            after = max(int(r["id"]) for r in records)
            next_cursor = {"since": state["since"], "after": after, "started": started}
        else:
            since = _time(started) - dt.timedelta(seconds=conf.pull_overlap_seconds())
            next_cursor = {"since": _text(since), "after": 0, "started": None}
        raw = dumps({"entity": entity, "records": records})
        return Page(
            records=records,
            next_cursor=json.dumps(next_cursor, sort_keys=True),
            has_more=bool(has_more and records),
            raw=raw,
        )

    def post(self, kind: str, body: dict, *, idempotency_key: str) -> PostResult:
        return post_action(self.client, kind, body, idempotency_key=idempotency_key)


@register_adapter("tryton")
def _tryton_adapter() -> TrytonErpAdapter:
    if not conf.url():
        raise ValueError(
            "the tryton ERP adapter needs TRYTON_URL (DISTOPS_TRYTON_URL), e.g. http://127.0.0.1:8801/erp/"
        )
    client = TrytonClient(
        conf.url(), user=conf.user(), password=conf.password(), timeout=integrations_conf.erp_timeout()
    )
    return TrytonErpAdapter(client)
