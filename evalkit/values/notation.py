"""Value notation of target and actual cells (RULES §3): text in, a typed :class:`Value` out.

:func:`parse_value` never raises on user text: what it cannot read comes back as a value of kind
``unreadable`` with a problem that says why, and every value keeps its original text.
"""

from __future__ import annotations

import calendar
import math
import re
from dataclasses import dataclass
from functools import cached_property, lru_cache

from evalkit.values import quantity as qty
from evalkit.values.quantity import Quantity

# Kinds of value.
NUMBER = "number"
BOOLEAN = "boolean"
DEADLINE = "deadline"
QUALITATIVE = "qualitative"
MISSING = "missing"
UNREADABLE = "unreadable"

# Qualitative tiers (RULES §4.3).
TIER_ACHIEVED = "achieved"  # 达成预期指标
TIER_PARTIAL = "partial"  # 部分达成预期指标并具有一定效果
TIER_NOT_ACHIEVED = "not_achieved"  # 未达成预期指标且效果较差

# Problem codes carried by ValueProblem.code (the value checks match on these).
PROBLEM_UNREADABLE = "unreadable"  # the cell cannot be read at all (kind unreadable)
PROBLEM_MISSING = "missing"  # the cell is blank or a placeholder (kind missing)
PROBLEM_APPROXIMATE = "approximate"  # 约数: 30余篇, 约30篇, 30篇左右
PROBLEM_MALFORMED = "malformed"  # readable but badly written: ≥100百分比, contradicting comparators
PROBLEM_NO_UNIT = "no_unit"  # a number without a unit: 100
PROBLEM_PERCENT_OVER_100 = "percent_over_100"  # 120%


@dataclass(frozen=True)
class ValueProblem:
    """Why a value is doubtful: a stable code and a Chinese message."""

    code: str
    message: str


@dataclass(frozen=True)
class Value:
    """A parsed target or actual cell.

    - ``number``: comparator (``>=``, ``>``, ``<=``, ``<``, ``=``, or None for a bare number),
      ``number`` (a percentage keeps its percent figure: ``90`` for ``90%``), ``unit``
      (normalized: ``%``, ``人次``, ``篇``, ``万元``…; ``""`` when none).
    - ``boolean``: ``boolean`` True for 是, False for 否.
    - ``deadline``: ``year`` (or None), ``month``, ``day`` (None: end of that month for a target,
      "some time in that month" for an actual).
    - ``qualitative``: ``tier`` (one of the TIER_* constants, or None when the words name no tier).
    - ``missing`` (—, /, *, blank) and ``unreadable`` carry only their text and problems.
    """

    text: str
    kind: str
    comparator: str | None = None
    number: float | None = None
    unit: str = ""
    approximate: bool = False
    boolean: bool | None = None
    year: int | None = None
    month: int | None = None
    day: int | None = None
    tier: str | None = None
    problems: tuple[ValueProblem, ...] = ()

    @property
    def is_percent(self) -> bool:
        """True when the value is a percentage."""
        return self.unit == "%"

    @cached_property
    def quantity(self) -> Quantity | None:
        """A number value as a :class:`~evalkit.values.quantity.Quantity` (magnitude applied, unit
        family and base scale: "1.5万人次" → 15000 人次); None for any other kind."""
        if self.kind != NUMBER or self.number is None:
            return None
        return qty.make_quantity(self.number, self.unit, self.text)


# ---------------------------------------------------------------------------------------------
# Normalization
# ---------------------------------------------------------------------------------------------


def _build_translation() -> dict[int, str]:
    table = {cp: chr(cp - 0xFEE0) for cp in range(0xFF01, 0xFF5F)}  # full-width ASCII block
    table.update(
        {
            0x3000: " ",  # ideographic space
            ord("≧"): "≥",
            ord("≦"): "≤",
            ord("⩾"): "≥",
            ord("⩽"): "≤",
            ord("﹥"): ">",
            ord("﹤"): "<",
            ord("﹦"): "=",
            ord("﹪"): "%",
            ord("−"): "-",  # U+2212 minus sign
            ord("﹣"): "-",
            ord("〇"): "零",
            ord("“"): "",
            ord("”"): "",
            ord('"'): "",
        }
    )
    return table


