"""A matplotlib Agg canvas that lays out and rasterizes each distinct text once per process.

Most of a report chart's CPU goes to FreeType laying out and rendering its texts, and a batch
draws the same texts again and again: tick labels, titles, 分值 labels such as ``4.00/4.00``.
matplotlib caches text metrics per renderer only (a new figure, a new renderer), and since 3.11
renders every glyph of every text on every draw. :class:`CachingCanvas` keeps, per process:

- the metrics (width, height, descent) of each (text, font, size, dpi), computed as the Agg
  renderer computes them;
- its rasterized coverage, from the same FreeType layout, drawn whole-pixel aligned as
  matplotlib up to 3.10 drew texts and composited in the text's colour;
- each character's glyph (advance, box, bitmap), so that a text never seen before but made of
  CJK characters, digits and punctuation (a new indicator's name) is composed of glyphs already
  rendered, to the same coverage FreeType's layout gives (:func:`_compose`; FreeType's layout
  costs ~50 µs a character, mostly shaping and loading glyphs).

Only plain horizontal texts are cached; mathtext, TeX and rotated texts go to matplotlib as
usual. :class:`TextRun` draws many such texts as one artist (a chart's row and value labels):
each text's offset from its anchor is laid out once per process, as :class:`matplotlib.text.Text`
lays it out, instead of on every draw of every Text; :class:`BottomAxis` draws an x axis's
ticks and labels that way. A text with a glyph missing from the font is never cached (nor
composed), so the warning that :func:`evalkit.report.fonts.glyph_guard` turns into an error
comes on every draw.
"""

from __future__ import annotations

import warnings
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from matplotlib import cbook, rcParams
from matplotlib.artist import Artist
from matplotlib.backends.backend_agg import FigureCanvasAgg, RendererAgg, get_hinting_flag
from matplotlib.colors import to_rgba
from matplotlib.font_manager import FontProperties, findfont, get_font
from matplotlib.ft2font import RenderMode
from matplotlib.lines import Line2D
from matplotlib.markers import TICKDOWN
from matplotlib.text import Text
from matplotlib.transforms import IdentityTransform, ScaledTranslation, blended_transform_factory

__all__ = ["BottomAxis", "CachingCanvas", "CachingRenderer", "TextRun", "clear", "stats"]

#: Entries kept per cache (least recently used dropped first). A coverage image of a label is a
#: few kilobytes: 4,096 of them stay under ~20 MB.
MAX_ENTRIES = 4096


@dataclass(frozen=True)
class _Text:
    metrics: tuple[float, float, float]  # width, height, descent in pixels
    coverage: np.ndarray  # the rasterized text, 0–255
    dx: float  # offsets of the image from the text's anchor, pixels
    dy: float
    # The image draw_image takes, per colour and alpha: a chart draws a label in one colour.
    tinted: dict[tuple, np.ndarray] = field(default_factory=dict, compare=False, repr=False)


_texts: OrderedDict[tuple, _Text] = OrderedDict()
_heights: dict[tuple, tuple] = {}
_paths: dict[tuple, str] = {}
_offsets: OrderedDict[tuple, tuple[list[tuple[str, float, float]], float]] = OrderedDict()
_glyphs: OrderedDict[tuple, tuple | None] = OrderedDict()
_counts = {"hits": 0, "misses": 0, "composed": 0}


def clear() -> None:
    """Forget every cached text (a font or rcParams change does this by itself: it is in the key)."""
    _texts.clear()
    _heights.clear()
    _paths.clear()
    _offsets.clear()
    _glyphs.clear()
    _trust.clear()
    for key in _counts:
        _counts[key] = 0


def stats() -> dict[str, int]:
    """Hits and misses so far, and how many misses were composed of cached glyphs (a benchmark
    prints them)."""
    return dict(_counts)


def _remember(cache: OrderedDict, key: tuple, value: Any) -> None:
    cache[key] = value
    if len(cache) > MAX_ENTRIES:
        cache.popitem(last=False)


