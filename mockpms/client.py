"""PMSClient: call PMS (or mockpms) with timestamp and sign filled in.

    client = PMSClient("http://127.0.0.1:8080/tt-pms-ws/rest", "mockpms-sandbox", "secret")
    client.sales(type="WXPAY", rrn="R1", amt=10, ...)

Built on httpx: connection pooling, timeouts, and the same API sync or async.
"""

from __future__ import annotations

import time
from typing import Any

import httpx

from mockpms.signing import sign


class PMSClient:
    def __init__(
        self,
        base_url: str,
        api_key: str,
        secret: str,
        *,
        timeout: float = 10.0,
        user_agent: str | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.api_key = api_key
        self.secret = secret
        headers = {"User-Agent": user_agent} if user_agent else {}
        self._http = httpx.Client(timeout=timeout, headers=headers)

    def signed(self, fields: dict[str, Any], timestamp: int | None = None) -> dict[str, Any]:
        """The body PMS expects: apiKey, timestamp (ms), sign, then the fields."""
        ts = int(time.time() * 1000) if timestamp is None else timestamp
        return {"apiKey": self.api_key, "timestamp": ts, "sign": sign(ts, self.secret), **fields}

    def call(self, endpoint: str, **fields: Any) -> dict[str, Any]:
        """POST a signed body to `endpoint` (e.g. "online/sales"); the parsed JSON answer."""
        response = self._http.post(f"{self.base_url}/{endpoint}", json=self.signed(fields))
        answer: dict[str, Any] = response.json()
        return answer

    def gateway(self, lang: str | None = None) -> dict[str, Any]:
        return self.call("online/gateway", **({"lang": lang} if lang else {}))

    def sales(self, **fields: Any) -> dict[str, Any]:
        return self.call("online/sales", **fields)

    def query(self, **fields: Any) -> dict[str, Any]:
        return self.call("online/query", **fields)

    def h5_create(self, **fields: Any) -> dict[str, Any]:
        return self.call("h5Payment/session/create", **fields)

    def h5_query(self, session_id: str) -> dict[str, Any]:
        return self.call("h5Payment/session/query", sessionId=session_id)

    def h5_cancel(self, session_id: str) -> dict[str, Any]:
        return self.call("h5Payment/session/cancel", sessionId=session_id)

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> PMSClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