_TRANSLATION = _build_translation()

# Whitespace, control and format characters: none of them carries meaning in a value cell, and
# "≥ 30 万元" / "= 100 %" must read like "≥30万元" / "=100%".
_JUNK_RE = re.compile(r"[\s\x00-\x1f\x7f-\x9f\u00ad\u200b-\u200f\u2028-\u202e\u2060-\u2064\ufeff]+")
_EMPTY_PARENS_RE = re.compile(r"\(\)|\[\]|【】|〔〕")
_TRAILING_PUNCT = "。；;，,、.!！:："
_CJK_RE = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")

# Longer texts are sentences, never notation: they skip the date and number parsers.
_MAX_NOTATION_LEN = 60
# Shorter texts holding a digit that read as no notation are unreadable, not words.
_MAX_GARBLED_LEN = 6
# Longer texts are parsed without the cache, so it never pins large strings in memory.
_MAX_CACHED_LEN = 256


def _normalize(text: str) -> str:
    s = text.translate(_TRANSLATION)
    s = _JUNK_RE.sub("", s)
    s = s.replace(">=", "≥").replace("<=", "≤").replace("=>", "≥").replace("=<", "≤")
    s = _EMPTY_PARENS_RE.sub("", s)
    # Only trailing punctuation: a leading "." belongs to the number (".5%").
    return s.rstrip(_TRAILING_PUNCT).lstrip("，,、；;：:")


def _show(text: str) -> str:
    """The text as quoted in a message: trimmed, and shortened when very long."""
    shown = text.strip()
    return shown if len(shown) <= 40 else shown[:40] + "…"


# ---------------------------------------------------------------------------------------------
# Missing and boolean
# ---------------------------------------------------------------------------------------------

_MISSING_WORDS = frozenset({"无", "暂无", "不适用", "空", "n/a", "na", "none", "null", "nan"})
_MISSING_MARKS_RE = re.compile(r"[-—–―_/\\*]+")  # "—", "--", "/", "*", "——" and the like
_BOOLEANS = {"是": True, "否": False}


def _is_missing(s: str) -> bool:
    if s.lower() in _MISSING_WORDS:
        return True
    # Only placeholder marks, and only a few of them ("-5" is a number, not a mark).
    return len(s) <= 6 and _MISSING_MARKS_RE.fullmatch(s) is not None


# ---------------------------------------------------------------------------------------------
# Chinese numerals (small counts: 两种以上, 三项, 十二月)
# ---------------------------------------------------------------------------------------------

# A small Chinese numeral in a date (十二月, 三十日); its value comes from the quantity module.
_CN_NUM = "[零一二两三四五六七八九十]{1,3}"


def _int_or_cn(token: str) -> int | None:
    """An int from ASCII digits or a small Chinese numeral (十二 → 12); None when not one."""
    value = qty.read_number(token)
    if value is None or not value.is_integer() or value < 0:
        return None
    return int(value)


# ---------------------------------------------------------------------------------------------
# Deadlines
# ---------------------------------------------------------------------------------------------