def _font_key(prop: FontProperties, dpi: float) -> tuple:
    # The file the properties resolve to, the size and what changes rasterization: a changed
    # rcParams font list or hinting gives other entries. findfont is memoized on the properties'
    # hash and the font list (matplotlib's own cache builds a costlier key on every call).
    families = rcParams["font.sans-serif"]
    memo = (hash(prop), tuple(families), rcParams["font.family"][0] if rcParams["font.family"] else "")
    path = _paths.get(memo)
    if path is None:
        path = _paths[memo] = findfont(prop)
    return (path, prop.get_size_in_points(), dpi, get_hinting_flag())


class CachingRenderer(RendererAgg):
    """An Agg renderer whose plain texts come from the process-wide caches."""

    def get_text_width_height_descent(self, s: str, prop: FontProperties, ismath: Any) -> tuple:
        """Width, height and descent of ``s`` in pixels (cached for plain text)."""
        if ismath:
            return super().get_text_width_height_descent(s, prop, ismath)
        return self._entry(s, prop, True).metrics

    def draw_text(
        self,
        gc: Any,
        x: float,
        y: float,
        s: str,
        prop: FontProperties,
        angle: float,
        ismath: Any = False,
        mtext: Any = None,
    ) -> None:
        """Draw ``s`` anchored at (x, y), y downwards (cached for plain, unrotated text)."""
        if ismath or angle % 360:
            return super().draw_text(gc, x, y, s, prop, angle, ismath, mtext)
        entry = self._entry(s, prop, bool(gc.get_antialiased()))
        if entry.coverage.size == 0:
            return
        # Whole-pixel placement, as matplotlib <= 3.10 placed texts (y downwards, the image's
        # bottom edge).
        left = round(x + entry.dx)
        bottom = round(y + entry.dy) + 1
        rgb = gc.get_rgb()
        alpha = gc.get_alpha() if (len(rgb) == 3 or gc.get_forced_alpha()) else rgb[3]
        colour = (*(round(c * 255) for c in rgb[:3]), float(alpha))
        rgba = entry.tinted.get(colour)
        if rgba is None:
            rgba = np.empty((*entry.coverage.shape, 4), dtype=np.uint8)
            rgba[..., :3] = colour[:3]
            rgba[..., 3] = entry.coverage if alpha >= 1 else (entry.coverage * float(alpha)).astype(np.uint8)
            # draw_image takes the image's rows bottom first.
            rgba = entry.tinted[colour] = np.ascontiguousarray(rgba[::-1])
        # draw_image takes the image's lower-left corner, y upwards.
        self.draw_image(gc, left, self.height - bottom, rgba)

    def _get_font_height_metrics(self, prop: FontProperties) -> tuple[float, float, float]:
        # matplotlib's Text asks a renderer that has this method for the font's ascent, descent
        # and line gap (else it reads the font's tables for every text, every draw): the same
        # figures, read once per font, size and dpi.
        key = _font_key(prop, self.dpi)
        found = _heights.get(key)
        if found is None:
            font = get_font(findfont(prop))
            found = (None, None, None)
            scale = prop.get_size_in_points() * self.dpi / 72 / font.get_sfnt_table("head")["unitsPerEm"]
            for table_name, gap, ascent, descent in (
                ("OS/2", "sTypoLineGap", "sTypoAscender", "sTypoDescender"),
                ("hhea", "lineGap", "ascent", "descent"),
            ):
                table = font.get_sfnt_table(table_name)
                if table is not None:
                    found = (table[ascent] * scale, -table[descent] * scale, table[gap] * scale)
                    break
            _heights[key] = found
        return found

    def _entry(self, s: str, prop: FontProperties, antialiased: bool) -> _Text:
        key = (s, *_font_key(prop, self.dpi), antialiased)
        found = _texts.get(key)
        if found is not None:
            _counts["hits"] += 1
            _texts.move_to_end(key)
            return found
        _counts["misses"] += 1
        font = get_font(findfont(prop))
        font.clear()
        font.set_size(prop.get_size_in_points(), self.dpi)
        composed = _compose(font, s, key[1:-1]) if antialiased else None
        if composed is not None:
            _counts["composed"] += 1
            _remember(_texts, key, composed)
            return composed
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            font.set_text(s, 0.0, flags=get_hinting_flag())
            font.draw_glyphs_to_bitmap(antialiased=antialiased)
        _rewarn(caught)
        w, h = font.get_width_height()
        descent = font.get_descent() / 64.0
        xo, yo = font.get_bitmap_offset()
        coverage = np.array(font.get_image(), dtype=np.uint8, copy=True)
        if not antialiased:
            coverage = np.where(coverage > 0, 255, 0).astype(np.uint8)
        # The same metrics as RendererAgg.get_text_width_height_descent, the same offsets as its
        # draw_text up to matplotlib 3.10.
        entry = _Text((w / 64.0, h / 64.0, descent), coverage, xo / 64.0, yo / 64.0 + descent)
        if not caught:  # a missing glyph warns on every draw, never from the cache
            _remember(_texts, key, entry)
        return entry


