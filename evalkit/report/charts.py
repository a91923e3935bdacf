"""Charts of a review and of a year's summary, as matplotlib figures and compact PNG bytes.

Figures are built with :class:`matplotlib.figure.Figure` (no pyplot state, no GUI backend), with a
CJK font set up by :mod:`evalkit.report.fonts`. :func:`to_png` raises rather than emit a chart whose
Chinese would print as boxes.

Speed (a report draws two charts per unit, bench/bench_charts.py measures them): the margins are
computed from the labels' advance widths (:func:`_text_width`, cached per character) instead of
matplotlib's constrained layout, which measures every text several times; the report's charts
are drawn in figures kept per thread (:func:`_axes`); bars are one PolyCollection (:func:`_hbars`)
instead of a Rectangle each, row and value labels one :class:`~evalkit.report.textcache.TextRun`
instead of a Text each, and the x axis one :class:`~evalkit.report.textcache.BottomAxis` instead
of matplotlib's Ticks, all drawing the pixels matplotlib's artists draw (tests/test_charts.py);
texts are laid out and rasterized once per process (:mod:`evalkit.report.textcache`). The drawn
RGBA buffer is quantized directly (no PNG encode and decode in between), with the fast octree
quantizer, and written with zlib's run-length strategy (``optimize`` tripled the encode time for
4 % of size).
"""

from __future__ import annotations

import io
import re
import threading
import unicodedata
import zlib
from functools import lru_cache
from typing import TYPE_CHECKING

from evalkit.report.fonts import glyph_guard, setup_cjk_font

if TYPE_CHECKING:
    import pandas as pd
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

    from evalkit.pipeline import Review

# A quiet palette that survives greyscale printing.
C_WEIGHT = "#dfe3e8"
C_SCORE = "#3b6ea8"
C_REVIEWER = "#d9822b"
C_DEDUCTION = "#c23030"
C_TEXT = "#333333"
GRADE_COLORS = {"优": "#2e7d32", "良": "#3b6ea8", "中": "#d9822b", "差": "#c23030"}
DPI = 100
_LABEL_BOX = {"facecolor": "white", "edgecolor": "none", "pad": 0.6}


PAD = 4 / 72  # inches between a figure's edge and what it holds (constrained layout's 3 pt, plus 1)
_TICK_GAP = (3.5 + 3.5 + 2) / 72  # tick length + tick label pad + a little air, inches
#: Tallest chart, in inches (at DPI 100: 3,000 pixels); a taller one would be unreadable on a page
#: and, at tens of thousands of rows, larger than Pillow opens (DecompressionBombError).
MAX_HEIGHT = 30.0
#: Indicator bars drawn in one chart; past it the chart shows the rows that lost the most points.
ROWS_SHOWN = 80


def _figure(width: float, height: float) -> Figure:
    from matplotlib.figure import Figure

    from evalkit.report.textcache import CachingCanvas

    setup_cjk_font()
    fig = Figure(figsize=(width, min(height, MAX_HEIGHT)), dpi=DPI)
    CachingCanvas(fig)
    return fig


class _Skeletons(threading.local):
    """This thread's kept figures, one per report chart: see :func:`_axes`."""

    def __init__(self) -> None:
        self.kept: dict[str, tuple[Figure, Axes]] = {}


_skeletons = _Skeletons()


def _axes(kind: str, width: float, height: float, reuse: bool) -> tuple[Figure, Axes]:
    """A figure of that size with one empty axes: a new one, or this thread's kept one wiped.

    A new figure and axes cost more to build than the chart they hold (its ticks, spines and
    their text properties): the report's two charts per unit reuse theirs. Wiping removes what
    the chart functions add (bars, texts, lines, the title and axis label) and resets the data
    limits, so a reused figure draws the same pixels as a new one (tests/test_charts.py).
    """
    found = _skeletons.kept.get(kind) if reuse else None
    if found is None:
        fig = _figure(width, height)
        ax = fig.add_subplot()
        if reuse:
            _skeletons.kept[kind] = (fig, ax)
        return fig, ax
    fig, ax = found
    fig.set_size_inches(width, min(height, MAX_HEIGHT))
    for artist in [*ax.patches, *ax.texts, *ax.lines, *ax.collections, *ax.artists]:
        artist.remove()
    ax.containers.clear()
    ax.set_title("", loc="left")
    ax.set_xlabel("")
    ax.relim()
    ax.set_autoscale_on(True)
    return fig, ax


