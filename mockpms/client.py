"""Python clients: PMSClient for the PMS API, ControlClient for mockpms's /_mock API.

    client = PMSClient("http://127.0.0.1:8080/tt-pms-ws/rest", "mockpms-sandbox", "secret")
    client.sales(type="WXPAY", rrn="R1", amt=10, ...)
    ControlClient("http://127.0.0.1:8080").settle("R1", "success")

Built on httpx: connection pooling, timeouts, and the same API sync or async.
"""

from __future__ import annotations

import time
from typing import Any
from urllib.parse import quote, urlencode

import httpx

from mockpms import endpoints
from mockpms.signing import sign


class PMSResponseError(Exception):
    """PMS (or a proxy in front of it) answered something that is not a JSON object."""


class PMSClient:
    """One method per PMS endpoint; each fills apiKey, timestamp and sign."""

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
        self.last_response: httpx.Response | None = None

    def signed(self, fields: dict[str, Any], timestamp: int | None = None) -> dict[str, Any]:
        """The body PMS expects: apiKey, timestamp (ms), sign, then the fields."""
        ts = int(time.time() * 1000) if timestamp is None else timestamp
        return {"apiKey": self.api_key, "timestamp": ts, "sign": sign(ts, self.secret), **fields}

    def call(self, endpoint: str, **fields: Any) -> dict[str, Any]:
        """POST a signed body to `endpoint` (e.g. "online/sales"); the parsed JSON answer.

        PMS answers business errors with HTTP 200 and a non-zero errorCode, so the
        answer is returned whatever the status; `last_response` keeps the HTTP side.
        """
        response = self._http.post(f"{self.base_url}/{endpoint}", json=self.signed(fields))
        self.last_response = response
        try:
            answer: Any = response.json()
        except ValueError:
            answer = None
        if not isinstance(answer, dict):
            raise PMSResponseError(
                f"{endpoint}: HTTP {response.status_code} with a body that is not a JSON "
                f"object: {response.text[:200]!r}"
            )
        return answer

    def gateway(self, lang: str | None = None) -> dict[str, Any]:
        return self.call(endpoints.GATEWAY.name, **({"lang": lang} if lang else {}))

    def sales(self, **fields: Any) -> dict[str, Any]:
        return self.call(endpoints.SALES.name, **fields)

    def query(self, **fields: Any) -> dict[str, Any]:
        return self.call(endpoints.QUERY.name, **fields)

    def h5_create(self, **fields: Any) -> dict[str, Any]:
        return self.call(endpoints.SESSION_CREATE.name, **fields)

    def h5_query(self, session_id: str) -> dict[str, Any]:
        return self.call(endpoints.SESSION_QUERY.name, sessionId=session_id)

    def h5_cancel(self, session_id: str) -> dict[str, Any]:
        return self.call(endpoints.SESSION_CANCEL.name, sessionId=session_id)

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> PMSClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class ControlCallError(Exception):
    """A /_mock call answered 4xx/5xx; carries the status and the server's message."""

    def __init__(self, method: str, path: str, status: int, message: str) -> None:
        super().__init__(f"{method} {path}: HTTP {status}: {message}")
        self.status = status
        self.message = message