_DL_PREFIX = r"(?:于|在|截至|截止至?|截止到|到|预计|计划|力争|确保|按期|需|须|应)?"
_DL_VERB = r"(?:完成|完工|竣工|结束|办结|到位|实施|开展|启动|验收|兑付|拨付|支付|发放|落实|上线|交付)"
# What may follow the date core: 底/末/旬, then 前/以内/止, then a verb ("12月底前完成").
_DL_TAIL = (
    r"(?P<part>底|末|初|上旬|中旬|下旬|终)?"
    r"(?:之前|以前|前|以内|之内|内|止|为止|截止)?"
    rf"(?:全部|前)?(?:{_DL_VERB}(?:任务|工作)?)?(?:前)?"
)
_DL_MONTH_RE = re.compile(
    rf"^{_DL_PREFIX}(?:(?P<y>[0-9]{{4}})年度?)?(?P<m>[0-9]{{1,2}}|{_CN_NUM})月份?"
    rf"(?:(?P<d>[0-9]{{1,2}}|{_CN_NUM})[日号])?{_DL_TAIL}$"
)
_DL_ISO_RE = re.compile(
    rf"^{_DL_PREFIX}(?P<y>[0-9]{{4}})(?P<sep>[-./])(?P<m>[0-9]{{1,2}})(?:(?P=sep)(?P<d>[0-9]{{1,2}}))?日?"
    rf"{_DL_TAIL}$"
)
# 年底前完成, 年内完成, 本年度内, 2024年底, 2024年完成.
_DL_YEAR_RE = re.compile(
    rf"^{_DL_PREFIX}(?:(?P<y>[0-9]{{4}})|本|当|今)?年度?(?P<part>底|末|终|内|以内|之内)?"
    rf"(?:之前|以前|前)?(?:全部)?(?P<verb>{_DL_VERB}(?:任务|工作)?)?(?:前)?$"
)
# 上半年 / 下半年, (第)一季度 … (第)四季度, optionally with a year.
_DL_PERIOD_RE = re.compile(
    rf"^{_DL_PREFIX}(?:(?P<y>[0-9]{{4}})年度?)?(?:(?P<half>上|下)半年|第?(?P<q>[一二三四1-4])季度)"
    rf"(?:末|底)?(?:之前|以前|前|以内|之内|内)?(?:全部)?(?:{_DL_VERB}(?:任务|工作)?)?$"
)
_PART_DAY = {"初": 10, "上旬": 10, "中旬": 20}  # 底/末/下旬/终: end of month (day None)
_QUARTER_MONTH = {"一": 3, "二": 6, "三": 9, "四": 12, "1": 3, "2": 6, "3": 9, "4": 12}
_YEAR_MIN, _YEAR_MAX = 1990, 2100


def _deadline(text: str, year: int | None, month: int, day: int | None) -> Value:
    return Value(text=text, kind=DEADLINE, year=year, month=month, day=day)


def _check_date(year: int | None, month: int | None, day: int | None) -> str | None:
    """Why the date is impossible, or None when it is a real date."""
    if year is not None and not _YEAR_MIN <= year <= _YEAR_MAX:
        return f"年份{year}不合理"
    if month is None or not 1 <= month <= 12:
        return f"月份{month}不存在"
    if day is not None:
        # A leap year when the year is unknown, so 2月29日 stays readable.
        last = calendar.monthrange(year if year is not None else 2024, month)[1]
        if not 1 <= day <= last:
            return f"{month}月没有{day}日"
    return None


def _parse_deadline(text: str, s: str) -> Value | None:
    """A deadline value, an unreadable value for an impossible date, or None when not a date."""
    m = _DL_MONTH_RE.match(s) or _DL_ISO_RE.match(s)
    if m:
        is_iso = "sep" in m.re.groupindex
        year = int(m["y"]) if m["y"] else None
        month = _int_or_cn(m["m"])
        day = _int_or_cn(m["d"]) if m["d"] else None
        # "2024.12" is a month in a date column, but "2023.5" might be a number without unit:
        # only a plausible year with a real month counts as a date.
        if (
            is_iso
            and m["sep"] == "."
            and m["d"] is None
            and (year is None or not _YEAR_MIN <= year <= _YEAR_MAX or not 1 <= (month or 0) <= 12)
        ):
            return None
        if m["part"] in _PART_DAY and day is None:
            day = _PART_DAY[m["part"]]
        why = _check_date(year, month, day)
        if why:
            return _unreadable(text, why)
        assert month is not None
        return _deadline(text, year, month, day)
    m = _DL_YEAR_RE.match(s)
    if m and (m["y"] or m["part"] or m["verb"] or s[0] in "本当今"):
        year = int(m["y"]) if m["y"] else None
        why = _check_date(year, 12, None)
        return _unreadable(text, why) if why else _deadline(text, year, 12, None)
    m = _DL_PERIOD_RE.match(s)
    if m:
        year = int(m["y"]) if m["y"] else None
        month = (6 if m["half"] == "上" else 12) if m["half"] else _QUARTER_MONTH[m["q"]]
        why = _check_date(year, month, None)
        return _unreadable(text, why) if why else _deadline(text, year, month, None)
    return None


