"""A reference ERP server implementing CONTRACT.md (standard library only, no Django), with fault injection.

    python -m integrations.erp.reference_server --port 8765 [--token secret]

Used by the tests (in a thread, or a subprocess that outlives a killed worker) and for local demos. Besides the
contract's endpoints it has control endpoints for tests: POST /_records (seed or change records), POST /_faults
(make the next calls fail: a status, a delay, a dropped connection), GET /_stats (calls received, distinct
idempotency keys, changes applied), POST /_reset.

Idempotency as the contract requires: a POST with a key seen before and the same body answers the first answer
(with "duplicate": true) and changes nothing; the same key with another body is 409. A delayed POST applies the
change first and answers late: the worst case for duplicates (the ERP committed, the caller timed out).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

ENTITIES = (
    "locations",
    "suppliers",
    "service_tiers",
    "customers",
    "items",
    "supplier_items",
    "balances",
    "purchase_orders",
    "sales_orders",
)
ACTIONS = (
    "create_po",
    "change_po",
    "expedite_request",
    "transfer_order",
    "cancel_po",
    "reallocate",
    "chase_supplier",
    "repromise_order",
    "set_order_point",
    "wms_resequence",
    "return_disposition",
    "change_order_line",  # an order line changed to a substitute SKU
    "split_order_line",  # ship what is available, the rest a backorder line at a new date
    "expedite_freight",  # premium freight booked for an inbound shipment (ASN), with its cost
)


class ErpState:
    def __init__(self, token: str = "") -> None:
        self.lock = threading.Lock()
        self.token = token
        self.reset()

    def reset(self) -> None:
        self.records: dict[str, dict[str, dict]] = {e: {} for e in ENTITIES}
        self.sequence = 0
        self.actions: dict[str, tuple[str, int, dict]] = {}
        self.applied: list[dict] = []
        self.posts_received = 0
        self.gets_received = 0
        self.faults: dict[str, list[dict]] = {"post": [], "get": []}
        self.transaction_number = 0

    def upsert(self, entity: str, records: list[dict]) -> None:
        with self.lock:
            for record in records:
                self.sequence += 1
                stored = dict(record)
                stored["updated_at"] = (
                    time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime()) + f".{self.sequence:06d}Z"
                )
                stored["_seq"] = self.sequence
                self.records[entity][str(record["id"])] = stored

    def page(self, entity: str, since: str | None, limit: int) -> dict:
        with self.lock:
            after = int(since) if since and since.isdigit() else 0
            rows = sorted(
                (r for r in self.records[entity].values() if r["_seq"] > after), key=lambda r: r["_seq"]
            )
            chosen = rows[:limit]
            data = [{k: v for k, v in r.items() if k != "_seq"} for r in chosen]
            next_cursor = str(chosen[-1]["_seq"]) if chosen else (since or None)
            return {"data": data, "next_cursor": next_cursor, "has_more": len(rows) > limit}

    def next_fault(self, method: str) -> dict | None:
        with self.lock:
            return self.faults[method].pop(0) if self.faults[method] else None

    def post(self, kind: str, key: str, body: dict) -> tuple[int, dict]:
        digest = hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()
        with self.lock:
            if key in self.actions:
                first_digest, status, answer = self.actions[key]
                if first_digest != digest:
                    return 409, {"error": "this Idempotency-Key was used before with a different body"}
                return 200, {**answer, "duplicate": True}
            if kind not in ACTIONS:
                return 404, {"error": f"unknown action '{kind}'"}
            problem = _invalid(kind, body)
            if problem:
                return 422, {"error": problem}
            self.transaction_number += 1
            answer = {
                "transaction_id": f"ERP-TX-{self.transaction_number:06d}",
                "status": "created",
                "duplicate": False,
            }
            if kind == "create_po":
                answer["document_number"] = f"EPO{self.transaction_number:07d}"
            self.actions[key] = (digest, 201, answer)
            self.applied.append(
                {"kind": kind, "key": key, "body": body, "transaction_id": answer["transaction_id"]}
            )
            return 201, answer

    def stats(self) -> dict:
        with self.lock:
            return {
                "posts_received": self.posts_received,
                "gets_received": self.gets_received,
                "distinct_keys": len(self.actions),
                "applied": list(self.applied),
                "faults_pending": {k: len(v) for k, v in self.faults.items()},
            }


def _invalid_create_po(body: dict) -> str | None:
    lines = body.get("lines") or ([body] if "quantity" in body else [])
    if not lines:
        return "create_po needs lines (or a quantity)"
    for n, line in enumerate(lines, start=1):
        quantity = line.get("quantity")
        if not isinstance(quantity, int | float) or quantity <= 0:
            return f"line {n}: quantity must be a positive number"
    return None


def _invalid_change_po(body: dict) -> str | None:
    if not (body.get("po_number") or body.get("po_line_id")):
        return "change_po needs po_number (and line) or po_line_id"
    return None


def _invalid_chase_supplier(body: dict) -> str | None:
    if not body.get("supplier") or not body.get("po_lines"):
        return "chase_supplier needs supplier and po_lines"
    if any(not line.get("po_number") for line in body["po_lines"]):
        return "chase_supplier: every po_lines entry needs po_number"
    return None


def _invalid_repromise_order(body: dict) -> str | None:
    lines = body.get("order_lines") or []
    if not lines:
        return "repromise_order needs order_lines"
    for n, line in enumerate(lines, start=1):
        if not line.get("order_number") or not line.get("new_promise_date"):
            return f"order line {n}: order_number and new_promise_date are required"
    return None


def _invalid_set_order_point(body: dict) -> str | None:
    low, high = body.get("min"), body.get("max")
    if not body.get("sku") or not body.get("location"):
        return "set_order_point needs sku and location"
    if not isinstance(low, int) or not isinstance(high, int) or low < 0 or high < low:
        return f"set_order_point needs whole numbers 0 <= min <= max, not min {low!r} and max {high!r}"
    return None


def _order_line_change_invalid(kind: str, body: dict) -> str | None:
    if not (body.get("order_number") and body.get("line")):
        return f"{kind} needs order_number and line"
    if kind == "change_order_line" and not body.get("new_sku"):
        return "change_order_line needs new_sku"
    quantity = body.get("ship_now_quantity")
    if kind == "split_order_line" and not (isinstance(quantity, int) and quantity > 0):
        return "split_order_line needs a positive ship_now_quantity"
    return None


_VALIDATORS = {
    "create_po": _invalid_create_po,
    "change_po": _invalid_change_po,
    "chase_supplier": _invalid_chase_supplier,
    "repromise_order": _invalid_repromise_order,
    "set_order_point": _invalid_set_order_point,
    "change_order_line": lambda body: _order_line_change_invalid("change_order_line", body),
    "split_order_line": lambda body: _order_line_change_invalid("split_order_line", body),
}


def _invalid(kind: str, body: dict) -> str | None:
    if not isinstance(body, dict):
        return "the body must be a JSON object"
    validator = _VALIDATORS.get(kind)
    return validator(body) if validator else None


def make_handler(state: ErpState):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format, *args):  # noqa: A002 - quiet server
            return

        def _send(self, status: int, body: dict) -> None:
            data = json.dumps(body).encode()
            try:
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
            except (BrokenPipeError, ConnectionResetError):
                self.close_connection = True  # the caller is gone (timed out, or its process was killed)

        def _body(self) -> dict:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b"{}"
            return json.loads(raw or b"{}")

        def _authorized(self) -> bool:
            if not state.token:
                return True
            if self.headers.get("Authorization") == f"Bearer {state.token}":
                return True
            self._send(401, {"error": "missing or wrong bearer token"})
            return False

        def _fault(self, method: str) -> bool:
            """Apply an injected fault before the request is handled; True when the request is finished."""
            fault = state.next_fault(method)
            if fault is None:
                return False
            if fault.get("close"):
                self.close_connection = True
                self.connection.close()
                return True
            if fault.get("delay") and not fault.get("after"):
                time.sleep(float(fault["delay"]))
            if fault.get("status"):
                self._send(int(fault["status"]), {"error": fault.get("error", "injected fault")})
                return True
            self._late = float(fault["delay"]) if fault.get("after") else 0.0
            return False

        def do_GET(self) -> None:  # noqa: N802
            url = urlparse(self.path)
            if url.path == "/_stats":
                self._send(200, state.stats())
                return
            if not self._authorized():
                return
            with state.lock:
                state.gets_received += 1
            self._late = 0.0
            if self._fault("get"):
                return
            parts = url.path.strip("/").split("/")
            if len(parts) == 3 and parts[:2] == ["api", "v1"] and parts[2] in ENTITIES:
                query = parse_qs(url.query)
                limit = max(1, min(int(query.get("limit", ["500"])[0]), 5000))
                self._send(200, state.page(parts[2], query.get("since", [None])[0], limit))
                return
            self._send(404, {"error": f"no such resource {url.path}"})

        def do_POST(self) -> None:  # noqa: N802
            url = urlparse(self.path)
            try:
                body = self._body()
            except ValueError:
                self._send(400, {"error": "the body is not JSON"})
                return
            if url.path == "/_faults":
                with state.lock:
                    for method in ("post", "get"):
                        state.faults[method].extend(body.get(method, []))
                self._send(200, {"ok": True})
                return
            if url.path == "/_records":
                state.upsert(body["entity"], body["records"])
                self._send(200, {"ok": True})
                return
            if url.path == "/_reset":
                with state.lock:
                    state.reset()
                self._send(200, {"ok": True})
                return
            if not self._authorized():
                return
            parts = url.path.strip("/").split("/")
            if len(parts) != 4 or parts[:3] != ["api", "v1", "actions"]:
                self._send(404, {"error": f"no such resource {url.path}"})
                return
            with state.lock:
                state.posts_received += 1  # every posting request, including those an injected fault answers
            self._late = 0.0
            if self._fault("post"):
                return
            key = self.headers.get("Idempotency-Key", "")
            if not key:
                self._send(400, {"error": "the Idempotency-Key header is required"})
                return
            status, answer = state.post(parts[3], key, body)
            if self._late:
                time.sleep(
                    self._late
                )  # the change is applied; the answer comes late (or never, if the caller died)
            self._send(status, answer)

    return Handler


def start_in_thread(*, port: int = 0, token: str = "") -> tuple[ThreadingHTTPServer, ErpState, str]:
    state = ErpState(token=token)
    server = ThreadingHTTPServer(("127.0.0.1", port), make_handler(state))
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True, name="reference-erp")
    thread.start()
    return server, state, f"http://127.0.0.1:{server.server_address[1]}"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Reference ERP implementing integrations/erp/CONTRACT.md")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--token", default="")
    args = parser.parse_args(argv)
    state = ErpState(token=args.token)
    server = ThreadingHTTPServer(("127.0.0.1", args.port), make_handler(state))
    server.daemon_threads = True
    print(f"reference ERP listening on http://127.0.0.1:{server.server_address[1]}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
        sys.stdout.flush()


if __name__ == "__main__":
    main()
