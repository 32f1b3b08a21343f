"""QR codes for licence verification: a PNG for PDFs and an inline SVG for web pages.

The text is a verify URL, `#` and a signed payload (up to ~1 200 characters in all), so one
symbol must hold it offline: scanning works without a network lookup of a short code.

Options (why):
- Standard QR only (`micro=False`): Micro QR holds at most 35 characters and many phone
  scanners cannot read it.
- Error correction at least M (15 %): the usual level for print; L is too fragile for a sheet
  that gets folded or stamped, and fixing Q/H would push a 1 200-character payload into a
  higher version (more, smaller modules), which is harder for a phone camera than some damage.
- `boost_error=True` (segno's default): segno raises the level above M only when the data
  still fits the same version, so it never makes the symbol denser; it is free robustness.
- Mode and version chosen by segno: the URL and payload contain lowercase letters, so it picks
  byte mode and the smallest version that fits (about 29 for 1 200 characters).
- The quiet zone is the standard 4 modules and light modules are painted white, never
  transparent: scanners need the contrast, also on a dark page background.
"""

from __future__ import annotations

import io

import segno

ERROR_LEVEL = "m"  # the minimum; see the module docstring
QUIET_ZONE = 4  # modules, as ISO/IEC 18004 requires
SVG_TITLE = "电子证照核验二维码"


def make_qr(text: str) -> segno.QRCode:
    """The QR symbol for `text`. Raises segno.DataOverflowError beyond version 40 (~2 300 bytes)."""
    return segno.make_qr(text, error=ERROR_LEVEL, boost_error=True)


def qr_png(text: str, *, scale: int = 4) -> bytes:
    """A black-on-white PNG, `scale` pixels per module, with the 4-module quiet zone."""
    buffer = io.BytesIO()
    make_qr(text).save(
        buffer, kind="png", scale=scale, border=QUIET_ZONE, dark="#000", light="#fff"
    )
    return buffer.getvalue()


def qr_svg(text: str, *, scale: int = 4, title: str = SVG_TITLE) -> str:
    """An inline `<svg>` element (no XML declaration) to put straight into an HTML page.

    It has a viewBox, so CSS may resize it, and a default width/height of `scale` px per module
    so it is not stretched to the full container width when no CSS sizes it. `role="img"` with
    a `<title>` makes screen readers announce it as one image instead of skipping it.
    """
    qr = make_qr(text)
    buffer = io.BytesIO()
    qr.save(
        buffer,
        kind="svg",
        xmldecl=False,
        omitsize=True,  # viewBox only; the pixel size is added below
        border=QUIET_ZONE,
        dark="#000",
        light="#fff",
        title=title,
        svgclass="qr-code",
        lineclass=None,
    )
    side = qr.symbol_size(scale=scale, border=QUIET_ZONE)[0]
    svg = buffer.getvalue().decode("utf-8").strip()
    return svg.replace("<svg ", f'<svg role="img" width="{side}" height="{side}" ', 1)