# ---------------------------------------------------------------------------------------------
# Numbers
# ---------------------------------------------------------------------------------------------

_GE, _GT, _LE, _LT, _EQ = ">=", ">", "<=", "<", "="
_SYMBOLS = {"≥": _GE, ">": _GT, "≤": _LE, "<": _LT, "=": _EQ}
_PREFIX_WORDS = {
    **dict.fromkeys(("大于等于", "大于或等于", "不低于", "不少于", "不小于", "至少", "最少", "最低"), _GE),
    **dict.fromkeys(("达到", "达"), _GE),
    **dict.fromkeys(("超过", "大于", "高于", "多于"), _GT),
    **dict.fromkeys(("小于等于", "小于或等于", "不超过", "不高于", "不多于", "不大于", "至多", "最多"), _LE),
    **dict.fromkeys(("最高", "控制在", "控制"), _LE),
    **dict.fromkeys(("低于", "少于", "小于"), _LT),
    "等于": _EQ,
}
_APPROX_PREFIXES = ("约为", "约", "大约", "大概", "近", "将近", "接近")
_SUFFIX_WORDS = {
    **dict.fromkeys(("以上", "及以上", "或以上", "及其以上"), _GE),
    **dict.fromkeys(("以内", "之内", "内", "以下", "及以下", "或以下", "以内完成", "内完成"), _LE),
}
_APPROX_SUFFIXES = ("左右", "上下", "许", "余")
_IGNORED_SUFFIXES = ("(含)", "(含本数)", "(包含)")

_PREFIX_RE = re.compile(
    "|".join(
        re.escape(w) for w in sorted([*_SYMBOLS, *_PREFIX_WORDS, *_APPROX_PREFIXES], key=len, reverse=True)
    )
)
_SUFFIXES = sorted([*_SUFFIX_WORDS, *_APPROX_SUFFIXES, *_IGNORED_SUFFIXES], key=len, reverse=True)

# The number itself (digits with thousands separators, or a Chinese numeral) and the magnitude
# written before the unit ("150万", "1万余人") are read by the quantity module.
_SIGNED_NUM_RE = re.compile(rf"[+-]?(?:{qty.NUMBER_PATTERN})")
_APPROX_MID_RE = re.compile(r"余|多|来|几")
_UNIT_RE = re.compile(r"[\u4e00-\u9fffA-Za-z%‰°²³㎡㎞㎏/·]{1,10}")
# Characters no unit contains: a remainder holding one is a sentence, not a unit ("100%完成").
_NOT_UNIT_CHARS = frozenset("未完成达到的了是否以及和或为在已将并超低高于不有无")
# Counters a Chinese numeral may carry; anything else after 一/两/十 is a word (一般, 十分满意).
_CN_COUNTERS = frozenset("个项种类次场期批所家户人名位篇条份本册套台辆处座间张部件组支队届轮周季年元") | {
    "人次",
    "场次",
    "个月",
}
_PERCENT_WORDS = {"百分比": "%", "百分之": "%", "percent": "%"}


@dataclass
class _Number:
    comparator: str | None
    number: float
    unit: str
    approximate: bool
    problems: list[str]  # details for a "malformed" problem


def _direction(cmp: str) -> str:
    return "up" if cmp in (_GE, _GT) else "down" if cmp in (_LE, _LT) else "eq"


