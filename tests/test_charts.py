"""The report charts' speed-ups draw what matplotlib draws: kept figures, text cache, artists.

The report draws each unit's two charts in a kept figure (:func:`charts.indicator_scores_png`,
:func:`charts.budget_png`) with texts laid out once per process (:mod:`evalkit.report.textcache`).
A kept figure must not carry anything from the unit drawn before it, a cached text must look as
a freshly laid-out one, and a glyph missing from the font must fail on every draw. The artists
that replace matplotlib's (bars as one collection, texts as one TextRun, the x axis as one
BottomAxis) must draw the same pixels as ``barh``, ``ax.text`` and matplotlib's axis.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg
from PIL import Image

from evalkit.pipeline import filing_paths, review_many
from evalkit.report import charts, textcache
from evalkit.report.fonts import FontError, glyph_guard

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def reviews() -> list:
    paths = filing_paths([ROOT / "parameters" / "2024", ROOT / "tests" / "data" / "real"])
    found = [item.review for item in review_many(paths) if item.review is not None]
    assert len(found) >= 10
    return found


def test_kept_figures_draw_each_unit_as_a_new_figure_would(reviews: list) -> None:
    # Units of different sizes one after the other, then back: nothing of the last unit stays.
    rows = {len(rv.card.indicators) for rv in reviews}
    assert len(rows) >= 3
    for rv in [*reviews, *reversed(reviews)]:
        assert charts.indicator_scores_png(rv) == charts.to_png(charts.indicator_scores(rv))
        if rv.card.budget.rate is not None:
            assert charts.budget_png(rv) == charts.to_png(charts.budget(rv))


def _pixels(png: bytes) -> np.ndarray:
    return np.asarray(Image.open(__import__("io").BytesIO(png)).convert("L"), dtype=int)


def test_cached_texts_look_like_matplotlib_texts(reviews: list) -> None:
    rv = max(reviews, key=lambda r: len(r.card.indicators))
    textcache.clear()
    cold = charts.to_png(charts.indicator_scores(rv))
    warm = charts.to_png(charts.indicator_scores(rv))
    assert textcache.stats()["hits"] > 0
    assert warm == cold  # from the cache, the same pixels as laid out afresh
    # Against matplotlib's own Agg text drawing: the same image up to antialiasing (whole-pixel
    # placement, as matplotlib drew texts before 3.11).
    fig = charts.indicator_scores(rv)
    FigureCanvasAgg(fig)
    plain = _pixels(charts.to_png(fig))
    ours = _pixels(cold)
    assert plain.shape == ours.shape
    assert np.abs(plain - ours).mean() < 8
    assert (np.abs(plain - ours) > 128).mean() < 0.02


def test_a_missing_glyph_fails_on_every_draw() -> None:
    from matplotlib.figure import Figure

    for _ in range(2):  # the second draw must not come from the cache
        fig = Figure(figsize=(4, 1))
        textcache.CachingCanvas(fig)
        fig.suptitle("复核得分", family="DejaVu Sans")  # a font without CJK glyphs
        with pytest.raises(FontError, match="方框"), glyph_guard():
            fig.canvas.draw()


@pytest.mark.parametrize(("ha", "va"), [("left", "center"), ("right", "center_baseline"), ("center", "top")])
def test_a_text_run_draws_what_ax_text_draws(ha: str, va: str) -> None:
    from matplotlib.figure import Figure

    texts = ["1-2 产出数量指标", "4.00/5.00", "两行\n文字", "面积 $x^2$", "", "1,234.50 万元"]
    xs, ys = [0.1, 0.5, 0.3, 0.7, 0.2, 0.9], [0.9, 0.75, 0.5, 0.3, 0.2, 0.1]

    def draw(run: bool) -> np.ndarray:
        charts.setup_cjk_font()
        fig = Figure(figsize=(4, 3), dpi=100)
        textcache.CachingCanvas(fig)
        ax = fig.add_subplot()
        if run:
            ax.add_artist(
                textcache.TextRun(
                    xs, ys, texts, transform=ax.transAxes, fontsize=8, color="#333333", ha=ha, va=va
                )
            )
        else:
            for x, y, t in zip(xs, ys, texts, strict=True):
                ax.text(x, y, t, transform=ax.transAxes, fontsize=8, color="#333333", ha=ha, va=va)
        fig.canvas.draw()
        return np.asarray(fig.canvas.buffer_rgba()).copy()

    assert (draw(run=True) == draw(run=False)).all()
    assert (draw(run=True) != draw(run=False)[0, 0]).any()  # something was drawn


def test_bars_as_one_collection_draw_what_barh_draws() -> None:
    from matplotlib.figure import Figure

    ys, widths = [4, 3, 2, 1, 0], [5.0, 0.0, 2.5, 10.0, 7.25]
    colors = ["#3b6ea8", "#d9822b", "#3b6ea8", "#3b6ea8", "#d9822b"]

    def draw(collection: bool) -> np.ndarray:
        fig = Figure(figsize=(5, 2.3), dpi=100)
        FigureCanvasAgg(fig)
        ax = fig.add_subplot()
        if collection:
            charts._hbars(ax, ys, (widths, 0.7, "#dfe3e8"), ([w / 2 for w in widths], 0.45, colors))
        else:
            ax.barh(ys, widths, color="#dfe3e8", height=0.7)
            ax.barh(ys, [w / 2 for w in widths], color=colors, height=0.45)
        fig.canvas.draw()
        return np.asarray(fig.canvas.buffer_rgba()).copy()

    bars, reference = draw(collection=True), draw(collection=False)
    assert (bars == reference).all()  # the same data limits (y autoscaled) and pixels
    assert len(np.unique(reference.reshape(-1, 4), axis=0)) > 4


@pytest.mark.parametrize("xmax", [1.28, 6.4, 12.8, 2_345.6, 7.2e6])
def test_the_bottom_axis_draws_what_matplotlib_s_x_axis_draws(xmax: float) -> None:
    from matplotlib.figure import Figure

    def draw(ours: bool) -> np.ndarray:
        charts.setup_cjk_font()
        fig = Figure(figsize=(7.2, 2.0), dpi=100)
        textcache.CachingCanvas(fig)
        ax = fig.add_subplot()
        ax.set_position([0.2, 0.35, 0.75, 0.55])
        ax.set_xlim(0, xmax)
        if ours:
            charts._bottom_axis(ax, 7.5, "预算执行率（%）", 8)
        else:
            ax.tick_params(axis="x", labelsize=7.5)
            ax.set_xlabel("预算执行率（%）", fontsize=8)
        fig.canvas.draw()
        return np.asarray(fig.canvas.buffer_rgba()).copy()

    ours, reference = draw(ours=True), draw(ours=False)
    assert (ours == reference).all()
    assert (reference[-60:] != 255).any()  # ticks, labels and the axis label were drawn


def _freetype_entry(font, text: str) -> tuple:
    from matplotlib.backends.backend_agg import get_hinting_flag

    font.set_text(text, 0.0, flags=get_hinting_flag())
    font.draw_glyphs_to_bitmap(antialiased=True)
    w, h = font.get_width_height()
    d = font.get_descent() / 64
    return (w / 64, h / 64, d), font.get_bitmap_offset()[0] / 64, np.asarray(font.get_image()).copy()


COMPOSED = [
    "1-2 产出数量指标完成率达到",
    "4.00/5.00",
    "1,234.50 万元",
    "预算数（调整后）",
    "预算执行率 98.50%，得分 9.85 / 10",
    " 前导空格",
    "A类项目",
    "0.5%",
    "（共120项，橙色为复核人决定）",
]
LAID_OUT = ["AV", "fi", ".Y", "PM2.5浓度", "GDP增长率", "“引号”", "", "Ω"]  # may kern or shape


@pytest.mark.parametrize("size", [7.5, 8, 10])
def test_texts_composed_of_cached_glyphs_are_what_freetype_lays_out(size: float) -> None:
    from matplotlib.font_manager import FontProperties, findfont, get_font

    charts.setup_cjk_font()
    prop = FontProperties(size=size)
    font = get_font(findfont(prop))
    key = textcache._font_key(prop, 100)
    for text in COMPOSED:
        font.clear()
        font.set_size(size, 100)
        entry = textcache._compose(font, text, key)
        assert entry is not None, text
        metrics, dx, image = _freetype_entry(font, text)
        assert entry.metrics == metrics, text
        assert (entry.dx, entry.dy) == (dx, metrics[2]), text
        assert entry.coverage.shape == image.shape and (entry.coverage == image).all(), text
    for text in LAID_OUT:
        assert textcache._compose(font, text, key) is None, text


def test_one_line_layouts_are_matplotlib_s_to_the_last_bit() -> None:
    from matplotlib.figure import Figure
    from matplotlib.font_manager import FontProperties
    from matplotlib.text import Text
    from matplotlib.transforms import IdentityTransform

    charts.setup_cjk_font()
    fig = Figure(figsize=(3, 2), dpi=100)
    canvas = textcache.CachingCanvas(fig)
    renderer = canvas.get_renderer()
    checked = 0
    for size in (7.5, 8, 10):
        prop = FontProperties(size=size)
        for text in ["1-2 产出数量指标", "4.00/5.00", "gjpqy", "执行数", "—", "", "AV"]:
            for ha in ("left", "center", "right"):
                for va in ("baseline", "bottom", "top", "center", "center_baseline"):
                    label = Text(0.0, 0.0, text, fontproperties=prop, ha=ha, va=va)
                    label.set_transform(IdentityTransform())
                    label.set_figure(fig)
                    box, info, _ = label._get_layout(renderer)
                    expected = ([(line, dx, dy) for line, _, (dx, dy) in info if line], box.y0)
                    assert textcache._one_line_layout(renderer, text, prop, ha, va) == expected
                    checked += 1
    assert checked == 3 * 7 * 15
    assert textcache._one_line_layout(renderer, "两行\n文字", FontProperties(size=8), "left", "top") is None


def test_a_font_whose_layout_composition_would_miss_is_laid_out_by_freetype(monkeypatch) -> None:
    import dataclasses

    from matplotlib.font_manager import FontProperties, findfont, get_font

    charts.setup_cjk_font()
    prop = FontProperties(size=9)
    font = get_font(findfont(prop))
    font.set_size(9, 100)
    key = textcache._font_key(prop, 100)
    composed = textcache._composed

    def off_by_a_pixel(*args):  # as if another FreeType placed glyphs otherwise
        entry = composed(*args)
        return entry and dataclasses.replace(entry, dx=entry.dx + 1)

    textcache.clear()
    monkeypatch.setattr(textcache, "_composed", off_by_a_pixel)
    assert textcache._compose(font, "执行数", key) is None
    monkeypatch.undo()
    textcache.clear()
    assert textcache._compose(font, "执行数", key) is not None


def test_control_characters_in_unit_names_draw_as_spaces() -> None:
    # A filing's unit name may hold a tab or a line break: no font has a glyph for either.
    import pandas as pd

    units = pd.DataFrame(
        {"unit": ["\t=1", "\r=1", "甲\n乙"], "budget_rate": [0.5, 0.7, 0.9], "status": ["ok"] * 3}
    )
    png = charts.to_png(charts.execution_rates(units))  # raised FontError for the tab
    assert png.startswith(b"\x89PNG")
    assert charts._short("甲\t\t乙\r\n丙") == "甲 乙 丙"
