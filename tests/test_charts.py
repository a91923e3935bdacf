"""The report charts' speed-ups draw what matplotlib draws: the kept figures and the text cache.

The report draws each unit's two charts in a kept figure (:func:`charts.indicator_scores_png`,
:func:`charts.budget_png`) with texts laid out once per process (:mod:`evalkit.report.textcache`).
A kept figure must not carry anything from the unit drawn before it, a cached text must look as
a freshly laid-out one, and a glyph missing from the font must fail on every draw.
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
