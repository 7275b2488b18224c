"""A small JSON-RPC client for Tryton (standard library only): `/<database>/rpc/`, HTTP Basic authentication.

Tryton's JSON carries its own types as objects with a `__class__` (datetime, date, Decimal, timedelta, bytes); they
are decoded to Python values here and encoded back on the way out. Errors are mapped to the ERP adapter's two
kinds: `ErpUnavailable` (worth retrying: connection refused, timeout, 5xx, 429, a concurrent change, Tryton's
database lock) and `ErpRejected` (Tryton refused the request: a user error, an access error, a bad login).
"""

from __future__ import annotations

import base64
import contextlib
import datetime as dt
import json
import socket
import urllib.error
import urllib.parse
import urllib.request
from decimal import Decimal
from email.utils import parsedate_to_datetime

from ..base import ErpRejected, ErpUnavailable

RETRYABLE_STATUSES = {408, 425, 429, 500, 502, 503, 504}
# Tryton's exception classes that mean "try again later" rather than "this request is wrong".
RETRYABLE_ERRORS = {"ConcurrencyException", "DatabaseOperationalError", "TimeoutException"}


def _decode(obj: dict):
    kind = obj.get("__class__")
    if kind == "datetime":
        return dt.datetime(  # noqa: DTZ001 - Tryton's timestamps are naive UTC
            obj["year"],
            obj["month"],
            obj["day"],
            obj.get("hour", 0),
            obj.get("minute", 0),
            obj.get("second", 0),
            obj.get("microsecond", 0),
        )
    if kind == "date":
        return dt.date(obj["year"], obj["month"], obj["day"])
    if kind == "time":
        return dt.time(obj.get("hour", 0), obj.get("minute", 0), obj.get("second", 0))
    if kind == "timedelta":
        return dt.timedelta(seconds=obj["seconds"])
    if kind == "Decimal":
        return Decimal(obj["decimal"])
    if kind == "bytes":
        return base64.b64decode(obj["base64"])
    return obj


class TrytonEncoder(json.JSONEncoder):
    def default(self, o):
        if isinstance(o, dt.datetime):
            return {
                "__class__": "datetime",
                "year": o.year,
                "month": o.month,
                "day": o.day,
                "hour": o.hour,
                "minute": o.minute,
                "second": o.second,
                "microsecond": o.microsecond,
            }
        if isinstance(o, dt.date):
            return {"__class__": "date", "year": o.year, "month": o.month, "day": o.day}
        if isinstance(o, dt.timedelta):
            return {"__class__": "timedelta", "seconds": o.total_seconds()}
        if isinstance(o, Decimal):
            return {"__class__": "Decimal", "decimal": str(o)}
        return super().default(o)


def dumps(value) -> str:
    return json.dumps(value, cls=TrytonEncoder, separators=(",", ":"), sort_keys=True)


def loads(text: str):
    return json.loads(text, object_hook=_decode)


