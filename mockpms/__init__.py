"""mockpms: a faithful, fast mock of the TTRetail PMS online-payment API.

The public names load on first use (PEP 562), so `mockpms.healthcheck` (the
image's HEALTHCHECK, run every second) and the CLI's client commands start
without importing Flask.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

if TYPE_CHECKING:
    from mockpms.app import create_app
    from mockpms.config import Merchant, Settings
    from mockpms.signing import sign

_LAZY = {
    "create_app": "mockpms.app",
    "Merchant": "mockpms.config",
    "Settings": "mockpms.config",
    "sign": "mockpms.signing",
}

__all__ = ["Merchant", "Settings", "__version__", "create_app", "sign"]


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'mockpms' has no attribute {name!r}")