def _composable(text: str) -> bool:
    """Whether FreeType's layout of ``text`` is its glyphs side by side at their advances.

    matplotlib lays a text out with a shaper (libraqm), and a Latin letter kerns with the ASCII
    character beside it (``AV``, ``.Y``, ``/g``) or forms a ligature (``fi``); CJK characters,
    digits, spaces and ASCII punctuation do not, nor a Latin letter between them (checked
    against FreeType's layout for every label of the sample year, the corpus and 60 synthetic
    units, all pairs of digits and punctuation and random mixtures, at four sizes and three
    dpi; tests/test_charts.py keeps a sample). Anything else is laid out by FreeType.
    """
    previous = " "
    for ch in text:
        code = ord(ch)
        if 0x20 <= code < 0x7F:
            # A Latin letter touching another ASCII character (not a space) may kern.
            if " " not in (ch, previous) and ord(previous) < 0x7F and (ch.isalpha() or previous.isalpha()):
                return False
        elif not (0x3000 <= code <= 0x303F or 0x3400 <= code <= 0x9FFF or 0xFF01 <= code <= 0xFF5E):
            return False  # CJK punctuation, ideographs and fullwidth forms only
        previous = ch
    return True


def _glyph(font: Any, font_key: tuple, ch: str) -> tuple | None:
    """One character's advance, control box (26.6) and rendered bitmap with its position, or
    None when the font lacks it (then the text is laid out by FreeType, which warns)."""
    key = (ch, *font_key)
    if key in _glyphs:
        return _glyphs[key]
    index = font.get_char_index(ord(ch))
    found = None
    if index:
        flags = get_hinting_flag()
        glyph = font.load_char(ord(ch), flags)
        advance = glyph.horiAdvance  # hinted, 26.6: what set_text advances by (unrotated)
        bitmap = font._render_glyph(index, flags, RenderMode.NORMAL)
        buffer = np.array(bitmap.buffer, dtype=np.uint8, copy=True)
        # FreeType cannot move an empty outline (a space): its box stays at the origin.
        box = tuple(glyph.bbox)
        found = (advance, box, bitmap.left, bitmap.top, buffer, box != (0, 0, 0, 0))
    _remember(_glyphs, key, found)
    return found


def _compose(font: Any, text: str, font_key: tuple) -> _Text | None:
    """The entry FreeType's set_text and draw_glyphs_to_bitmap give for ``text``, built from
    cached glyphs (a new label is mostly characters drawn before), or None where that would not
    be the same (see :func:`_composable`).

    Hinted advances are whole pixels, so every glyph lands on the pixel grid as rendered alone;
    the bitmap box and placement follow matplotlib's ``FT2Font::set_text`` and
    ``draw_glyphs_to_bitmap``.
    """
    if not text or not _composable(text) or not _trusted(font, font_key):
        return None
    return _composed(font, text, font_key)


#: A text of each kind :func:`_composable` lets through, composed once per font, size, dpi and
#: hinting and compared with FreeType's layout before any other is composed.
_PROBE = " 1-2 预算执行率（调整后）：98.50%，4.00/5.00 万元"
_trust: dict[tuple, bool] = {}


def _trusted(font: Any, font_key: tuple) -> bool:
    # Another matplotlib or FreeType (a hinting factor, another layout) could place glyphs
    # otherwise: then every text of that font is laid out by FreeType.
    found = _trust.get(font_key)
    if found is None:
        ours = _composed(font, _PROBE, font_key)  # None if the font lacks one of its glyphs
        found = False
        if ours is not None:
            font.set_text(_PROBE, 0.0, flags=get_hinting_flag())
            font.draw_glyphs_to_bitmap(antialiased=True)
            w, h = font.get_width_height()
            descent = font.get_descent() / 64.0
            image = np.asarray(font.get_image())
            found = (
                ours.metrics == (w / 64.0, h / 64.0, descent)
                and (ours.dx, ours.dy) == (font.get_bitmap_offset()[0] / 64.0, descent)
                and ours.coverage.shape == image.shape
                and bool((ours.coverage == image).all())
            )
        _trust[font_key] = found
    return found


