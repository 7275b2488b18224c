"""The reference adapter: the JSON REST contract of CONTRACT.md over HTTP (standard library only)."""

from __future__ import annotations

import json
import socket
import urllib.error
import urllib.parse
import urllib.request

from .. import conf
from .base import ENTITIES, ErpAdapter, ErpRejected, ErpUnavailable, Page, PostResult
from .registry import register_adapter

RETRYABLE_STATUSES = {408, 425, 429, 500, 502, 503, 504}


class RestErpAdapter(ErpAdapter):
    name = "rest"

    def __init__(self, base_url: str, *, token: str = "", timeout: float = 10.0) -> None:
        self.base_url = base_url.rstrip("/")
        self.token = token
        self.timeout = timeout

    def describe(self) -> str:
        return f"REST {self.base_url}"

    def _request(
        self, method: str, path: str, *, body: dict | None = None, headers: dict | None = None
    ) -> tuple[int, str]:
        data = json.dumps(body, separators=(",", ":"), sort_keys=True).encode() if body is not None else None
        request = urllib.request.Request(f"{self.base_url}{path}", data=data, method=method)
        request.add_header("Accept", "application/json")
        if data is not None:
            request.add_header("Content-Type", "application/json")
        if self.token:
            request.add_header("Authorization", f"Bearer {self.token}")
        for name, value in (headers or {}).items():
            request.add_header(name, value)
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310 - configured URL
                return response.status, response.read().decode("utf-8")
        except urllib.error.HTTPError as exc:
            text = exc.read().decode("utf-8", "replace")[:500]
            detail = _error_text(text) or exc.reason
            if exc.code in RETRYABLE_STATUSES:
                raise ErpUnavailable(f"ERP answered {exc.code}: {detail}", status=exc.code) from exc
            raise ErpRejected(f"ERP refused the request ({exc.code}): {detail}", status=exc.code) from exc
        except TimeoutError as exc:
            raise ErpUnavailable(f"ERP did not answer within {self.timeout:g} s") from exc
        except urllib.error.URLError as exc:
            reason = exc.reason
            if isinstance(reason, TimeoutError | socket.timeout):
                raise ErpUnavailable(f"ERP did not answer within {self.timeout:g} s") from exc
            raise ErpUnavailable(f"ERP unreachable: {reason}") from exc
        except (ConnectionError, OSError) as exc:
            raise ErpUnavailable(f"ERP connection failed: {exc}") from exc

    def pull(self, entity: str, *, cursor: str | None, limit: int) -> Page:
        if entity not in ENTITIES:
            raise ValueError(f"unknown ERP entity {entity}")
        query = {"limit": str(limit)}
        if cursor:
            query["since"] = cursor
        _status, text = self._request("GET", f"/api/v1/{entity}?{urllib.parse.urlencode(query)}")
        try:
            body = json.loads(text)
            records = body["data"]
        except (ValueError, KeyError, TypeError) as exc:
            raise ErpUnavailable(
                f"ERP answered with a body that is not a page of {entity}: {text[:200]!r}"
            ) from exc
        return Page(
            records=records,
            next_cursor=body.get("next_cursor"),
            has_more=bool(body.get("has_more")),
            raw=text,
        )

    def post(self, kind: str, body: dict, *, idempotency_key: str) -> PostResult:
        status, text = self._request(
            "POST", f"/api/v1/actions/{kind}", body=body, headers={"Idempotency-Key": idempotency_key}
        )
        try:
            answer = json.loads(text)
            transaction_id = str(answer["transaction_id"])
        except (ValueError, KeyError, TypeError) as exc:
            raise ErpUnavailable(
                f"ERP accepted the posting but its answer has no transaction_id: {text[:200]!r}",
                status=status,
            ) from exc
        return PostResult(
            transaction_id=transaction_id,
            duplicate=bool(answer.get("duplicate")),
            document_number=str(answer.get("document_number") or ""),
            status=status,
            body=answer,
        )


@register_adapter("rest")
def _rest_adapter() -> RestErpAdapter:
    if not conf.erp_url():
        raise ValueError("the rest ERP adapter needs ERP_BASE_URL (DISTOPS_ERP_URL)")
    return RestErpAdapter(conf.erp_url(), token=conf.erp_token(), timeout=conf.erp_timeout())


def _error_text(text: str) -> str:
    try:
        body = json.loads(text)
    except ValueError:
        return text.strip()[:200]
    if isinstance(body, dict):
        return str(body.get("error") or body.get("detail") or body)[:200]
    return str(body)[:200]
