"""How one webhook POST is sent and judged: the HTTP client and its whole-attempt deadline.

The client is made on the first attempt: building one (httpcore, the TLS trust
store) costs ~45 ms, which a sandbox that sends no webhook need not pay at start.
"""

from __future__ import annotations

import json
import threading
from typing import TYPE_CHECKING, Any

from mockpms import __version__
from mockpms.config import Settings
from mockpms.scheduler import real_monotonic
from mockpms.webhook_answers import Outcome, describe_error, judge, receiver_host

if TYPE_CHECKING:
    import httpx

# An acknowledgement is a few bytes; reading more would let a receiver stall a worker.
MAX_RESPONSE_BYTES = 64 * 1024


class Sender:
    """POSTs a payload and judges the answer; never raises."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._client_lock = threading.Lock()
        self._http_client: httpx.Client | None = None  # made by the first attempt

    @property
    def _http(self) -> httpx.Client:
        """The HTTP client, created on first use."""
        with self._client_lock:
            if self._http_client is None:
                self._http_client = self._client(None)
            return self._http_client

    def _client(self, transport: httpx.BaseTransport | None) -> httpx.Client:
        import httpx

        from mockpms.deadline import with_deadlines

        if transport is None:
            transport = httpx.HTTPTransport(
                limits=httpx.Limits(
                    max_connections=self.settings.webhook_workers * 2,
                    max_keepalive_connections=self.settings.webhook_workers,
                )
            )
        return httpx.Client(
            timeout=httpx.Timeout(self.settings.webhook_timeout),
            follow_redirects=False,  # a redirect is not an acknowledgement
            trust_env=False,  # never route a merchant's webhook through a proxy from the env
            headers={"User-Agent": f"mockpms/{__version__} (webhook)"},
            transport=with_deadlines(transport),
        )

    def use_transport(self, transport: httpx.BaseTransport) -> None:
        """Send webhooks through this httpx transport from now on.

        For tests: e.g. httpx.WSGITransport(app=shop_app) delivers straight into the
        shop's WSGI app, or a transport that refuses hosts other than 127.0.0.1.
        """
        with self._client_lock:
            old, self._http_client = self._http_client, self._client(transport)
        if old is not None:
            old.close()

    def post(self, url: str, payload: dict[str, Any]) -> Outcome:
        """POST the payload and judge the answer; never raises."""
        import httpx

        from mockpms.deadline import received, within

        body = json.dumps(payload, ensure_ascii=False).encode("utf-8")
        headers = {"Content-Type": "application/json; charset=utf-8"}
        timeout = self.settings.webhook_timeout
        started = real_monotonic()
        try:
            with (
                within(timeout),
                self._http.stream("POST", url, content=body, headers=headers) as response,
            ):
                raw = bytearray()
                for chunk in response.iter_bytes():
                    raw.extend(chunk)
                    if len(raw) > MAX_RESPONSE_BYTES:
                        break
                return judge(response.status_code, bytes(raw[:MAX_RESPONSE_BYTES]))
        except httpx.TimeoutException as exc:
            if received() and real_monotonic() - started >= timeout * 0.99:  # a trickle
                return Outcome(
                    error=f"timeout: {receiver_host(exc)} did not complete the exchange (connect, "
                    f"send and the whole answer) within {timeout:g} s (--webhook-timeout)"
                )
            return Outcome(error=describe_error(exc, timeout))
        except httpx.HTTPError as exc:
            return Outcome(error=describe_error(exc, timeout))
        except Exception as exc:  # a worker must survive anything a receiver does
            return Outcome(error=f"unexpected error: {type(exc).__name__}: {exc}")

    def close(self) -> None:
        with self._client_lock:
            client = self._http_client
        if client is not None:
            client.close()
