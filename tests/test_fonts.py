"""Chinese in charts: a CJK font is found (the bundled Noto Sans CJK SC on a fresh machine), no
glyph goes missing, and a missing glyph fails loudly instead of printing boxes."""

from __future__ import annotations

import io
import logging
import warnings

import matplotlib
import pytest
from matplotlib.figure import Figure

from evalkit.model import Budget, Filing, Goal, Indicator, Unit
from evalkit.pipeline import review
from evalkit.report import charts
from evalkit.report.fonts import FontError, bundled_font_path, glyph_guard, setup_cjk_font

TITLE = "预算绩效自评复核：各项指标得分（优良中差）"


def _filing() -> Filing:
    rows = [
        Indicator(goal=1, row=1, name="救护员培训人数", level1="产出指标", level2="数量指标", target_text="1500人", actual_text="1849人"),
        Indicator(goal=1, row=2, name="群众满意度", level1="满意度指标", level2="满意度指标", target_text="≥90%", actual_text="96%"),
    ]  # fmt: skip
    return Filing(
        unit=Unit(name="测试单位", year=2024),
        budget=Budget(planned=100.0, executed=90.0),
        goals=[Goal(index=1, indicators=rows)],
    )


def test_bundled_font_is_open_licensed_noto() -> None:
    path = bundled_font_path()
    assert path is not None and path.name == "NotoSansCJKsc-Regular.otf"


def test_chinese_title_renders_without_missing_glyphs(caplog: pytest.LogCaptureFixture) -> None:
    name = setup_cjk_font(prefer_os=False)  # what a fresh machine without OS CJK fonts gets
    assert name == "Noto Sans CJK SC"
    assert matplotlib.rcParams["font.sans-serif"][0] == name
    fig = Figure(figsize=(4, 1))
    fig.suptitle(TITLE)
    with warnings.catch_warnings(record=True) as caught, caplog.at_level(logging.WARNING):
        warnings.simplefilter("always")
        fig.savefig(io.BytesIO(), format="png")
    messages = [str(w.message) for w in caught] + [r.getMessage() for r in caplog.records]
    assert not [m for m in messages if "missing" in m], messages


def test_missing_glyph_fails_loudly() -> None:
    setup_cjk_font(prefer_os=False)
    fig = Figure(figsize=(4, 1))
    fig.suptitle(TITLE, family="DejaVu Sans")  # a font without CJK glyphs
    with pytest.raises(FontError, match="方框"), glyph_guard():
        fig.savefig(io.BytesIO(), format="png")


def test_review_charts_are_small_pngs() -> None:
    rv = review(_filing())
    for fig in (charts.indicator_scores(rv), charts.budget(rv)):
        png = charts.to_png(fig)
        assert png.startswith(b"\x89PNG") and len(png) < 60_000
