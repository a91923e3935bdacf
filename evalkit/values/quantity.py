"""Quantities: one figure as written — number, magnitude, unit — and the scale it compares on.

This is the only place that knows how a number is written: Arabic digits with thousands
separators (``1,849`` / ``1，849``), full-width digits (``１２３``), magnitudes (``150万``,
``1.2亿元``, ``3百万``), Chinese numerals (``三千五百``, ``壹拾万零叁仟``, ``两``, ``百分之九十五``), and
the units families that let a target and an actual compare on one scale (``8000人`` vs ``1万人``,
``≤50万元`` vs ``480000元``). The value notation (:mod:`evalkit.values.notation`), the readers, the
scoring rules, the checks and the narrative reader all take their numbers from here.

Chinese numerals are converted with cn2an, and only over a numeral span this module has located:
cn2an's own free-text mode rewrites ordinary words (一般 → 1般, 十分 → 10分, 统一 → 统1).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache

# --- characters ---------------------------------------------------------------------------------

# Full-width ASCII (，：；（）＞％１２…) to ASCII and the ideographic space to a space, one
# character for one, so that positions found in the translated text are positions in the original.
_HALFWIDTH = {cp: chr(cp - 0xFEE0) for cp in range(0xFF01, 0xFF5F)}
_HALFWIDTH[0x3000] = " "


_HALFWIDTH_PAIRS = tuple((chr(cp), ch) for cp, ch in _HALFWIDTH.items())


def halfwidth(text: str) -> str:
    """Full-width ASCII (，：；（）＞％１２…) as ASCII, one character for one: positions keep."""
    if len(text) < 256:
        return text.translate(_HALFWIDTH)
    # str.translate looks every character up; on long CJK text a replace per character present
    # is several times faster (a paragraph of 300,000 figures is read in one pass either way).
    for full, half in _HALFWIDTH_PAIRS:
        if full in text:
            text = text.replace(full, half)
    return text


# --- number tokens ------------------------------------------------------------------------------

# An Arabic number as written (after :func:`halfwidth`): thousands groups or up to 15 digits (so
# float() stays exact), an optional fraction, or a bare fraction (".5"). A sign is the caller's.
NUMBER_PATTERN = r"(?:[0-9]{1,3}(?:,[0-9]{3}){1,4}(?![0-9])|[0-9]{1,15})(?:\.[0-9]{1,10})?|\.[0-9]{1,10}"
NUMBER_RE = re.compile(NUMBER_PATTERN)

_CN_DIGIT_CHARS = "零〇一二两三四五六七八九壹贰叁肆伍陆柒捌玖"
_CN_MULTIPLIER_CHARS = "十拾廿百佰千仟万亿"
# A run of Chinese numeral characters; :func:`cn_number` decides whether it is a number.
CN_NUMERAL_PATTERN = rf"[{_CN_DIGIT_CHARS}{_CN_MULTIPLIER_CHARS}点]+"
CN_NUMERAL_RE = re.compile(CN_NUMERAL_PATTERN)

# Magnitudes written after a number ("150万", "1.2亿元", "3百万元"). 千米/千克/千瓦 are units, 百分比
# / 百分之 / 百分点 are percentages: neither is a magnitude.
MAGNITUDES = {"万亿": 1e12, "千万": 1e7, "百万": 1e6, "亿": 1e8, "万": 1e4, "千": 1e3, "百": 1e2}
MAGNITUDE_PATTERN = r"万亿|千万|百万|亿|万|千(?![米克瓦])|百(?!分)"
MAGNITUDE_RE = re.compile(MAGNITUDE_PATTERN)


_MAX_CN_SPAN = 24  # 一千二百三十四万五千六百七十八点九 is 17 characters


@lru_cache(maxsize=4096)
def cn_number(span: str) -> float | None:
    """The value of a Chinese numeral span (三千五百 → 3500, 壹拾万零叁仟 → 103000, 两 → 2), or None.

    Refused: runs of bare digits (三四 is "three or four", 一二三 a list), doubled zeros, a
    dangling 点, and whatever cn2an cannot read as one number.
    """
    s = span.replace("〇", "零")
    if len(s) > _MAX_CN_SPAN:
        return None
    if not s or s[0] == "点" or s[-1] == "点" or "零零" in s or s.count("点") > 1:
        return None
    whole = s.split("点")[0]
    if len(whole) > 1 and not any(ch in _CN_MULTIPLIER_CHARS for ch in whole):
        return None
    try:
        import cn2an  # lazy: loading it costs a noticeable fraction of a second

        value = cn2an.cn2an(s, "normal")
    except Exception:  # cn2an raises ValueError on what it cannot read, and others on odd input
        return None
    return float(value)


def percent_number(token: str) -> float | None:
    """The number after 百分之: "九十五" → 95, "百" → 100 (百分之百), "95" → 95; None otherwise."""
    return 100.0 if token == "百" else read_number(token)


def read_number(token: str) -> float | None:
    """An Arabic (``1,849``, ``１２３``, ``.5``) or Chinese (``一百二十``) number token, or None."""
    t = halfwidth(token).strip()
    sign = 1.0
    if t[:1] in "+-":
        sign, t = (-1.0 if t[0] == "-" else 1.0), t[1:]
    if NUMBER_RE.fullmatch(t):
        return sign * float(t.replace(",", ""))
    if CN_NUMERAL_RE.fullmatch(t):
        value = cn_number(t)
        return None if value is None else sign * value
    return None


# --- units --------------------------------------------------------------------------------------

PEOPLE = "people"
MONEY = "money"
LENGTH = "length"
AREA = "area"
WEIGHT = "weight"
VOLUME = "volume"
DURATION = "duration"
SESSIONS = "sessions"
PERCENT = "percent"
PERMILLE = "permille"
POINTS = "points"

# written unit → (normalised unit, family, factor to the family's base unit, what it counts).
# Bases: 元, 米, 平方米, 千克, 立方米, 天; percent and permille as a fraction (95% → 0.95).
# "What it counts" tells 人 from 人次 inside one family: they compare, but a table that mixes
# them is worth a warning (the value checks).
_UNIT_TABLE: dict[str, tuple[str, str, float, str]] = {
    "人": ("人", PEOPLE, 1.0, "人"),
    "名": ("名", PEOPLE, 1.0, "人"),
    "位": ("位", PEOPLE, 1.0, "人"),
    "人次": ("人次", PEOPLE, 1.0, "人次"),
    "元": ("元", MONEY, 1.0, "元"),
    "元钱": ("元", MONEY, 1.0, "元"),
    "公里": ("公里", LENGTH, 1000.0, "米"),
    "千米": ("千米", LENGTH, 1000.0, "米"),
    "km": ("公里", LENGTH, 1000.0, "米"),
    "米": ("米", LENGTH, 1.0, "米"),
    "延米": ("延米", LENGTH, 1.0, "米"),
    "m": ("米", LENGTH, 1.0, "米"),
    "亩": ("亩", AREA, 10000.0 / 15.0, "平方米"),
    "公顷": ("公顷", AREA, 10000.0, "平方米"),
    "平方米": ("平方米", AREA, 1.0, "平方米"),
    "平米": ("平方米", AREA, 1.0, "平方米"),
    "㎡": ("平方米", AREA, 1.0, "平方米"),
    "m²": ("平方米", AREA, 1.0, "平方米"),
    "m2": ("平方米", AREA, 1.0, "平方米"),
    "平方公里": ("平方公里", AREA, 1e6, "平方米"),
    "平方千米": ("平方公里", AREA, 1e6, "平方米"),
    "吨": ("吨", WEIGHT, 1000.0, "千克"),
    "公斤": ("公斤", WEIGHT, 1.0, "千克"),
    "千克": ("千克", WEIGHT, 1.0, "千克"),
    "kg": ("千克", WEIGHT, 1.0, "千克"),
    "斤": ("斤", WEIGHT, 0.5, "千克"),
    "克": ("克", WEIGHT, 0.001, "千克"),
    "立方米": ("立方米", VOLUME, 1.0, "立方米"),
    "方": ("立方米", VOLUME, 1.0, "立方米"),
    "天": ("天", DURATION, 1.0, "天"),
    "日": ("天", DURATION, 1.0, "天"),
    "个工作日": ("工作日", DURATION, 1.0, "天"),
    "工作日": ("工作日", DURATION, 1.0, "天"),
    "小时": ("小时", DURATION, 1.0 / 24.0, "天"),
    "次": ("次", SESSIONS, 1.0, "次"),
    "期": ("期", SESSIONS, 1.0, "次"),
    "场": ("场", SESSIONS, 1.0, "次"),
    "场次": ("场次", SESSIONS, 1.0, "次"),
    "%": ("%", PERCENT, 0.01, "%"),
    "百分比": ("%", PERCENT, 0.01, "%"),
    "‰": ("‰", PERMILLE, 0.001, "‰"),
    "个百分点": ("个百分点", POINTS, 1.0, "个百分点"),
    "百分点": ("个百分点", POINTS, 1.0, "个百分点"),
}

# Families whose bases are the same dimensionless fraction: 5‰ and 0.5% compare.
_FRACTIONS = frozenset({PERCENT, PERMILLE})

# Money units as a table header or a cell states them, in 万元 (the unit reports show).
_MONEY_IN_WAN = {"元": 1e-4, "千元": 0.1, "万元": 1.0, "百万元": 100.0, "千万元": 1000.0, "亿元": 1e4}


@dataclass(frozen=True)
class Quantity:
    """One figure as written.

    ``number`` has its magnitude applied, in ``unit`` ("1.2亿元" → 120000000.0 元; "150万" →
    1500000.0 with unit ""); ``family`` says what compares with what (None when the unit is
    unknown or absent); ``base`` is the number in the family's base unit (元, 米, 平方米, 千克,
    立方米, 天; a percentage as a fraction: 95% → 0.95); ``magnitude`` is the factor written with the
    number (万 → 10000.0; 1.0 when none); ``count`` names what the unit counts inside its family
    (人 for 人/名/位, 人次 for 人次, the unit itself when unknown).
    """

    number: float
    unit: str
    family: str | None
    base: float
    text: str
    magnitude: float = 1.0
    count: str = ""

    @property
    def as_written(self) -> float:
        """The number in the unit as written, magnitude not applied ("1.5万人次" → 1.5)."""
        return self.number / self.magnitude


def split_magnitude(unit: str) -> tuple[float, str]:
    """A unit as written, split into its magnitude and the unit: "万人次" → (10000.0, "人次")."""
    m = MAGNITUDE_RE.match(unit)
    if m and (m.end() < len(unit) or m.group() == unit):
        rest = unit[m.end() :]
        # "百分比" and "千米" never match (the pattern refuses them); "万亿元" → 1e12, "元".
        return MAGNITUDES[m.group()], rest
    return 1.0, unit


def make_quantity(number: float, unit: str, text: str = "") -> Quantity:
    """A quantity from a number as written and the unit written after it (magnitude included):
    ``make_quantity(1.5, "万人次")`` → 15000.0 人次 (family people)."""
    factor, rest = split_magnitude(unit)
    value = number * factor
    entry = _UNIT_TABLE.get(rest)
    if entry is None:
        return Quantity(value, rest, None, value, text, factor, rest)
    name, family, to_base, counts = entry
    # Divide by a whole divisor where the factor is a fraction: 95 / 100 is 0.95, 95 * 0.01 is not.
    base = value * to_base if to_base >= 1 else value / round(1 / to_base)
    return Quantity(value, name, family, base, text, factor, counts)


# --- locating figures ---------------------------------------------------------------------------

# Units a figure in free text may carry (longest first; a lookahead keeps words out: 人民, 名单,
# 个人, 期间). In a cell the notation takes whatever follows the number as its unit.
_TEXT_UNITS = (
    "个百分点",
    "百分点",
    "平方公里",
    "平方米",
    "立方米",
    "个工作日",
    "工作日",
    "人次",
    "人份",
    "场次",
    "户次",
    "公里",
    "千米",
    "公顷",
    "公斤",
    "千克",
    "小时",
    "元",
    "人(?!民|员|才|口|群|大|事|力|心|文|身|格|性|工|们|均)",
    "名(?!单|称|义|录|额|牌|片|字)",
    "位(?!置|于|列)",
    "户(?!籍|口|外|型)",
    "家(?!庭|长|属|乡|园|具|政|族)",
    "所(?!有|在|以|属|得|需|谓|示|述)",
    "个(?!人|月|百分点|体|别|性|案)",
    "项(?!目)",
    "次(?!性|数|要|生|序|级|日)",
    "期(?!间|末|初|限|望|待|刊)",
    "场(?!所|地|馆|景|合|面|次数)",
    "批次",
    "批(?!准|复|评)",
    "篇",
    "条(?!件|例|款|线)",
    "份(?!额)",
    "件(?!事)",
    "套",
    "台(?!账|阶)",
    "辆",
    "座(?!谈)",
    "处(?!理|置|室|于)",
    "间(?!隔)",
    "张",
    "本(?!级|年|单位|次)",
    "册",
    "类(?!别|型)",
    "种(?!类|植|子)",
    "支(?!出|付|持|部)",
    "队(?!伍|员)",
    "例",
    "宗",
    "天",
    "米",
    "亩",
    "吨",
    "%",
    "‰",
)
_TEXT_UNIT_PATTERN = "|".join(_TEXT_UNITS)
# Comparator words and symbols before a figure, and approximate / bound words after it.
_CMP_WORDS = (
    "大于等于",
    "小于等于",
    "不少于",
    "不低于",
    "不小于",
    "不超过",
    "不高于",
    "不多于",
    "控制在",
    "至少",
    "超过",
    "大于",
    "高于",
    "多于",
    "低于",
    "少于",
    "小于",
    "达到",
    "约",
    "近",
)
# Bounded: no real numeral is longer, and a run of numeral characters costs nothing to skip.
_CN_SPAN = (
    rf"[{_CN_DIGIT_CHARS}]{{0,8}}[{_CN_MULTIPLIER_CHARS}][{_CN_DIGIT_CHARS}{_CN_MULTIPLIER_CHARS}]{{0,12}}"
)
_FIGURE_RE = re.compile(
    rf"(?P<cmp>{'|'.join(_CMP_WORDS)}|[≥≤><=])?\s*"
    r"(?:"
    rf"(?P<pct>百分之)(?P<pnum>{NUMBER_PATTERN}|[{_CN_DIGIT_CHARS}{_CN_MULTIPLIER_CHARS}点]{{1,12}})"
    r"|(?:"
    rf"(?<![0-9.第/\-])(?P<num>{NUMBER_PATTERN})\s*(?P<mag>{MAGNITUDE_PATTERN})?"
    # A Chinese numeral in running text needs a multiplier (十, 百, 千…): "一次性", "两名" and
    # "一人一档" stay words; "数十人" and "十几人" are no count.
    rf"|(?<![数几第{_CN_DIGIT_CHARS}{_CN_MULTIPLIER_CHARS}])(?P<cn>{_CN_SPAN})(?!几)"
    r")"
    r"(?P<approx>余|多)?"
    rf"(?P<unit>{_TEXT_UNIT_PATTERN})"
    r")"
    r"(?P<suffix>及以上|以上|以下|以内|左右|余)?"
)
_TEXT_UNIT_RE = re.compile(_TEXT_UNIT_PATTERN)


@dataclass(frozen=True)
class Span:
    """Where a figure stands in a text: ``text[start:end]`` is the figure with its comparator."""

    start: int
    end: int

    def of(self, text: str) -> str:
        """The figure as written."""
        return text[self.start : self.end]


def figure_spans(text: str) -> list[Span]:
    """Every figure with a unit in free text ("不少于14次", "40余篇", "1.5万人次", "三千五百人次",
    "百分之九十五"), in order, in one pass. Years, months, dates and ordinals (第3期) are not
    figures; a number without a unit is none either."""
    return list(iter_figure_spans(text))


def iter_figure_spans(text: str) -> Iterator[Span]:
    """:func:`figure_spans` one at a time, so a caller with a cap stops the scan early."""
    t = halfwidth(text)
    for m in _FIGURE_RE.finditer(t):
        if m.group("pct") and percent_number(m.group("pnum")) is None:
            continue
        if m.group("cn") and cn_number(m.group("cn")) is None:
            continue
        first = next(g for g in ("cmp", "pct", "num", "cn") if m.group(g))
        yield Span(m.start(first), m.end())


_BOUND_TAIL_RE = re.compile(r"\s*(?:及以上|以上|以下|以内|左右|余|多)?\s*")
_LEAD_RE = re.compile(rf"(?P<pct>百分之)?(?P<sign>[+-])?(?P<num>{NUMBER_PATTERN}|{CN_NUMERAL_PATTERN})")
_UNIT_AFTER_RE = re.compile(
    rf"\s*(?P<mag>{MAGNITUDE_PATTERN})?(?:余|多)?\s*(?P<unit>[^\s0-9,.;:()，。；：、]*)"
)


def _unit_at(rest: str) -> str:
    """The unit at the start of ``rest``: a known unit, else a counter-like word (篇, 所, 个…)."""
    best = ""
    for unit in _UNIT_TABLE:
        if rest.startswith(unit) and len(unit) > len(best):
            best = unit
    if best:
        return best
    m = _TEXT_UNIT_RE.match(rest)
    return m.group() if m else ""


def parse_quantity(text: str | None) -> Quantity | None:
    """The figure in a cell or a clause ("≥1.2亿元", "累计培训820人", "百分之九十五"), or None.

    The first number of the text is taken, with the magnitude and the unit written right after
    it; a Chinese numeral counts when :func:`cn_number` reads it.
    """
    if not text:
        return None
    t = halfwidth(str(text))
    for m in _LEAD_RE.finditer(t):
        token = m.group("num")
        number = percent_number(token) if m.group("pct") else read_number(token)
        if number is None:
            continue
        if m.group("sign") == "-":
            number = -number
        if m.group("pct"):
            return make_quantity(number, "%", text)
        after = _UNIT_AFTER_RE.match(t, m.end())
        magnitude = after.group("mag") or "" if after else ""
        rest = t[after.start("unit") :] if after else ""
        unit = _unit_at(rest.replace(" ", ""))
        # A Chinese numeral counts only before a unit or at the end: 一般, 十分满意 are words.
        if not (token[0].isascii() or unit or _BOUND_TAIL_RE.fullmatch(rest)):
            continue
        if unit in ("百分比",):
            unit = "%"
        return make_quantity(number, magnitude + unit, text)
    return None


# --- comparing ----------------------------------------------------------------------------------


def same_scale(a: Quantity, b: Quantity) -> tuple[float, float] | None:
    """Both numbers on one scale, or None when they measure different things.

    - same family: both in the family's base (8000人 vs 1万人 → 8000, 10000; ≤50万元 vs 480000元 →
      500000, 480000; 5‰ and 0.5% compare as fractions);
    - both without a known family: compared when the units are the same (12篇 vs 24篇);
    - one side without a unit: a bare number ("100") is read in the other side's unit as
      written (100 vs 1314名 → 100, 1314; 48 vs 50万元 → 48, 50); a bare magnitude ("1万") is
      read in the other side's base (1万 vs 8000人 → 10000, 8000).
    """
    if a.family is not None and a.family == b.family:
        return a.base, b.base
    if a.family in _FRACTIONS and b.family in _FRACTIONS:
        return a.base, b.base
    if not a.unit and not b.unit:
        return a.number, b.number
    if not a.unit:
        return _bare_against(a, b), _written(b, a)
    if not b.unit:
        return _written(a, b), _bare_against(b, a)
    if a.family is None and b.family is None and a.unit == b.unit:
        return a.number, b.number
    return None


def _bare_against(bare: Quantity, other: Quantity) -> float:
    if bare.magnitude != 1.0:
        return bare.number * (other.base / other.number if other.number else 1.0)
    return bare.number


def _written(q: Quantity, bare: Quantity) -> float:
    # Against a bare magnitude ("1万"), the base; against a plain bare number, the unit as written.
    if bare.magnitude != 1.0:
        return q.base
    return q.as_written


def same_count(a: Quantity, b: Quantity) -> bool:
    """True when two quantities count the same thing: comparable, and not 人 against 人次.

    A side without a unit agrees with anything it can be compared with.
    """
    if same_scale(a, b) is None:
        return False
    if not a.unit or not b.unit:
        return True
    return a.count == b.count or (a.family in _FRACTIONS and b.family in _FRACTIONS)


def to_wan(q: Quantity | None) -> float | None:
    """A money quantity in 万元 (the table's unit), or None when it is no money."""
    if q is None or q.family != MONEY:
        return None
    return q.base * 1e-4


# --- amounts in tables --------------------------------------------------------------------------

_MONEY_UNIT_RE = re.compile(
    r"(?:单位|金额单位|资金单位|计量单位)\s*[:：]?\s*(?P<u1>亿元|千万元|百万元|万元|千元|元)"
    r"|[（(\[【]\s*(?P<u2>亿元|千万元|百万元|万元|千元|元)\s*[）)\]】]"
)


def money_unit_of(text: str | None) -> str | None:
    """The money unit a header or title states ("（元）", "单位：元", "金额单位：万元",
    "预算数（万元）" → "元" / "万元"), or None when it states none."""
    if not text:
        return None
    m = _MONEY_UNIT_RE.search(halfwidth(str(text)).replace(" ", ""))
    if m is None:
        return None
    return m.group("u1") or m.group("u2")


_MISSING_MARKS = frozenset("-—–―_/\\*－")
_MISSING_WORDS = frozenset({"无", "暂无", "不适用", "n/a", "na", "none", "null", "nan"})


def read_amount(text: str | None, unit: str = "万元") -> tuple[float | None, str]:
    """A budget cell as 万元, with why it could not be read.

    ``unit`` is the table's money unit, applied to a bare number: ("864.2万" → 864.2, ""),
    ("480000元" → 48.0, ""), ("1,849" with unit "元" → 0.1849, ""), ("" → None, ""),
    ("—" → None, ""), ("abc" → None, "“abc”不是可读的金额"). A cell in another unit (人, %) is
    refused with a reason; "（14.54）" is not taken as negative.
    """
    if text is None:
        return None, ""
    raw = str(text)
    s = halfwidth(raw).strip().replace(" ", "").rstrip("。")
    if not s or set(s) <= _MISSING_MARKS or s.lower() in _MISSING_WORDS:
        return None, ""
    shown = raw.strip() if len(raw.strip()) <= 40 else raw.strip()[:40] + "…"
    table_scale = _MONEY_IN_WAN.get(unit)
    if table_scale is None:
        raise ValueError(f"unknown money unit {unit!r}; expected one of {sorted(_MONEY_IN_WAN)}")
    m = re.fullmatch(rf"(?P<sign>[+-])?(?P<num>{NUMBER_PATTERN})(?P<unit>.*)", s)
    if m is None:
        return None, f"“{shown}”不是可读的金额，应为数字（如 202.98 或 150万元）"
    number = float(m.group("num").replace(",", ""))
    if m.group("sign") == "-":
        number = -number
    written = m.group("unit")
    if not written:
        return number * table_scale, ""
    if written in ("万", "亿", "千", "百万", "千万"):
        written += "元"  # "150万" in a money cell is 150万元
    scale = _MONEY_IN_WAN.get(written)
    if scale is None:
        return None, f"“{shown}”的单位“{written}”不是金额单位，应为元或万元"
    return number * scale, ""