@lru_cache(maxsize=8192)
def _advance(ch: str) -> float:
    """Advance width of one character in ems, in the chart font (falls back to an estimate)."""
    from matplotlib.font_manager import FontProperties, findfont, get_font
    from matplotlib.ft2font import LoadFlags

    font = get_font(findfont(FontProperties()))
    try:
        glyph = font.load_char(ord(ch), flags=LoadFlags.NO_HINTING | LoadFlags.NO_SCALE)
        return glyph.horiAdvance / font.units_per_EM
    except (RuntimeError, ValueError):
        return 1.0 if unicodedata.east_asian_width(ch) in "WF" else 0.6


def _text_width(text: str, size: float) -> float:
    """Width of one line of text in inches at ``size`` points."""
    return sum(_advance(ch) for ch in text) * size / 72


def _row_labels(ax, ys: list[float], labels: list[str], fontsize: float) -> None:
    """Category labels left of the y axis, drawn as one run of texts with one line of tick marks.

    Looks like ``ax.set_yticks(ys, labels)``; a matplotlib Tick is five artists with their own
    property copies, so a chart of 20 rows spent most of its drawing time on its ticks.
    """
    from matplotlib.markers import TICKLEFT
    from matplotlib.transforms import offset_copy

    from evalkit.report.textcache import TextRun

    ax.set_yticks([])
    ax.yaxis.set_visible(False)  # no ticks, no label: nothing of it to draw
    trans = ax.get_yaxis_transform()  # x in axes fraction, y in data
    ax.plot(
        [0.0] * len(ys),
        ys,
        transform=trans,
        linestyle="none",
        marker=TICKLEFT,
        markersize=3.5,
        markeredgewidth=0.8,
        color="black",
        clip_on=False,
    )
    at = offset_copy(trans, fig=ax.figure, x=-7.0, y=0.0, units="points")
    ax.add_artist(
        TextRun(
            [0.0] * len(ys), ys, labels, transform=at, fontsize=fontsize, ha="right", va="center_baseline"
        )
    )


def _hbars(ax, ys: list[float], *layers: tuple[list[float], float, object]) -> None:
    """Horizontal bars from x = 0 centred on ``ys``, one layer of (widths, height, colours) over
    the other: what one ``ax.barh`` per layer draws, as one collection.

    ``barh`` makes a Rectangle per bar, each added to the axes' data limits one by one and drawn
    with its own transform; one PolyCollection is one draw call and one data-limits update (its
    bars are drawn in order: the first layer's, then the next one's over them).
    """
    from matplotlib.collections import PolyCollection

    verts, faces = [], []
    for widths, height, colors in layers:
        half = height / 2
        verts += [
            [(0.0, y - half), (w, y - half), (w, y + half), (0.0, y + half)]
            for y, w in zip(ys, widths, strict=True)
        ]
        faces += [colors] * len(ys) if isinstance(colors, str) else list(colors)
    if not verts:
        return
    bars = PolyCollection(verts, facecolors=faces, edgecolors="none")
    bars.sticky_edges.x.append(0.0)  # as barh's: an autoscaled x axis starts at 0
    ax.add_collection(bars, autolim=True)


def _value_labels(ax, xs: list[float], ys: list[float], texts: list[str], fontsize: float) -> None:
    """Texts left-aligned at (x, y) in data coordinates, vertically centred (``ax.text`` look)."""
    from evalkit.report.textcache import TextRun

    ax.add_artist(
        TextRun(
            xs, ys, texts, transform=ax.transData, fontsize=fontsize, color=C_TEXT, ha="left", va="center"
        )
    )