def _composed(font: Any, text: str, font_key: tuple) -> _Text | None:
    placed = []  # (pen, glyph): the pen in 26.6, whole pixels
    pen = 0
    for ch in text:
        glyph = _glyph(font, font_key, ch)
        if glyph is None or glyph[0] % 64:
            return None
        placed.append((pen, glyph))
        pen += glyph[0]
    boxes = [
        (p + box[0], box[1], p + box[2], box[3]) if inked else box for p, (_, box, _, _, _, inked) in placed
    ]
    x_min, y_min = min(b[0] for b in boxes), min(b[1] for b in boxes)
    x_max, y_max = max(b[2] for b in boxes), max(b[3] for b in boxes)
    width, height = (x_max - x_min) // 64 + 2, (y_max - y_min) // 64 + 2
    coverage = np.zeros((height, width), dtype=np.uint8)
    for p, (_, _, left, top, buffer, _) in placed:
        if not buffer.size:
            continue
        # C's (FT_Int) casts truncate towards zero, as int() does.
        x = int(left + p // 64 - x_min / 64)
        y = int(y_max / 64 - top + 1)
        rows, cols = buffer.shape
        x1, y1, x2, y2 = max(x, 0), max(y, 0), min(x + cols, width), min(y + rows, height)
        if x2 > x1 and y2 > y1:
            coverage[y1:y2, x1:x2] |= buffer[y1 - y : y2 - y, x1 - x : x2 - x]
    descent = -y_min / 64.0
    return _Text((pen / 64.0, (y_max - y_min) / 64.0, descent), coverage, x_min / 64.0, descent)


def _rewarn(caught: list[warnings.WarningMessage]) -> None:
    for w in caught:
        warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)


class CachingCanvas(FigureCanvasAgg):
    """A :class:`FigureCanvasAgg` drawing with a :class:`CachingRenderer`."""

    def get_renderer(self) -> CachingRenderer:
        """The renderer for the figure's current size (reused while the size stays)."""
        w, h = self.get_width_height(physical=True)
        key = (w, h, self.figure.dpi)
        renderer = getattr(self, "_ek_renderer", None)
        if renderer is None or getattr(self, "_ek_key", None) != key:
            renderer = CachingRenderer(w, h, self.figure.dpi)
            self._ek_renderer, self._ek_key = renderer, key
        self.renderer = renderer
        return renderer


def _one_line_layout(
    renderer: Any, text: str, prop: FontProperties, ha: str, va: str
) -> tuple[list[tuple[str, float, float]], float] | None:
    """``Text._get_layout`` of a one-line, unrotated plain text, without making a Text: the
    offset of its baseline start from the anchor and its box's lower edge, the same floats
    (the same operations in the same order). None where it does not apply (more lines, a
    renderer without the cached font heights): then a Text lays it out."""
    if "\n" in text or not isinstance(renderer, CachingRenderer):
        return None
    min_ascent, min_descent, _ = renderer._get_font_height_metrics(prop)
    if min_ascent is None or min_descent is None:
        return None
    w, h, d = renderer.get_text_width_height_descent(text, prop, False) if text else (0, 0, 0)
    a = h - d
    # linespacing "normal", one line (line gap 0): at least the font's ascent and descent.
    a = max(a, min_ascent) + 0 / 2
    d = max(d, min_descent) + 0 / 2
    baseline = a - 0.0
    y_line = 0.0 - a
    y_min = y_line - d
    x_min, x_max = min(0, 0, w, w), max(0, 0, w, w)
    y_low, y_high = min(y_min, 0, 0, y_min), max(y_min, 0, 0, y_min)
    height = y_high - y_low
    offset_x = x_min if ha == "left" else x_max if ha == "right" else (x_min + x_max) / 2
    offset_y = (
        y_low
        if va == "bottom"
        else y_high
        if va == "top"
        else (y_low + y_high) / 2
        if va == "center"
        else y_low + d
        if va == "baseline"
        else y_low + height - baseline / 2  # center_baseline
    )
    lines = [(text, 0.0 - offset_x, y_line - offset_y)] if text else []
    return lines, y_low - offset_y


