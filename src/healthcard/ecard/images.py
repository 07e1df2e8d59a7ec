"""QR images of a code's text (segno; the text is all QR alphanumeric characters)."""

from __future__ import annotations

import base64
import io

import segno


def png_base64(text: str, *, scale: int = 4) -> str:
    """A PNG of the QR code, base64-encoded."""
    buffer = io.BytesIO()
    segno.make_qr(text, error="m").save(buffer, kind="png", scale=scale, border=4)
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def svg(text: str, *, scale: int = 4) -> str:
    """An inline SVG of the QR code."""
    return str(segno.make_qr(text, error="m").svg_inline(scale=scale, border=4))