def _bottom_axis(ax, labelsize: float, label: str = "", label_size: float = 10.0) -> None:
    """Draw ``ax``'s x axis (ticks, tick labels, axis label) as one artist: the same pixels, see
    :class:`evalkit.report.textcache.BottomAxis`."""
    from evalkit.report.textcache import BottomAxis

    ax.xaxis.set_visible(False)
    ax.add_artist(BottomAxis(ax, labelsize, label, label_size))


def _place(fig: Figure, ax, left: float, right: float, top: float, bottom: float) -> None:
    """Put the axes at fixed margins (inches) from the figure's edges."""
    w, h = fig.get_size_inches()
    ax.set_position(
        [left / w, bottom / h, max(1 - (left + right) / w, 0.05), max(1 - (top + bottom) / h, 0.05)]
    )


# Heights of the texts around the axes, inches: a title line, an x-axis of tick labels (and label).
def _title_band(size: float = 10) -> float:
    return PAD + size * 1.45 / 72 + 6 / 72


def _xaxis_band(tick_size: float = 7.5, label_size: float | None = None) -> float:
    band = PAD + _TICK_GAP + tick_size * 1.2 / 72
    if label_size is not None:
        band += label_size * 1.3 / 72 + 4 / 72
    return band


# Tabs, line breaks and other control characters of a filing's names: no font has a glyph for
# them (matplotlib draws a box and the missing-glyph check fails the chart); a label shows a space.
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]+")


def _short(text: str, limit: int = 14) -> str:
    text = _CONTROL.sub(" ", text)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def to_png(fig: Figure, dpi: int = DPI, colors: int = 64) -> bytes:
    """Render a figure to PNG bytes, reduced to a small palette (a report stays small).

    Raises :class:`evalkit.report.fonts.FontError` when a glyph is missing from the chart's font.
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from PIL import Image

    # Never more pixels than a page needs or Pillow would open: a figure built elsewhere is drawn
    # at a lower dpi instead.
    width, height = fig.get_size_inches()
    dpi = min(dpi, int((Image.MAX_IMAGE_PIXELS or 89_000_000) ** 0.5 / max(width, height, 1)))
    canvas = fig.canvas if isinstance(fig.canvas, FigureCanvasAgg) else FigureCanvasAgg(fig)
    if fig.dpi != dpi:
        fig.set_dpi(dpi)
    fig.set_facecolor("white")
    with glyph_guard():
        canvas.draw()
    size = canvas.get_width_height()
    # RGB first: the octree quantizes RGBA with other buckets (another palette, even when opaque).
    image = Image.frombuffer("RGBA", size, canvas.buffer_rgba(), "raw", "RGBA", 0, 1).convert("RGB")
    # A 64-colour palette keeps anti-aliased text legible at a third of the size.
    small = image.quantize(colors=colors, method=Image.Quantize.FASTOCTREE, dither=Image.Dither.NONE)
    out = io.BytesIO()
    # zlib's run-length strategy: a chart is long runs of white and bar colours; it encodes in
    # under half the time of the default strategy (~2 ms a unit's two charts) for 16 % more bytes
    # (indicator charts of the sample year and corpus: 7.9 KiB a chart on average, now 9.2).
    small.save(out, format="PNG", compress_level=6, compress_type=zlib.Z_RLE)
    return out.getvalue()


def indicator_scores(rv: Review, limit: int = ROWS_SHOWN) -> Figure:
    """Per indicator: weight (light bar), recomputed score (blue; orange where the reviewer decided).

    Past ``limit`` rows only the ``limit`` rows that lost the most points are drawn (the title says
    so), so a unit of thousands of rows still gives a chart of one page.
    """
    return _indicator_scores(rv, limit, reuse=False)


def indicator_scores_png(rv: Review, limit: int = ROWS_SHOWN) -> bytes:
    """:func:`indicator_scores` as PNG bytes, drawn in this thread's kept figure (faster)."""
    return to_png(_indicator_scores(rv, limit, reuse=True))