class TextRun(Artist):
    """One-line-or-more horizontal texts of one font, size and colour, drawn as one artist.

    Draws the pixels :meth:`matplotlib.axes.Axes.text` draws for each text (no clipping, as
    ``ax.text``), without a Text artist per label: each label's layout (its lines' offsets from
    the anchor for the alignment) is computed once per process by matplotlib's own
    ``Text._get_layout`` and reused. Texts matplotlib would read as mathtext (``$…$``) are drawn by
    a Text artist each, so they look as they would.
    """

    zorder = 3  # a Text's: drawn over bars, lines and spines, as ax.text

    def __init__(
        self,
        xs: list[float],
        ys: list[float],
        texts: list[str],
        *,
        transform: Any,
        fontsize: float,
        color: Any = "black",
        ha: str = "left",
        va: str = "baseline",
        zorder: float | None = None,
    ) -> None:
        super().__init__()
        if zorder is not None:
            self.set_zorder(zorder)
        self._xy = np.column_stack([np.asarray(xs, dtype=float), np.asarray(ys, dtype=float)])
        self._texts = [str(t) for t in texts]
        self._prop = FontProperties(size=fontsize)
        self._color = to_rgba(color)
        self._align = (ha, va)
        self.set_transform(transform)
        self.set_clip_on(False)

    def draw(self, renderer: Any) -> None:
        """Draw every text at its anchor (display coordinates from the run's transform)."""
        if not self.get_visible() or not self._texts:
            return
        points = self.get_transform().transform(self._xy)
        height = renderer.get_canvas_width_height()[1]
        gc = renderer.new_gc()
        gc.set_foreground(self._color, isRGBA=True)
        gc.set_antialiased(rcParams["text.antialiased"])
        for (x, y), text in zip(points, self._texts, strict=True):
            if not text:
                continue
            if cbook.is_math_text(text):
                self._draw_as_text(renderer, x, y, text)
                continue
            for line, dx, dy in self._layout(renderer, text)[0]:
                renderer.draw_text(gc, x + dx, height - (y + dy), line, self._prop, 0.0, ismath=False)
        gc.restore()
        self.stale = False

    def _text(self, x: float, y: float, text: str) -> Text:
        ha, va = self._align
        label = Text(x, y, text, fontproperties=self._prop, color=self._color, ha=ha, va=va)
        label.set_transform(IdentityTransform())
        label.set_figure(self.get_figure(root=False))
        return label

    def bottom(self, renderer: Any) -> float:
        """The lowest edge of the texts' boxes in display pixels (y upwards), as the lowest
        ``Text.get_window_extent().y0`` of the same texts; ``inf`` for no texts."""
        points = self.get_transform().transform(self._xy)
        lowest = np.inf
        for (x, y), text in zip(points, self._texts, strict=True):
            if not text:
                lowest = min(lowest, y)  # an empty Text's extent: a point at its anchor
            elif cbook.is_math_text(text):
                lowest = min(lowest, self._text(x, y, text).get_window_extent(renderer).y0)
            else:
                lowest = min(lowest, y + self._layout(renderer, text)[1])
        return float(lowest)

    def _layout(self, renderer: Any, text: str) -> tuple[list[tuple[str, float, float]], float]:
        # The lines' offsets from the anchor and the box's lower edge do not depend on where the
        # text is (translation-invariant), only on the text, its font (file, size, dpi, hinting)
        # and alignment.
        key = (text, *_font_key(self._prop, renderer.dpi), *self._align)
        found = _offsets.get(key)
        if found is None:
            found = _one_line_layout(renderer, text, self._prop, *self._align)
            if found is None:
                box, info, _ = self._text(0.0, 0.0, text)._get_layout(renderer)
                found = ([(line, dx, dy) for line, _, (dx, dy) in info if line], box.y0)
            _remember(_offsets, key, found)
        return found

    def _draw_as_text(self, renderer: Any, x: float, y: float, text: str) -> None:
        self._text(x, y, text).draw(renderer)


