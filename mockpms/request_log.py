"""The lines `mockpms serve` prints: one per PMS request and page form post, one per webhook
attempt (CONTRACT 11). Control calls are not printed.

    18:04:18 POST /tt-pms-ws/rest/online/sales  mockpms-sandbox  0      2.1 ms
    18:04:19 webhook http://shop.test/hook  attempt 1/5  200  acknowledged

`--log-format json` prints the same as one JSON object a line; `--quiet` prints
none. Colour only when the output is a terminal. Installed by `mockpms serve`
alone, so the pytest fixture and the app factory pay nothing for it.
"""

from __future__ import annotations

import json
import threading
import time
from datetime import datetime
from typing import Any, TextIO

from flask import Flask, Response, g, request

from mockpms.events import Event, Events, RequestEvent, WebhookAttemptEvent
from mockpms.urls import H5_PAGE, PAYMENT_PAGE

GREEN, RED, DIM, RESET = "\033[32m", "\033[31m", "\033[2m", "\033[0m"


class RequestLog:
    def __init__(self, stream: TextIO, fmt: str = "text", color: bool | None = None) -> None:
        self.stream = stream
        self.json = fmt == "json"
        self.color = stream.isatty() if color is None else color
        self._lock = threading.Lock()

    def install(self, app: Flask, events: Events) -> None:
        app.before_request(self._start)
        app.after_request(self._after)
        events.subscribe(self._on_event)

    def _start(self) -> None:
        g.log_started = time.perf_counter()

    def _after(self, response: Response) -> Response:
        answer = g.get("pms_answer")
        page_post = request.method == "POST" and request.path.startswith((PAYMENT_PAGE, H5_PAGE))
        if answer is None and not page_post:
            return response
        # A PMS call's own line comes from its RequestEvent; here: refusals made before
        # the view (405 on a PMS path) and the pages' form posts.
        started = g.get("log_started", time.perf_counter())
        fields: dict[str, Any] = {
            "time": datetime.now().astimezone().isoformat(timespec="milliseconds"),
            "method": request.method,
            "path": request.path,
            "apiKey": None,
        }
        if answer is not None:
            fields["errorCode"] = answer.get("errorCode")
        else:
            fields["status"] = response.status_code
        fields["ms"] = round((time.perf_counter() - started) * 1000, 1)
        self._write(fields, self._request_text(fields))
        return response

    def _on_event(self, event: Event) -> None:
        if isinstance(event, RequestEvent):  # a PMS call, on either server (pms_calls)
            fields: dict[str, Any] = {
                "time": datetime.now().astimezone().isoformat(timespec="milliseconds"),
                "method": event.method,
                "path": event.path,
                "apiKey": event.api_key,
            }
            if event.status is None:
                fields["status"] = "dropped"
            else:
                fields["errorCode"] = event.error_code
            fields["ms"] = round(event.duration_ms, 1)
            self._write(fields, self._request_text(fields))
            return
        if not isinstance(event, WebhookAttemptEvent):
            return
        attempt = event.attempt
        fields = {
            "time": datetime.now().astimezone().isoformat(timespec="milliseconds"),
            "event": "webhook",
            "url": attempt.url,
            "attempt": attempt.attempt,
            "attempts": attempt.max_attempts,
        }
        if attempt.http_status is not None:
            fields["status"] = attempt.http_status
        if attempt.error is not None:
            fields["error"] = attempt.error
        fields["acknowledged"] = attempt.acknowledged
        self._write(fields, self._webhook_text(fields))

    def _request_text(self, f: dict[str, Any]) -> str:
        result = f.get("errorCode", f.get("status"))
        good = result in ("0", 200, 303)
        shown = self._paint(str(result), GREEN if good else RED)
        clock = f["time"][11:19]
        return f"{clock} {f['method']} {f['path']}  {f['apiKey'] or '-'}  {shown}  {f['ms']} ms"

    def _webhook_text(self, f: dict[str, Any]) -> str:
        outcome = "acknowledged" if f["acknowledged"] else f.get("error") or f"HTTP {f['status']}"
        status = f.get("status", "-")
        shown = self._paint(outcome, GREEN if f["acknowledged"] else RED)
        clock = f["time"][11:19]
        return (
            f"{clock} webhook {f['url']}  attempt {f['attempt']}/{f['attempts']}  {status}  {shown}"
        )

    def _paint(self, text: str, colour: str) -> str:
        return f"{colour}{text}{RESET}" if self.color else text

    def _write(self, fields: dict[str, Any], text: str) -> None:
        line = json.dumps(fields, ensure_ascii=False) if self.json else text
        with self._lock:
            self.stream.write(line + "\n")
            self.stream.flush()