class ControlClient:
    """Drive a running mockpms through its /_mock control API.

        control = ControlClient("http://127.0.0.1:8080")
        control.settle("R1", "success")
        control.wait_for_webhook("R1", timeout=5)

    Methods return the parsed JSON (lists for the list calls) and raise
    ControlCallError with the server's message when a call is refused.

    With `api_key`, every call is scoped to that merchant (CONTRACT 17): reset,
    faults, policy, clock and seed act on it alone, listings show only its
    records, and calls that name a record pick its one.
    """

    # How often wait_for_webhook asks again; small, so a test waits little past the event.
    POLL_INTERVAL = 0.02

    def __init__(
        self,
        base_url: str,
        admin_token: str | None = None,
        *,
        timeout: float = 10.0,
        api_key: str | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.api_key = api_key
        headers = {"Authorization": f"Bearer {admin_token}"} if admin_token else {}
        self._http = httpx.Client(base_url=self.base_url, timeout=timeout, headers=headers)

    def request(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        """One control call (path below /_mock); the parsed JSON, or ControlCallError."""
        url = "/_mock/" + path.lstrip("/")
        scoped = (
            self.api_key is not None
            and "apiKey=" not in path
            and not (body is not None and "apiKey" in body)
        )
        params = {"apiKey": self.api_key} if scoped else None
        response = self._http.request(method, url, json=body, params=params)
        try:
            answer: Any = response.json()
        except ValueError:
            answer = None
        if response.is_error:
            message = answer.get("error") if isinstance(answer, dict) else None
            raise ControlCallError(method, url, response.status_code, message or response.text)
        return answer

    # ------------------------------------------------------------ state

    def health(self) -> dict[str, Any]:
        return self._object("GET", "health")

    def ready(self) -> dict[str, Any]:
        return self._object("GET", "ready")

    def reset(self) -> dict[str, Any]:
        """Back to the start state: no transactions, sessions, deliveries; clock offset 0."""
        return self._object("POST", "reset")

    def transactions(self) -> list[dict[str, Any]]:
        """Every transaction, oldest first (all pages)."""
        return self._all("transactions", "transactions")

    def transaction(self, rrn: str, api_key: str | None = None) -> dict[str, Any]:
        """One transaction; `api_key` says whose when two merchants used the rrn."""
        return self._object("GET", f"transactions/{_segment(rrn)}" + _query(apiKey=api_key))

    def sessions(self) -> list[dict[str, Any]]:
        """Every H5 session, oldest first (all pages)."""
        return self._all("sessions", "sessions")

    def session(self, session_id: str, api_key: str | None = None) -> dict[str, Any]:
        return self._object("GET", f"sessions/{_segment(session_id)}" + _query(apiKey=api_key))

    def requests(self, endpoint: str | None = None, rrn: str | None = None) -> list[dict[str, Any]]:
        """The journal of PMS requests, oldest first; filtered by endpoint or rrn if given."""
        return self._all("requests", "requests", endpoint=endpoint, rrn=rrn)

    # ------------------------------------------------------------ what payers and gateways do

    def settle(
        self, rrn: str, outcome: str = "success", api_key: str | None = None
    ) -> dict[str, Any]:
        """Finish a sale as the payer or gateway would: success, failed, timeout or refunded."""
        body = _without_none(outcome=outcome, apiKey=api_key)
        return self._object("POST", f"transactions/{_segment(rrn)}/settle", body)

    def scan(
        self, session_id: str, wallet: str | None = None, api_key: str | None = None
    ) -> dict[str, Any]:
        """As if the H5 QR code was scanned (in WXPAY or ALIPAY); starts the countdown."""
        body = _without_none(wallet=wallet, apiKey=api_key)
        return self._object("POST", f"sessions/{_segment(session_id)}/scan", body)

    def pay(
        self, session_id: str, wallet: str | None = None, api_key: str | None = None
    ) -> dict[str, Any]:
        """As if the payer paid in the wallet (scans first, with `wallet`, if not scanned yet)."""
        body = _without_none(wallet=wallet, apiKey=api_key)
        return self._object("POST", f"sessions/{_segment(session_id)}/pay", body)

    # ------------------------------------------------------------ time and webhooks

    def clock(self) -> dict[str, Any]:
        return self._object("GET", "clock")

    def advance_clock(self, seconds: float) -> dict[str, Any]:
        """Move the mock clock on; expiries and webhook attempts now due run before it answers.

        `advance_clock(0)` runs whatever fell due without moving time: the way a
        test under freezegun lets the sandbox catch up after `frozen.tick()`.
        """
        return self._object("POST", "clock/advance", {"seconds": seconds})

    def webhooks(
        self, rrn: str | None = None, *, session_id: str | None = None
    ) -> list[dict[str, Any]]:
        """Every webhook attempt, oldest first; only those for `rrn` or `session_id` if given."""
        return self._all("webhooks", "attempts", rrn=rrn, sessionId=session_id)

    def deliveries(
        self, rrn: str | None = None, *, session_id: str | None = None
    ) -> list[dict[str, Any]]:
        """Each webhook series (one per successful payment): state, attempts made, next due."""
        return self._all(
            "webhooks", "deliveries", "afterDelivery", "nextDelivery", rrn=rrn, sessionId=session_id
        )

    def resend(self, webhook_id: int) -> dict[str, Any]:
        """Send a series' payload again now (an attempt id or a series id); the resent
        attempt comes back as `attempt` once logged."""
        return self._object("POST", f"webhooks/{int(webhook_id)}/resend")

    def forge(
        self, rrn: str | None = None, *, session_id: str | None = None, api_key: str | None = None
    ) -> dict[str, Any]:
        """Notify a payment that was not made: does the shop verify before shipping?"""
        body = _without_none(rrn=rrn, sessionId=session_id, apiKey=api_key)
        return self._object("POST", "webhooks/forge", body)

    def report(self, api_key: str | None = None) -> dict[str, Any]:
        """What the sandbox saw the integration do wrong: {"merchants": {apiKey: [...]}}."""
        return self._object("GET", "report" + _query(apiKey=api_key))

    def wait_for_webhook(
        self,
        rrn: str | None = None,
        timeout: float = 5.0,
        *,
        session_id: str | None = None,
        acknowledged: bool = False,
        count: int = 1,
    ) -> list[dict[str, Any]]:
        """The attempts for `rrn` (or `session_id`) once `count` were made (and one was
        acknowledged, if asked).

        Deliveries run off the request thread, so a test that settles and then
        looks at once could miss the attempt. Over HTTP there is nothing to
        block on, so this asks again every POLL_INTERVAL until the attempt
        shows; TimeoutError, naming what it saw, when `timeout` seconds pass.
        """
        if rrn is None and session_id is None:
            raise TypeError("wait_for_webhook needs an rrn or a session_id")
        deadline = time.monotonic() + timeout
        while True:
            attempts = self.webhooks(rrn, session_id=session_id)
            enough = len(attempts) >= count
            if enough and (not acknowledged or any(a.get("acknowledged") for a in attempts)):
                return attempts
            if time.monotonic() >= deadline:
                wanted = "acknowledged webhook" if acknowledged else "webhook attempt"
                which = f"rrn {rrn!r}" if rrn is not None else f"sessionId {session_id!r}"
                raise TimeoutError(
                    f"no {wanted} for {which} within {timeout} s; attempts so far: {attempts}"
                )
            time.sleep(self.POLL_INTERVAL)

    # ------------------------------------------------------------ faults, policy, seed

    def add_fault(self, **spec: Any) -> dict[str, Any]:
        """E.g. add_fault(endpoint="online/sales", errorCode="3", count=1); see the docs."""
        return self._object("POST", "faults", spec)

    def faults(self) -> list[dict[str, Any]]:
        """The faults still armed, each with the calls it has left."""
        return _items(self.request("GET", "faults"), "faults")

    def clear_faults(self) -> dict[str, Any]:
        return self._object("DELETE", "faults")

    def set_policy(self, outcome: str, after_seconds: float = 0) -> dict[str, Any]:
        """Auto-settle every new payment with `outcome` after `after_seconds` of mock time."""
        return self._object("POST", "policy", {"outcome": outcome, "afterSeconds": after_seconds})

    def clear_policy(self) -> dict[str, Any]:
        return self._object("DELETE", "policy")

    def seed(self, seed: int | None) -> dict[str, Any]:
        """Deterministic generated ids from now on (None: random again)."""
        return self._object("POST", "seed", {"seed": seed})

    # ------------------------------------------------------------ tenants

    def add_merchant(self, **fields: str) -> dict[str, Any]:
        """A runtime merchant (apiKey, secret, merchantName, storeCode, tillId, salesMan;
        a missing apiKey or secret is generated): its credentials."""
        return self._object("POST", "merchants", fields)

    def remove_merchant(self, api_key: str) -> dict[str, Any]:
        """Remove a runtime merchant and all its data."""
        return self._object("DELETE", f"merchants/{_segment(api_key)}")

    def merchants(self) -> list[dict[str, Any]]:
        return _items(self.request("GET", "merchants"), "merchants")

    def _all(
        self,
        path: str,
        key: str,
        after: str = "after",
        next_key: str = "next",
        **params: str | None,
    ) -> list[dict[str, Any]]:
        """Every item of a paged listing, following its cursor page by page."""
        found: list[dict[str, Any]] = []
        cursor: str | None = None
        while True:
            answer = self.request("GET", path + _query(**params, limit="5000", **{after: cursor}))
            found += _items(answer, key)
            cursor = answer.get(next_key) if isinstance(answer, dict) else None
            if not cursor:
                return found

    def _object(self, method: str, path: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
        answer = self.request(method, path, body)
        return answer if isinstance(answer, dict) else {"answer": answer}

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> ControlClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _segment(value: str) -> str:
    """An id as one URL path segment (rrn and sessionId may hold '/' or spaces)."""
    return quote(str(value), safe="")


def _without_none(**fields: Any) -> dict[str, Any]:
    return {k: v for k, v in fields.items() if v is not None}


def _query(**params: str | None) -> str:
    given = {k: v for k, v in params.items() if v is not None}
    return "?" + urlencode(given) if given else ""


def _items(answer: Any, key: str) -> list[dict[str, Any]]:
    """A list call's items, whether the server answers a bare list or {key: [...]}."""
    if isinstance(answer, dict):
        answer = answer.get(key, [])
    return list(answer) if isinstance(answer, list) else []