def _interval_contains_close(low: float, high: float, value: float, rtol: float = 1e-10) -> bool:
    # Which ticks matplotlib's Axis._update_ticks draws: those in the view, give or take rounding.
    low, high = min(low, high), max(low, high)
    slack = (high - low) * rtol
    return low - slack <= value <= high + slack


class BottomAxis(Artist):
    """An axes' bottom x axis drawn as matplotlib draws it with the default style, as one artist.

    Ticks out of the axes, their labels under them, the axis label under the labels: the
    locations and label texts come from the axis's own locator and formatter, the ticks are one
    line of markers and the labels a :class:`TextRun`. matplotlib makes a Tick (a line and a Text
    laid out on every draw) per location and measures every tick label again to place the axis
    label, which cost a report chart more than its bars. The axis itself must be hidden
    (``ax.xaxis.set_visible(False)``); when its formatter wants an offset or a multiplier
    (``1e6`` at the axis's end) the artist draws matplotlib's axis instead.
    """

    zorder = 1.5  # the x axis's under axes.axisbelow = "line": under lines, spines and texts

    def __init__(self, ax: Any, labelsize: float, label: str = "", label_size: float = 10.0) -> None:
        super().__init__()
        self._ax = ax
        self._labelsize = labelsize
        self._label = label
        self._label_size = label_size
        self.set_figure(ax.get_figure(root=False))
        # The locator's number of ticks depends on the tick label size (Axis.get_tick_space).
        ax.tick_params(axis="x", labelsize=labelsize)

    def _sub(self, artist: Artist) -> Artist:
        artist.set_figure(self.get_figure(root=False))
        return artist

    def draw(self, renderer: Any) -> None:
        """Draw the ticks, their labels and the axis label."""
        if not self.get_visible():
            return
        ax, fig = self._ax, self.get_figure(root=False)
        axis = ax.xaxis
        locs = list(axis.get_majorticklocs())
        formatter = axis.get_major_formatter()
        labels = formatter.format_ticks(locs)  # all locations: they decide the decimals
        if formatter.get_offset():
            axis.set_visible(True)
            axis.set_label_text(self._label, fontsize=self._label_size)
            axis.set_tick_params(labelsize=self._labelsize)
            axis.draw(renderer)
            axis.set_visible(False)
            return
        scale = axis.get_transform()
        low, high = scale.transform(axis.get_view_interval())
        shown = [
            (loc, text)
            for loc, text in zip(locs, labels, strict=True)
            if _interval_contains_close(low, high, float(scale.transform(loc)))
        ]
        xs, texts = [loc for loc, _ in shown], [text for _, text in shown]
        marks = Line2D(
            xs,
            [0.0] * len(xs),
            transform=ax.get_xaxis_transform(),
            linestyle="none",
            marker=TICKDOWN,
            markersize=rcParams["xtick.major.size"],
            markeredgewidth=rcParams["xtick.major.width"],
            color=rcParams["xtick.color"],
            clip_on=False,
        )
        self._sub(marks).draw(renderer)
        pad = (rcParams["xtick.major.size"] + rcParams["xtick.major.pad"]) / 72
        at = ax.get_xaxis_transform() + ScaledTranslation(0, -pad, fig.dpi_scale_trans)
        color = rcParams["xtick.labelcolor"]
        run = TextRun(
            xs,
            [0.0] * len(xs),
            texts,
            transform=at,
            fontsize=self._labelsize,
            color=rcParams["xtick.color"] if color == "inherit" else color,
            ha="center",
            va="top",
        )
        self._sub(run).draw(renderer)
        if self._label:
            # Under the lowest tick label (or the spine) by the label pad, as matplotlib's
            # XAxis._update_label_position places it.
            spine = ax.spines["bottom"].get_window_extent(renderer)
            y = min(run.bottom(renderer), spine.y0) - rcParams["axes.labelpad"] * fig.dpi / 72
            under = TextRun(
                [0.5],
                [y],
                [self._label],
                transform=blended_transform_factory(ax.transAxes, IdentityTransform()),
                fontsize=self._label_size,
                color=rcParams["axes.labelcolor"],
                ha="center",
                va="top",
            )
            self._sub(under).draw(renderer)
        self.stale = False
