"""The merchants a sandbox knows: the configured ones, and runtime ones (tenants).

Many test jobs can share one mockpms, each in its own merchant (CONTRACT 17):
`POST /_mock/merchants` adds one at runtime, `DELETE /_mock/merchants/<apiKey>`
removes it with its data. The configured merchants (flags, environment, config
file) are permanent: a global reset returns to exactly them.

Lookups are one dict read with no lock (the dict is replaced, never changed,
under the lock), since every PMS request makes one.
"""

from __future__ import annotations

import re
import secrets
import threading
from collections.abc import Callable, Mapping
from dataclasses import asdict, replace
from typing import Any

from mockpms.config import Merchant
from mockpms.errors import ControlError

# The body of POST /_mock/merchants: its keys and the Merchant attributes they set.
FIELDS = {
    "apiKey": "api_key",
    "secret": "secret",
    "merchantName": "merchant_name",
    "storeCode": "store_code",
    "tillId": "till_id",
    "salesMan": "sales_man",
}
MAX_LENGTH = 128
API_KEY = re.compile(r"[A-Za-z0-9._~-]+")
MAX_RUNTIME = 10_000  # runtime merchants at once: a leak in a CI pipeline stays bounded


class Merchants:
    """Configured merchants plus runtime ones; `get` is the hot path."""

    def __init__(self, configured: tuple[Merchant, ...]) -> None:
        self.configured = configured
        self._lock = threading.Lock()
        self._runtime: dict[str, Merchant] = {}
        self._by_key: dict[str, Merchant] = {m.api_key: m for m in configured}
        # Called (under the lock) with the snapshot whenever the runtime set changes: a
        # data dir keeps it (mockpms.sandbox wires it).
        self.on_change: Callable[[dict[str, Any]], None] = _nothing

    def get(self, api_key: str) -> Merchant | None:
        return self._by_key.get(api_key)

    def __contains__(self, api_key: object) -> bool:
        return api_key in self._by_key

    def is_runtime(self, api_key: str) -> bool:
        return api_key in self._runtime

    def runtime(self) -> list[Merchant]:
        with self._lock:
            return list(self._runtime.values())

    def add(self, data: Mapping[str, Any]) -> Merchant:
        """A new runtime merchant from a POST body; missing credentials are generated.

        ControlError naming the field for bad input; 409 for an apiKey in use.
        """
        unknown = sorted(set(data) - set(FIELDS))
        if unknown:
            raise ControlError(
                f"{unknown[0][:40]}: unknown field; a merchant has {', '.join(FIELDS)}"
            )
        values: dict[str, str] = {}
        for key, attr in FIELDS.items():
            value = data.get(key)
            if value is None:
                continue
            if not isinstance(value, str) or not value.strip() or len(value) > MAX_LENGTH:
                generated = " to have one generated" if key in ("apiKey", "secret") else ""
                raise ControlError(
                    f"{key}: must be a non-empty string of at most {MAX_LENGTH} characters "
                    f"(or left out{generated})"
                )
            if not value.isprintable():
                raise ControlError(f"{key}: must be printable text, without control characters")
            if key == "apiKey" and not API_KEY.fullmatch(value):
                raise ControlError(
                    "apiKey: letters, digits and . _ ~ - only (it goes into URLs such as "
                    "DELETE /_mock/merchants/<apiKey>), or leave it out to have one generated"
                )
            values[attr] = value
        values.setdefault("api_key", "tenant-" + secrets.token_hex(8))
        values.setdefault("secret", secrets.token_urlsafe(24))
        merchant = replace(Merchant(**values), source="runtime")
        with self._lock:
            if merchant.api_key in self._by_key:
                raise ControlError(
                    f"apiKey: {merchant.api_key!r} is already a merchant of this sandbox; "
                    f"choose another apiKey or leave it out to have one generated",
                    status=409,
                )
            if len(self._runtime) >= MAX_RUNTIME:
                raise ControlError(
                    f"merchants: {MAX_RUNTIME} runtime merchants exist; DELETE "
                    f"/_mock/merchants/<apiKey> the ones your tests are done with",
                    status=409,
                )
            self._runtime[merchant.api_key] = merchant
            self._by_key = {**self._by_key, merchant.api_key: merchant}
            self.on_change(self.snapshot())
        return merchant

    def remove(self, api_key: str) -> Merchant:
        """Forget a runtime merchant (its data is the caller's to remove): 404 unknown,
        409 configured."""
        with self._lock:
            if api_key not in self._by_key:
                raise ControlError(
                    f"apiKey: no merchant {api_key[:64]!r} in this sandbox", status=404
                )
            if api_key not in self._runtime:
                raise ControlError(
                    f"apiKey: {api_key[:64]!r} is a configured merchant and stays; only "
                    f"merchants added with POST /_mock/merchants can be deleted",
                    status=409,
                )
            merchant = self._runtime.pop(api_key)
            self._by_key = {k: v for k, v in self._by_key.items() if k != api_key}
            self.on_change(self.snapshot())
            return merchant

    def reset(self) -> None:
        """Back to the configured merchants only (a global reset)."""
        with self._lock:
            self._runtime.clear()
            self._by_key = {m.api_key: m for m in self.configured}
            self.on_change(self.snapshot())

    def snapshot(self) -> dict[str, Any]:
        return {"runtime": [asdict(m) for m in self._runtime.values()]}

    def restore(self, snapshot: dict[str, Any]) -> None:
        """Take back the runtime merchants a data dir kept (configured ones win a clash)."""
        with self._lock:
            for fields in snapshot["runtime"]:
                merchant = Merchant(**fields)
                if merchant.api_key not in self._by_key:
                    self._runtime[merchant.api_key] = merchant
                    self._by_key = {**self._by_key, merchant.api_key: merchant}


def to_json(merchant: Merchant) -> dict[str, Any]:
    """A merchant as POST /_mock/merchants answers it: credentials and H5 defaults."""
    return {
        "apiKey": merchant.api_key,
        "secret": merchant.secret,
        "merchantName": merchant.merchant_name,
        "storeCode": merchant.store_code,
        "tillId": merchant.till_id,
        "salesMan": merchant.sales_man,
        "runtime": merchant.source == "runtime",
    }


def _nothing(snapshot: dict[str, Any]) -> None:
    return None