def _indicator_scores(rv: Review, limit: int, reuse: bool) -> Figure:
    scores = list(rv.card.indicators)
    total = len(scores)
    if total > limit:
        # The rows a reviewer looks at first: the most points lost (then table order), drawn in table order.
        lost = sorted(
            range(total), key=lambda i: (-(scores[i].weight - scores[i].score + scores[i].deduction), i)
        )
        scores = [scores[i] for i in sorted(lost[:limit])]
    height = 0.9 + 0.28 * max(len(scores), 1)
    fig, ax = _axes("indicator_scores", 7.2, height, reuse)
    labels = [f"{s.indicator.goal}-{s.indicator.row} {_short(s.indicator.name)}" for s in scores]
    ys = list(range(len(scores)))[::-1]
    weights = [s.weight for s in scores]
    finals = [max(s.score - s.deduction, 0.0) for s in scores]
    colors = [C_REVIEWER if s.reviewer else C_SCORE for s in scores]
    _hbars(ax, ys, (weights, 0.7, C_WEIGHT), (finals, 0.45, colors))  # 分值, 复核得分 over it
    values = [f"{final:.2f}/{s.weight:.2f}" for s, final in zip(scores, finals, strict=True)]
    _value_labels(ax, [w + 0.1 for w in weights], ys, values, 7.5)
    _row_labels(ax, ys, labels, 8)
    ax.set_xlim(0, max(weights or [1]) * 1.28)
    _bottom_axis(ax, 7.5, "分", 8)
    title = "各项指标得分（橙色为复核人决定）"
    if total > len(scores):
        title = f"失分最多的{len(scores)}项指标得分（共{total}项，橙色为复核人决定）"
    ax.set_title(title, fontsize=10, loc="left", y=1.0)  # y: nothing above the axes to avoid
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    if not scores:
        ax.text(0.5, 0.5, "无绩效指标", transform=ax.transAxes, ha="center")
    left = PAD + max((_text_width(t, 8) for t in labels), default=0.0) + _TICK_GAP
    _place(fig, ax, left, PAD + 0.05, _title_band(), _xaxis_band(7.5, 8))
    return fig


def budget(rv: Review) -> Figure:
    """Budget vs executed amount (万元) on the basis scored, with the execution rate."""
    return _budget(rv, reuse=False)


def budget_png(rv: Review) -> bytes:
    """:func:`budget` as PNG bytes, drawn in this thread's kept figure (faster)."""
    return to_png(_budget(rv, reuse=True))


def _budget(rv: Review, reuse: bool) -> Figure:
    b = rv.card.budget
    fig, ax = _axes("budget", 7.2, 1.7, reuse)
    basis = {"planned": "预算数（年初）", "adjusted": "预算数（调整后）"}.get(b.basis, "预算数")
    values = [b.denominator or 0.0, b.executed or 0.0]
    _hbars(ax, [1, 0], (values, 0.6, [C_WEIGHT, C_SCORE]))
    _row_labels(ax, [1, 0], [basis, "执行数"], 8.5)
    top = max(values) or 1.0
    _value_labels(ax, [v + top * 0.01 for v in values], [1, 0], [f"{v:,.2f} 万元" for v in values], 8)
    ax.set_xlim(0, top * 1.3)
    rate = "—" if b.rate is None else f"{b.rate:.2%}"
    ax.set_title(f"预算执行率 {rate}，得分 {b.score:.2f} / {b.max:g}", fontsize=10, loc="left", y=1.0)
    _bottom_axis(ax, 7.5)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    left = PAD + max(_text_width(basis, 8.5), _text_width("执行数", 8.5)) + _TICK_GAP
    _place(fig, ax, left, PAD + 0.05, _title_band(), _xaxis_band(7.5))
    return fig