class TrytonClient:
    """`call("model.purchase.purchase.search_read", domain, 0, 10, None, ["number"])` with the user's context.

    It logs in once (`common.db.login`) and sends the session with every call: checking a password costs Tryton
    about 0.3 s, a session 0.03 s. An expired session (401) is renewed once.
    """

    def __init__(self, url: str, *, user: str, password: str, timeout: float = 10.0) -> None:
        # url: http://host:port/<database>/ (the "rpc/" path is added here)
        self.url = (
            url.rstrip("/") + "/rpc/" if not url.rstrip("/").endswith("/rpc") else url.rstrip("/") + "/"
        )
        self.user, self.password, self.timeout = user, password, timeout
        self._context: dict | None = None
        self._session: str | None = None
        self.last_server_time: dt.datetime | None = None

    def describe(self) -> str:
        parsed = urllib.parse.urlparse(self.url)
        return f"{parsed.scheme}://{parsed.hostname}:{parsed.port}{parsed.path}"

    def _login(self) -> str:
        answer = self._send("common.db.login", [self.user, {"password": self.password}, "en"], None)
        if not isinstance(answer, list) or len(answer) < 2 or not answer[1]:
            raise ErpRejected(f"Tryton refused the login of user '{self.user}'")
        token = base64.b64encode(f"{self.user}:{answer[0]}:{answer[1]}".encode()).decode()
        return f"Session {token}"

    def _post(self, method: str, params: list) -> object:
        if self._session is None:
            self._session = self._login()
        try:
            return self._send(method, params, self._session)
        except ErpRejected as exc:
            if exc.status != 401:
                raise
        self._session = self._login()  # the session expired: log in again, once
        return self._send(method, params, self._session)

    def _send(self, method: str, params: list, authorization: str | None) -> object:
        data = dumps({"method": method, "params": params, "id": 1}).encode()
        request = urllib.request.Request(self.url, data=data, method="POST")
        request.add_header("Content-Type", "application/json")
        if authorization:
            request.add_header("Authorization", authorization)
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310 - configured URL
                text = response.read().decode("utf-8")
                self._note_time(response.headers.get("Date"))
        except urllib.error.HTTPError as exc:
            detail = exc.read().decode("utf-8", "replace")[:300].strip() or exc.reason
            if exc.code in RETRYABLE_STATUSES:
                raise ErpUnavailable(f"Tryton answered {exc.code}: {detail}", status=exc.code) from exc
            if exc.code in (401, 403):
                raise ErpRejected(
                    f"Tryton refused the login of user '{self.user}' ({exc.code})", status=exc.code
                ) from exc
            raise ErpRejected(f"Tryton refused {method} ({exc.code}): {detail}", status=exc.code) from exc
        except TimeoutError as exc:
            raise ErpUnavailable(f"Tryton did not answer within {self.timeout:g} s") from exc
        except urllib.error.URLError as exc:
            if isinstance(exc.reason, TimeoutError | socket.timeout):
                raise ErpUnavailable(f"Tryton did not answer within {self.timeout:g} s") from exc
            raise ErpUnavailable(f"Tryton unreachable: {exc.reason}") from exc
        except (ConnectionError, OSError) as exc:
            raise ErpUnavailable(f"Tryton connection failed: {exc}") from exc
        try:
            answer = loads(text)
        except ValueError as exc:
            raise ErpUnavailable(f"Tryton answered with a body that is not JSON: {text[:200]!r}") from exc
        if answer.get("error"):
            if method == "common.db.login":
                raise ErpRejected(f"Tryton refused the login of user '{self.user}'")
            raise _error(method, answer["error"])
        return answer.get("result")

    def _note_time(self, header: str | None) -> None:
        if header:
            with contextlib.suppress(TypeError, ValueError):
                self.last_server_time = parsedate_to_datetime(header).astimezone(dt.UTC).replace(tzinfo=None)

    def context(self) -> dict:
        """The user's preferences (company, language ...), sent with every call as a Tryton client does."""
        if self._context is None:
            self._context = self._post("model.res.user.get_preferences", [True, {}]) or {}
        return self._context

    def call(self, method: str, *args, context: dict | None = None):
        return self._post(method, [*args, {**self.context(), **(context or {})}])

    def model(self, model: str, method: str, *args, context: dict | None = None):
        return self.call(f"model.{model}.{method}", *args, context=context)

    def search_read(
        self, model: str, domain: list, *, fields: list[str], order=None, limit=None, offset=0, context=None
    ):
        return self.model(model, "search_read", domain, offset, limit, order, fields, context=context)

    def create(self, model: str, values: list[dict], *, context: dict | None = None) -> list[int]:
        return self.model(model, "create", values, context=context)

    def write(self, model: str, ids: list[int], values: dict, *, context: dict | None = None) -> None:
        self.model(model, "write", ids, values, context=context)


def _error(method: str, error) -> Exception:
    """Tryton's error answer: [exception class name, arguments] (a UserError's arguments: message, description)."""
    if isinstance(error, list) and error:
        kind = str(error[0])
        args = error[1] if len(error) > 1 else []
        if isinstance(args, list | tuple):
            message = " ".join(str(a) for a in args[:2] if a and isinstance(a, str)).strip()
        else:
            message = str(args)
    else:
        kind, message = "Error", str(error)
    message = message or kind
    if kind in RETRYABLE_ERRORS:
        return ErpUnavailable(f"Tryton could not do {method} now ({kind}): {message}")
    return ErpRejected(
        f"Tryton refused {method}: {message}"
        if kind in ("UserError", "AccessError")
        else f"Tryton refused {method} ({kind}): {message}"
    )
