"""An HTTP proxy in front of trytond that can hold back Tryton's answer to one method: Tryton has done the work,
the caller waits (and is killed meanwhile). Requests are forwarded as they are; only loopback addresses."""

from __future__ import annotations

import threading
import time
import urllib.error
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class HoldingProxy:
    def __init__(self, target: str):
        self.target = target.rstrip("/")
        self.hold: dict[str, float] = {}  # JSON-RPC method -> seconds to hold its answer (once)
        self.seen: list[str] = []
        self.lock = threading.Lock()
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format, *args):  # noqa: A002
                return

            def do_POST(self):  # noqa: N802
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                method = proxy.method_of(body)
                headers = {
                    k: v for k, v in self.headers.items() if k.lower() in ("content-type", "authorization")
                }
                request = urllib.request.Request(
                    proxy.target + self.path, data=body, headers=headers, method="POST"
                )
                try:
                    with urllib.request.urlopen(request, timeout=60) as response:  # noqa: S310 - loopback
                        status, data, date = response.status, response.read(), response.headers.get("Date")
                except urllib.error.HTTPError as exc:
                    status, data, date = exc.code, exc.read(), exc.headers.get("Date")
                with proxy.lock:
                    proxy.seen.append(method)
                    delay = proxy.hold.pop(method, 0.0)
                if delay:
                    time.sleep(delay)
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    if date:
                        self.send_header("X-Upstream-Date", date)
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    self.close_connection = True

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True, name="tryton-proxy")
        self.thread.start()

    @staticmethod
    def method_of(body: bytes) -> str:
        import json

        try:
            return str(json.loads(body).get("method"))
        except ValueError:
            return ""

    def url(self, database_path: str) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}{database_path}"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