def _parse_number(s: str) -> _Number | None:
    """Comparator, number and unit of a number cell, or None when ``s`` is not one."""
    rest = s
    prefix_cmps: list[str] = []
    approx = False
    seen_symbol = False
    for _ in range(4):
        m = _PREFIX_RE.match(rest)
        if not m:
            break
        token = m.group()
        rest = rest[m.end() :]
        if token in _SYMBOLS:
            if seen_symbol:
                return None  # "≥≥12", "><5": not notation
            seen_symbol = True
            prefix_cmps.append(_SYMBOLS[token])
        elif token in _PREFIX_WORDS:
            prefix_cmps.append(_PREFIX_WORDS[token])
        else:
            approx = True

    percent_before = rest.startswith("百分之")
    if percent_before:  # 百分之九十五 / 百分之95 / 百分之百: the Chinese way to write a percentage
        rest = rest[3:]

    chinese = False
    m = _SIGNED_NUM_RE.match(rest)
    if m:
        number = float(m.group().replace(",", ""))
    else:
        m = qty.CN_NUMERAL_RE.match(rest)
        value = (qty.percent_number if percent_before else qty.cn_number)(m.group()) if m else None
        if m is None or value is None:
            return None
        number = value
        chinese = True
    rest = rest[m.end() :]

    magnitude = ""
    m = None if chinese else qty.MAGNITUDE_RE.match(rest)
    if m:
        magnitude, rest = m.group(), rest[m.end() :]
    m = _APPROX_MID_RE.match(rest)
    if m:
        approx, rest = True, rest[m.end() :]

    suffix_cmps: list[str] = []
    for _ in range(4):
        word = next((w for w in _SUFFIXES if rest.endswith(w) and len(rest) >= len(w)), None)
        if word is None:
            break
        rest = rest[: -len(word)]
        if word in _SUFFIX_WORDS:
            suffix_cmps.append(_SUFFIX_WORDS[word])
        elif word in _APPROX_SUFFIXES:
            approx = True

    details: list[str] = []
    unit = rest
    if unit in _PERCENT_WORDS:
        details.append(f"单位“{unit}”应写作“%”")
        unit = _PERCENT_WORDS[unit]
    if percent_before:
        if unit or magnitude:
            return None
        unit = "%"
    # After a Chinese numeral only a counter or a known unit: 一般, 十分满意 and 三四人 are words.
    if chinese and unit and unit not in _CN_COUNTERS and qty.make_quantity(1.0, unit).family is None:
        return None
    if unit and unit != "%":
        if not _UNIT_RE.fullmatch(unit) or _NOT_UNIT_CHARS.intersection(unit) or "%" in unit:
            return None
        if len(_CJK_RE.findall(unit)) > 5:
            return None
    unit = magnitude + unit

    comparator = None
    all_cmps = prefix_cmps + suffix_cmps
    if all_cmps:
        comparator = all_cmps[0]
        if any(_direction(c) != _direction(comparator) for c in all_cmps[1:]):
            details.append(f"比较符号前后矛盾，按“{comparator}”处理")
    return _Number(comparator, number, unit, approx, details)


def _number_value(text: str, n: _Number) -> Value:
    shown = _show(text)
    problems: list[ValueProblem] = []
    if n.approximate:
        problems.append(ValueProblem(PROBLEM_APPROXIMATE, f"“{shown}”为约数"))
    for detail in n.problems:
        problems.append(ValueProblem(PROBLEM_MALFORMED, f"“{shown}”写法不规范：{detail}"))
    if not n.unit:
        problems.append(ValueProblem(PROBLEM_NO_UNIT, f"数值“{shown}”未写单位"))
    if n.unit == "%" and n.number > 100:
        problems.append(ValueProblem(PROBLEM_PERCENT_OVER_100, f"百分比“{shown}”超过100%"))
    return Value(
        text=text,
        kind=NUMBER,
        comparator=n.comparator,
        number=n.number,
        unit=n.unit,
        approximate=n.approximate,
        problems=tuple(problems),
    )


# ---------------------------------------------------------------------------------------------
# Qualitative words
# ---------------------------------------------------------------------------------------------

