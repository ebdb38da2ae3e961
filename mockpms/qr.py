"""QR codes as PNG bytes or data URIs (qrcode + Pillow). Pure and cached.

A fixed mask pattern skips qrcode's search over all eight masks, which is most
of the cost of a code; any mask is a valid, scannable QR code.
"""

from __future__ import annotations

import base64
import io
from functools import lru_cache

MASK_PATTERN = 0


@lru_cache(maxsize=2048)
def qr_png(text: str, box_size: int = 6, border: int = 4) -> bytes:
    # Imported on first use: qrcode and Pillow are a large share of start-up time.
    import qrcode
    from qrcode.constants import ERROR_CORRECT_M
    from qrcode.image.pil import PilImage

    code = qrcode.QRCode(
        error_correction=ERROR_CORRECT_M,
        box_size=box_size,
        border=border,
        image_factory=PilImage,
        mask_pattern=MASK_PATTERN,
    )
    code.add_data(text)
    code.make(fit=True)
    buffer = io.BytesIO()
    code.make_image().save(buffer, format="PNG")
    return buffer.getvalue()


@lru_cache(maxsize=2048)
def qr_data_uri(text: str) -> str:
    """`data:image/png;base64,...` as h5Payment/session/create returns with bitmap true."""
    return "data:image/png;base64," + base64.b64encode(qr_png(text)).decode("ascii")