def grade_distribution(units: pd.DataFrame, grades: tuple[str, ...] = ("优", "良", "中", "差")) -> Figure:
    """How many units per grade: self-declared beside reviewed."""
    fig = _figure(5.2, 2.6)
    ax = fig.add_subplot()
    ok = units[units["status"] == "ok"]
    declared = [int((ok["declared_grade"] == g).sum()) for g in grades]
    reviewed = [int((ok["grade"] == g).sum()) for g in grades]
    xs = range(len(grades))
    ax.bar([x - 0.2 for x in xs], declared, width=0.38, color=C_WEIGHT, label="自评等级")
    ax.bar([x + 0.2 for x in xs], reviewed, width=0.38, color=[GRADE_COLORS.get(g, C_SCORE) for g in grades])
    for x, d, r in zip(xs, declared, reviewed, strict=True):
        ax.text(x - 0.2, d, str(d), ha="center", va="bottom", fontsize=8)
        ax.text(x + 0.2, r, str(r), ha="center", va="bottom", fontsize=8)
    ax.set_xticks(list(xs), list(grades), fontsize=9)
    ax.set_ylim(0, max([*declared, *reviewed, 1]) * 1.25)
    ax.yaxis.get_major_locator().set_params(integer=True)
    ax.tick_params(axis="y", labelsize=7.5)
    ax.set_title("等级分布（灰：自评，彩色：复核）", fontsize=10, loc="left", y=1.0)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    top = max([*declared, *reviewed, 1]) * 1.25
    left = PAD + _text_width(f"{top:.0f}", 7.5) + _TICK_GAP
    _place(fig, ax, left, PAD + 0.05, _title_band(), _xaxis_band(9))
    return fig


RATES_SHOWN = 60  # bars in the execution-rate chart: a province's thousands would not fit a page


def execution_rates(units: pd.DataFrame, limit: int = RATES_SHOWN) -> Figure:
    """Budget execution rate per unit, lowest first, with the 100 % line.

    Past ``limit`` units only the lowest ``limit`` rates are drawn (the title says so): one bar
    per unit of a whole province would make an image taller than matplotlib can draw.
    """
    ok = units[(units["status"] == "ok") & units["budget_rate"].notna()].sort_values("budget_rate")
    total = len(ok)
    ok = ok.head(limit)
    fig = _figure(7.2, 0.8 + 0.3 * max(len(ok), 1))
    ax = fig.add_subplot()
    ys = list(range(len(ok)))
    rates = [float(r) * 100 for r in ok["budget_rate"]]
    # barh: a Rectangle per unit shown (ax.patches, counted by tests/test_summary_scale.py); the
    # chart is drawn once a year, not per unit.
    ax.barh(ys, rates, color=[C_SCORE if r >= 90 else C_REVIEWER for r in rates], height=0.6)
    for y, r in zip(ys, rates, strict=True):
        # A white box keeps the label readable where it crosses the 100 % line.
        ax.text(r + 1, y, f"{r:.2f}%", va="center", fontsize=7.5, color=C_TEXT, bbox=_LABEL_BOX)
    ax.axvline(100, color="#888888", linewidth=0.8, linestyle="--")
    names = [_short(str(u), 22) for u in ok["unit"]]
    _row_labels(ax, ys, names, 8)
    ax.set_xlim(0, max([*rates, 100]) * 1.15)
    _bottom_axis(ax, 7.5, "预算执行率（%）", 8)
    title = "各单位预算执行率（低于90%为橙色）"
    if total > len(ok):
        title = f"预算执行率最低的{len(ok)}个单位（共{total}个，低于90%为橙色）"
    ax.set_title(title, fontsize=10, loc="left", y=1.0)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    if ok.empty:
        ax.text(0.5, 0.5, "暂无数据", transform=ax.transAxes, ha="center")
    left = PAD + max((_text_width(t, 8) for t in names), default=0.0) + _TICK_GAP
    _place(fig, ax, left, PAD + 0.05, _title_band(), _xaxis_band(7.5, 8))
    return fig