# Single characters and grade words that mean a tier only as the whole cell ("差" is also in
# "偏差", "高" in "高于"): matched exactly.
_EXACT_TIERS = {
    "高": TIER_ACHIEVED,
    "好": TIER_ACHIEVED,
    "优": TIER_ACHIEVED,
    "良": TIER_ACHIEVED,
    "中": TIER_PARTIAL,
    "低": TIER_PARTIAL,
    "差": TIER_NOT_ACHIEVED,
    "不高": TIER_NOT_ACHIEVED,  # exact only: "不高于…" is a comparator, not a verdict
    "不好": TIER_NOT_ACHIEVED,
    "达到": TIER_ACHIEVED,
}
# Phrases searched inside the text, negative and partial first: "未达成" and "部分达成" both
# contain "达成", "不满意" contains "满意".
_PHRASE_TIERS: tuple[tuple[str, tuple[str, ...]], ...] = (
    (
        TIER_NOT_ACHIEVED,
        (
            "未达成", "未完成", "未达到", "未实现", "未达标", "未到位", "未按时", "未按期", "未及时",
            "没有达到", "没有完成", "没完成", "不达标", "不合格", "不满意", "不到位", "不及时",
            "不明显", "不显著", "不理想", "不正常", "不成功", "未成功", "效果较差", "较差", "很差",
            "效果差", "无效", "延期", "逾期", "滞后", "失败",
        ),
    ),
    (
        TIER_PARTIAL,
        (
            "部分达成", "部分完成", "部分实现", "部分达到", "部分到位", "基本达成", "基本完成",
            "基本实现", "基本达到", "基本到位", "基本满意", "基本合格", "有待提高", "有待提升",
            "有待加强", "一般", "较低", "偏低",
        ),
    ),
    (
        TIER_ACHIEVED,
        (
            "达成", "完成", "实现", "达标", "到位", "合格", "满意", "圆满", "成功", "良好", "较好",
            "很好", "优秀", "优良", "较高", "很高", "显著", "明显", "有效", "提高", "提升", "改善",
            "增强", "正常", "按时", "按期", "如期", "及时",
        ),
    ),
)  # fmt: skip


def _tier_of(s: str) -> str | None:
    if s in _EXACT_TIERS:
        return _EXACT_TIERS[s]
    for tier, phrases in _PHRASE_TIERS:
        if any(p in s for p in phrases):
            return tier
    return None


def _is_wordy(s: str) -> bool:
    """True when the text reads as Chinese words: two CJK characters, or only CJK characters."""
    found = 0
    for _ in _CJK_RE.finditer(s):
        found += 1
        if found >= 2:
            return True
    return found == 1 and len(s) == 1


# ---------------------------------------------------------------------------------------------
# parse_value
# ---------------------------------------------------------------------------------------------


def _unreadable(text: str, why: str = "") -> Value:
    message = f"无法识别的取值“{_show(text)}”"
    if why:
        message += f"：{why}"
    return Value(text=text, kind=UNREADABLE, problems=(ValueProblem(PROBLEM_UNREADABLE, message),))


def _missing(text: str) -> Value:
    return Value(text=text, kind=MISSING, problems=(ValueProblem(PROBLEM_MISSING, "未填写"),))


def _parse(text: str) -> Value:
    s = _normalize(text)
    if not s or _is_missing(s):
        return _missing(text)
    if s in _BOOLEANS:
        return Value(text=text, kind=BOOLEAN, boolean=_BOOLEANS[s])
    if len(s) <= _MAX_NOTATION_LEN:
        deadline = _parse_deadline(text, s)
        if deadline is not None:
            return deadline
        number = _parse_number(s)
        if number is not None:
            return _number_value(text, number)
    tier = _tier_of(s)
    if tier is None and len(s) <= _MAX_GARBLED_LEN and qty.NUMBER_RE.search(s):
        # A short cell with a number that reads as no notation ("到0次", "5人/年次") is a number
        # written wrongly, not words: reading it as a qualitative tier would score it in full.
        return _unreadable(text, "含有数字，但不是可识别的数值写法")
    if tier is not None or _is_wordy(s):
        return Value(text=text, kind=QUALITATIVE, tier=tier)
    return _unreadable(text)


@lru_cache(maxsize=4096)
def _parse_cached(text: str) -> Value:
    return _parse(text)


