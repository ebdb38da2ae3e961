"""mockpms: a faithful, fast mock of the TTRetail PMS online-payment API."""

from __future__ import annotations

__version__ = "0.1.0"

from mockpms.app import create_app
from mockpms.config import Merchant, Settings
from mockpms.signing import sign

__all__ = ["Merchant", "Settings", "__version__", "create_app", "sign"]
