"""A CJK font for matplotlib, so charts print Chinese instead of empty boxes.

matplotlib's bundled DejaVu fonts have no CJK glyphs. :func:`setup_cjk_font` picks an OS font where
one is installed (Microsoft YaHei, SimHei, PingFang SC, Noto Sans CJK SC …) and otherwise registers
Noto Sans CJK SC (SIL Open Font License) from the ``mplfonts`` package, a dependency of evalkit.
When none can be found it raises :class:`FontError` rather than let charts print boxes.
"""

from __future__ import annotations

import importlib.util
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path

from evalkit.errors import EvalkitError

# OS fonts first (best hinting on their own platform), in the order a Chinese reader expects.
OS_FONTS = (
    "Microsoft YaHei",
    "SimHei",
    "PingFang SC",
    "Noto Sans CJK SC",
    "Source Han Sans SC",
    "Hiragino Sans GB",
    "WenQuanYi Micro Hei",
)
BUNDLED_FONT = "NotoSansCJKsc-Regular.otf"  # shipped by mplfonts, SIL OFL 1.1
_PROBE = "预算绩效自评复核得分等级优良中差"


class FontError(EvalkitError):
    """No font with Chinese glyphs is available to matplotlib, or a chart would miss glyphs."""


def bundled_font_path() -> Path | None:
    """The Noto Sans CJK SC file shipped by ``mplfonts``, or None when that package is missing."""
    # find_spec locates the package without importing it (its import pulls in pyplot).
    spec = importlib.util.find_spec("mplfonts")
    if spec is None or not spec.submodule_search_locations:
        return None
    for folder in spec.submodule_search_locations:
        path = Path(folder) / "fonts" / BUNDLED_FONT
        if path.is_file():
            return path
    return None


def _covers(path: str, text: str) -> bool:
    from matplotlib.ft2font import FT2Font

    try:
        charmap = FT2Font(path).get_charmap()
    except (OSError, RuntimeError):
        return False
    return all(ord(ch) in charmap for ch in text)


def _os_font(names: tuple[str, ...]) -> str | None:
    from matplotlib import font_manager

    by_name: dict[str, list[str]] = {}
    for entry in font_manager.fontManager.ttflist:
        by_name.setdefault(entry.name, []).append(entry.fname)
    for name in names:
        if any(_covers(fname, _PROBE) for fname in by_name.get(name, ())):
            return name
    return None


@lru_cache(maxsize=4)
def setup_cjk_font(prefer_os: bool = True) -> str:
    """Make matplotlib draw Chinese: choose a CJK font, put it first in ``font.sans-serif``.

    Returns the family name chosen. ``prefer_os=False`` skips the OS fonts and uses the bundled
    Noto Sans CJK SC (the tests use it to check a fresh machine's setup).
    """
    import matplotlib
    from matplotlib import font_manager

    name = _os_font(OS_FONTS) if prefer_os else None
    if name is None:
        path = bundled_font_path()
        if path is None or not _covers(str(path), _PROBE):
            raise FontError(
                "未找到可显示中文的字体：图表会把汉字印成方框。"
                "请安装 mplfonts（pip install mplfonts，evalkit 的依赖）或系统中文字体"
                "（Microsoft YaHei、SimHei、PingFang SC、Noto Sans CJK SC 之一）。"
            )
        font_manager.fontManager.addfont(str(path))
        name = font_manager.FontProperties(fname=str(path)).get_name()
    rc = matplotlib.rcParams
    rc["font.family"] = "sans-serif"
    rc["font.sans-serif"] = [name, *[f for f in rc["font.sans-serif"] if f != name]]
    rc["axes.unicode_minus"] = False  # the CJK fonts lack U+2212; use the ASCII hyphen
    return name


@contextmanager
def glyph_guard() -> Iterator[None]:
    """Raise :class:`FontError` if drawing inside the block reports a missing glyph."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        yield
    missing = [str(w.message) for w in caught if "missing from font" in str(w.message)]
    for w in caught:
        if "missing from font" not in str(w.message):
            warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
    if missing:
        raise FontError(f"图表中有字体缺少的字符，会显示为方框：{missing[0]}（共{len(missing)}处）")