def parse_value(text: str | None) -> Value:
    """Parse one target/actual cell; never raises on user text.

    The text is normalized first (full-width letters, digits and ＞＜＝％，．; ≧≦ and >= <=;
    spaces, control characters, empty brackets and trailing punctuation dropped), then the first
    reading that fits wins:

    1. ``missing``: None, blank, only dashes/slashes/stars (—, -, --, /, *, ——), 无, 暂无, 不适用,
       N/A, nan. Problem ``missing``.
    2. ``boolean``: exactly 是 or 否.
    3. ``deadline``: a month with optional year and day and an optional 底/前/完成 tail (12月底完成,
       12月前完成, 2024年12月31日前, 十二月底), ISO-like dates (2024-12-31, 2024.12.31, 2024.12),
       year ends (年底前完成, 年内完成, 2024年底) as month 12, 上半年/下半年 and quarters as their last
       month. 底/末/下旬 leave ``day`` None (end of month); 上旬/初 give day 10, 中旬 day 20.
       An impossible date (13月, 2月30日, 年份3024) is ``unreadable``.
    4. ``number``: comparator symbol or word before (≥, 不低于, 达到, 控制在…) and/or after (以上,
       以内, 以下) a number (thousands separators allowed, sign allowed, or a small Chinese numeral
       before a counter: 两种以上), then the unit as written (万元, 人次, %, 个百分点). Approximate
       markers (约, 近, 余, 多, 左右) set ``approximate`` and problem ``approximate``. Problems
       ``no_unit`` (no unit), ``percent_over_100``, ``malformed`` (unit 百分比/百分之, or comparators
       that contradict each other: the first one is used).
    5. ``qualitative``: text naming a tier (达成/完成/高/好/显著/满意… achieved; 部分…/基本…/一般/
       较低 partial; 未…/不…/差/无效 not achieved; negative and partial phrases are matched first
       because they contain the positive ones), or any other Chinese text (two or more CJK
       characters, or a single CJK character alone) with ``tier`` None: 持续推进.
    6. ``unreadable`` otherwise (abc, #REF!, ???, 1..2%, ≥≥), problem ``unreadable``.

    A non-str argument (a number from a spreadsheet) is read as ``str(text)``, an integral float
    without its ``.0`` and NaN as missing.
    """
    if text is None:
        return _missing("")
    if not isinstance(text, str):
        text = _coerce(text)
    try:
        if len(text) > _MAX_CACHED_LEN:
            return _parse(text)
        return _parse_cached(text)
    except Exception:  # a parser bug must not take a whole review down: report the cell instead
        return _unreadable(text)


def _coerce(value: object) -> str:
    try:
        if isinstance(value, float):
            if math.isnan(value):
                return ""
            if value.is_integer():
                return str(int(value))
        return str(value)
    except Exception:
        return ""


# ---------------------------------------------------------------------------------------------
# Helpers for the checks
# ---------------------------------------------------------------------------------------------


def same_unit(a: Value, b: Value) -> bool:
    """True when the two number values count the same thing, after scaling.

    A missing unit (``""``) matches anything; 人/名/位 are one count, 次/期/场/场次 another, 万元 and
    元 compare after scaling; 人次 ≠ 人, % ≠ 个百分点 (see :func:`evalkit.values.quantity.same_count`).
    """
    qa, qb = a.quantity, b.quantity
    if qa is None or qb is None:
        return not a.unit or not b.unit or a.unit == b.unit
    return qty.same_count(qa, qb)


def on_one_scale(a: Value, b: Value) -> tuple[float, float] | None:
    """Two number values on one scale (1.5万人次 and 15000人次 → 15000, 15000; ≤50万元 and
    480000元 → 500000, 480000), or None when either is no number or their units do not convert."""
    qa, qb = a.quantity, b.quantity
    if qa is None or qb is None:
        return None
    return qty.same_scale(qa, qb)


def to_wan(v: Value) -> float | None:
    """A money value in 万元 (the table's unit: 480000元 → 48), or None when it is no money."""
    return qty.to_wan(v.quantity)


def as_fraction(v: Value) -> float | None:
    """A percentage as a fraction (``90%`` → 0.9); None for any other value."""
    if v.kind != NUMBER or v.unit != "%" or v.number is None:
        return None
    return v.number / 100
