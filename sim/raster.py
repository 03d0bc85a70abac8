"""Raster figures: the PNG files of ``figures/`` and the images ``report.html`` embeds.

Every figure is drawn once and saved as PNG at :data:`PNG_DPI` (for the screen and for pasting into a
document; the ``.svgz`` beside it is the vector figure, for print at any size) in a palette of
:data:`PALETTE_COLOURS` colours. ``report.html`` embeds the same figure at the size the page shows it
(:data:`DISPLAY_DPI`), averaged down from the PNG and cut into bands where a printed page may break.
No matplotlib here: :mod:`sim.report` uses this module too.
"""

from __future__ import annotations

import io
import itertools
from collections.abc import Mapping
from pathlib import Path
from typing import Any

__all__ = [
    "DISPLAY_DPI",
    "PALETTE_COLOURS",
    "PNG_DPI",
    "SLICE_INCHES",
    "display_png",
    "display_slices",
    "figure_inches",
    "palette_png",
]

PNG_DPI = 150
"""Pixels per figure inch of ``figures/*.png``: 1,050 pixels across a 7-inch figure, sharp on screen and in a
document at its own size; the ``.svgz`` is the figure for print. At 200 dpi the Kursk run's PNGs took 0.28 MB more
(1.03 against 0.75 MB at 64 colours); the report's images, drawn from them at 100 dpi, are the same size either way."""
DISPLAY_DPI = 100
"""Pixels per figure inch at which report.html embeds the figures (their natural size on screen)."""
PALETTE_COLOURS = 64
"""Colours of a saved or embedded PNG. A figure has a few base colours and their anti-aliased blends with the
white page: 64 colours (median cut, undithered) look the same as the full-colour image and as 256 colours side by
side, at 80% of the bytes of 256 colours (Kursk's PNGs: 1.03 against 1.30 MB at 200 dpi)."""
SLICE_INCHES = 1.2
"""The shortest band :func:`display_slices` cuts a figure into, in figure inches."""


def palette_png(image: Any, *, text: Mapping[str, str] | None = None, dpi: float | None = None) -> bytes:
    """``image`` (a PIL image) as a PNG of :data:`PALETTE_COLOURS` colours, with ``text`` in its text chunks.

    The palette is chosen by median cut without dithering (dithering would add noise that costs bytes and
    shows as grain on flat fills).
    """
    from PIL import Image, PngImagePlugin

    palette = image.convert("RGB").quantize(PALETTE_COLOURS, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE)
    chunks = PngImagePlugin.PngInfo()
    for key, value in (text or {}).items():
        chunks.add_text(key, value)
    buffer = io.BytesIO()
    palette.save(buffer, format="PNG", pnginfo=chunks, optimize=True, **({"dpi": (dpi, dpi)} if dpi else {}))
    return buffer.getvalue()


def display_png(path: Path, *, dpi: float = DISPLAY_DPI) -> bytes:
    """The PNG at ``path`` at the size the report shows it (``dpi`` pixels per figure inch).

    The page shows figures at their natural size (100 pixels per inch, matplotlib's screen convention), so the
    report embeds each at ``dpi / PNG_DPI`` of its saved width and height: every displayed pixel the average of
    the saved pixels it covers (a box filter, which adds no ringing around text and lines, so the palette
    image stays small). A PNG that is already small enough is embedded as it is.
    """
    return palette_png(_display_image(path, dpi=dpi)) if _needs_resampling(path, dpi) else path.read_bytes()


def display_slices(path: Path, *, dpi: float = DISPLAY_DPI) -> list[bytes]:
    """The figure at ``path`` as :func:`display_png` embeds it, cut into bands where a page may break.

    A printed page cannot break inside an image, and a figure taller than what is left of a page
    (the priors, one panel per input, is over 20 inches) would either leave the rest of the page
    empty or be shrunk until its text is unreadable. So the figure is cut across rows that are
    blank over its whole width (between rows of panels: no drawing is cut), into bands at least
    :data:`SLICE_INCHES` high (a title stays with the panels under it). On screen the bands stack
    into the whole figure; in print each band goes where it fits, at the figure's own size.
    """
    image = _display_image(path, dpi=dpi) if _needs_resampling(path, dpi) else None
    if image is None:
        from PIL import Image

        with Image.open(path) as opened:
            image = opened.convert("RGB")
    cuts = _blank_cuts(image, minimum=round(SLICE_INCHES * dpi))
    if not cuts:
        return [display_png(path, dpi=dpi)]
    edges = [0, *cuts, image.height]
    return [palette_png(image.crop((0, top, image.width, bottom))) for top, bottom in itertools.pairwise(edges)]


def _blank_cuts(image: Any, *, minimum: int) -> list[int]:
    """Rows at the middle of each run of blank rows (white over the whole width) at least 4 rows high, kept where
    every band between cuts, and the first and last, is at least ``minimum`` rows high."""
    import numpy as np

    blank = (np.asarray(image.convert("L")) >= 250).all(axis=1)
    changes = np.flatnonzero(np.diff(np.concatenate(([0], blank.astype(np.int8), [0]))))
    middles = [(start + end) // 2 for start, end in zip(changes[::2], changes[1::2], strict=True) if end - start >= 4]
    cuts: list[int] = []
    for row in middles:
        if row - (cuts[-1] if cuts else 0) >= minimum and image.height - row >= minimum:
            cuts.append(row)
    return cuts


def _saved_dpi(image: Any, default: float) -> float:
    return float(image.info.get("dpi", (default, default))[0])


def _needs_resampling(path: Path, dpi: float) -> bool:
    from PIL import Image

    with Image.open(path) as image:
        return _saved_dpi(image, dpi) > dpi * 1.01


def _display_image(path: Path, *, dpi: float) -> Any:
    """The figure averaged down to ``dpi`` pixels per inch (box filter), as an RGB image."""
    from PIL import Image

    with Image.open(path) as image:
        saved = _saved_dpi(image, dpi)
        size = (round(image.width * dpi / saved), round(image.height * dpi / saved))
        return image.convert("RGB").resize(size, Image.Resampling.BOX)


def figure_inches(path: Path) -> float:
    """The width of the figure saved at ``path``, in inches (its pixels over its saved dpi)."""
    from PIL import Image

    with Image.open(path) as image:
        return image.width / _saved_dpi(image, DISPLAY_DPI)
