"""Tests of evalkit.values.notation: the value notation of target and actual cells (RULES §3)."""

from __future__ import annotations

import random

import pytest

from evalkit.values import notation as nt
from evalkit.values.notation import Value, as_fraction, parse_value, same_unit


def _check(text: str | None, expected: dict) -> Value:
    """Parse ``text`` and assert every expected field; ``codes`` is the exact list of problem codes."""
    v = parse_value(text)
    codes = expected.get("codes", ())
    assert [p.code for p in v.problems] == list(codes), (text, v.problems)
    for name, want in expected.items():
        if name != "codes":
            assert getattr(v, name) == want, (text, name, getattr(v, name), want)
    assert v.text == (text if text is not None else "")
    return v


def _num(cmp: str | None, number: float, unit: str, *codes: str, approximate: bool = False) -> dict:
    return {
        "kind": nt.NUMBER,
        "comparator": cmp,
        "number": number,
        "unit": unit,
        "approximate": approximate,
        "codes": codes,
    }


def _deadline(month: int, year: int | None = None, day: int | None = None) -> dict:
    return {"kind": nt.DEADLINE, "year": year, "month": month, "day": day, "codes": ()}


def _qual(tier: str | None) -> dict:
    return {"kind": nt.QUALITATIVE, "tier": tier, "codes": ()}


A, P, N = nt.TIER_ACHIEVED, nt.TIER_PARTIAL, nt.TIER_NOT_ACHIEVED

# Every target and actual cell of the seed table (seed/000_e048286feab7bdae.txt).
SEED_CELLS = [
    ("1500人", _num(None, 1500, "人")),
    ("1849人", _num(None, 1849, "人")),
    ("2500人次", _num(None, 2500, "人次")),
    ("9770人次", _num(None, 9770, "人次")),
    ("12期", _num(None, 12, "期")),
    ("24期", _num(None, 24, "期")),
    ("100", _num(None, 100, "", "no_unit")),
    ("1314名", _num(None, 1314, "名")),
    ("＞90%", _num(">", 90, "%")),
    ("100%", _num(None, 100, "%")),
    ("12月底完成", _deadline(12)),
    ("10月完成", _deadline(10)),
    ("是", {"kind": nt.BOOLEAN, "boolean": True}),
    ("＞10篇", _num(">", 10, "篇")),
    ("40篇", _num(None, 40, "篇")),
    ("≥12篇", _num(">=", 12, "篇")),
    ("30余篇", _num(None, 30, "篇", "approximate", approximate=True)),
    ("2种以上", _num(">=", 2, "种")),
    ("3种", _num(None, 3, "种")),
]

# Every notation row of RULES §3, and the variants the brief names.
NUMBERS = [
    ("26次", _num(None, 26, "次")),
    ("150万", _num(None, 150, "万")),
    ("2200篇", _num(None, 2200, "篇")),
    (">10篇", _num(">", 10, "篇")),
    ("≥ 30 万元", _num(">=", 30, "万元")),
    ("= 100 %", _num("=", 100, "%")),
    ("≤90万元", _num("<=", 90, "万元")),
    ("<5%", _num("<", 5, "%")),
    ("＜5％", _num("<", 5, "%")),
    ("＝１００％", _num("=", 100, "%")),
    ("≧90%", _num(">=", 90, "%")),
    ("≦90万元", _num("<=", 90, "万元")),
    (">=95%", _num(">=", 95, "%")),
    ("<=3次", _num("<=", 3, "次")),
    ("＞＝90%", _num(">=", 90, "%")),
    ("不低于95%", _num(">=", 95, "%")),
    ("不少于7所", _num(">=", 7, "所")),
    ("至少3场", _num(">=", 3, "场")),
    ("达到95%", _num(">=", 95, "%")),
    ("大于等于80%", _num(">=", 80, "%")),
    ("95%以上", _num(">=", 95, "%")),
    ("超过100人", _num(">", 100, "人")),
    ("大于50户", _num(">", 50, "户")),
    ("高于90%", _num(">", 90, "%")),
    ("不超过100万元", _num("<=", 100, "万元")),
    ("不高于5%", _num("<=", 5, "%")),
    ("不多于3次", _num("<=", 3, "次")),
    ("至多2次", _num("<=", 2, "次")),
    ("小于等于10天", _num("<=", 10, "天")),
    ("5%以下", _num("<=", 5, "%")),
    ("100万元以内", _num("<=", 100, "万元")),
    ("控制在100万元以内", _num("<=", 100, "万元")),
    ("6个月内完成", _num("<=", 6, "个月")),
    ("低于3%", _num("<", 3, "%")),
    ("少于5起", _num("<", 5, "起")),
    ("小于1%", _num("<", 1, "%")),
    ("1,500人", _num(None, 1500, "人")),
    ("１，５００人", _num(None, 1500, "人")),
    ("12,000,000元", _num(None, 12_000_000, "元")),
    ("95.5%", _num(None, 95.5, "%")),
    ("100.00%", _num(None, 100, "%")),
    (".5%", _num(None, 0.5, "%")),
    ("-5%", _num(None, -5, "%")),
    ("≥-2%", _num(">=", -2, "%")),
    ("5个百分点", _num(None, 5, "个百分点")),
    ("百分之95", _num(None, 95, "%")),
    ("两种以上", _num(">=", 2, "种")),
    ("三项", _num(None, 3, "项")),
    ("0.5万元/人", _num(None, 0.5, "万元/人")),
    ("1万余人", _num(None, 1, "万人", "approximate", approximate=True)),
    # Approximate values: the number counts, flagged as imprecise.
    ("40余篇", _num(None, 40, "篇", "approximate", approximate=True)),
    ("约30篇", _num(None, 30, "篇", "approximate", approximate=True)),
    ("30篇左右", _num(None, 30, "篇", "approximate", approximate=True)),
    ("30余", _num(None, 30, "", "approximate", "no_unit", approximate=True)),
    ("近30篇", _num(None, 30, "篇", "approximate", approximate=True)),
    ("30多篇", _num(None, 30, "篇", "approximate", approximate=True)),
    ("大约200人次", _num(None, 200, "人次", "approximate", approximate=True)),
    # Malformed but readable.
    ("≥100百分比", _num(">=", 100, "%", "malformed")),
    ("≥95%以下", _num(">=", 95, "%", "malformed")),
    (">90", _num(">", 90, "", "no_unit")),
    ("0", _num(None, 0, "", "no_unit")),
    ("120%", _num(None, 120, "%", "percent_over_100")),
    ("≥ 150 ％", _num(">=", 150, "%", "percent_over_100")),
    ("超过101%", _num(">", 101, "%", "percent_over_100")),
]

DEADLINES = [
    ("12月前完成", _deadline(12)),
    ("12月底前完成", _deadline(12)),
    ("12月底", _deadline(12)),
    ("１２月底完成", _deadline(12)),
    ("十二月底", _deadline(12)),
    ("2024年12月31日前", _deadline(12, 2024, 31)),
    ("2024年10月", _deadline(10, 2024)),
    ("12月31日前完成", _deadline(12, None, 31)),
    ("6月30号前", _deadline(6, None, 30)),
    ("11月中旬", _deadline(11, None, 20)),
    ("9月上旬完成", _deadline(9, None, 10)),
    ("于10月份完成", _deadline(10)),
    ("年底前完成", _deadline(12)),
    ("年底完成", _deadline(12)),
    ("年内完成", _deadline(12)),
    ("2024年底", _deadline(12, 2024)),
    ("上半年", _deadline(6)),
    ("第三季度完成", _deadline(9)),
    ("2024.12.31", _deadline(12, 2024, 31)),
    ("2024-12-31", _deadline(12, 2024, 31)),
    ("2024/6/30", _deadline(6, 2024, 30)),
    ("2024.12", _deadline(12, 2024)),
    ("2024年2月29日", _deadline(2, 2024, 29)),
]

BOOLEANS = [
    ("是", {"kind": nt.BOOLEAN, "boolean": True}),
    ("否", {"kind": nt.BOOLEAN, "boolean": False}),
    ("是（）", {"kind": nt.BOOLEAN, "boolean": True}),
    (" 否 ", {"kind": nt.BOOLEAN, "boolean": False}),
    ("是。", {"kind": nt.BOOLEAN, "boolean": True}),
]

QUALITATIVE = [
    ("达成预期指标", _qual(A)),
    ("达成", _qual(A)),
    ("完成", _qual(A)),
    ("已完成", _qual(A)),
    ("全部完成", _qual(A)),
    ("按时完成", _qual(A)),
    ("及时", _qual(A)),
    ("高", _qual(A)),
    ("好", _qual(A)),
    ("良好", _qual(A)),
    ("较好", _qual(A)),
    ("优", _qual(A)),
    ("显著", _qual(A)),
    ("效果明显", _qual(A)),
    ("有效", _qual(A)),
    ("提高", _qual(A)),
    ("有所提升", _qual(A)),
    ("满意", _qual(A)),
    ("十分满意", _qual(A)),
    ("正常", _qual(A)),
    ("圆满", _qual(A)),
    ("达到", _qual(A)),
    ("部分达成预期指标并具有一定效果", _qual(P)),
    ("部分达成", _qual(P)),
    ("部分完成", _qual(P)),
    ("基本完成", _qual(P)),
    ("基本达成", _qual(P)),
    ("基本满意", _qual(P)),
    ("一般", _qual(P)),
    ("较低", _qual(P)),
    ("未达成预期指标且效果较差", _qual(N)),
    ("未达成", _qual(N)),
    ("未完成", _qual(N)),
    ("差", _qual(N)),
    ("较差", _qual(N)),
    ("无效", _qual(N)),
    ("不满意", _qual(N)),
    ("效果不明显", _qual(N)),
    ("为区内突出事件存积救援力量", _qual(None)),
    ("持续推进", _qual(None)),
    ("偏差", _qual(None)),  # "差" counts only as the whole cell
    ("100%完成", _qual(A)),  # not a unit: a sentence that says it was completed
    ("对资金支出科目预计不充分，出现有的科目支出不足，有的科目结余。" * 5, _qual(None)),
]

MISSING = [
    "—",
    "-",
    "--",
    "/",
    "*",
    "无",
    "",
    "   ",
    "\t\n",
    "——",
    "N/A",
    "n/a",
    "（）",
    "　",
    "／",
    "－",
    "\x00\x01\x02",
    None,
]

UNREADABLE = [
    "abc",
    "#REF!",
    "???",
    "1..2%",
    "≥≥",
    "≥≥12篇",
    "30-50篇",
    "1" * 40,
    "13月",
    "2月30日",
    "0月完成",
    "3024年12月",
    "2024-13-01",
    "%",
]


@pytest.mark.parametrize(("text", "expected"), SEED_CELLS, ids=[c[0] for c in SEED_CELLS])
def test_seed_cells(text: str, expected: dict) -> None:
    _check(text, expected)


@pytest.mark.parametrize(("text", "expected"), NUMBERS, ids=[c[0] for c in NUMBERS])
def test_numbers(text: str, expected: dict) -> None:
    _check(text, expected)


@pytest.mark.parametrize(("text", "expected"), DEADLINES, ids=[c[0] for c in DEADLINES])
def test_deadlines(text: str, expected: dict) -> None:
    _check(text, expected)


@pytest.mark.parametrize(("text", "expected"), BOOLEANS, ids=[c[0] for c in BOOLEANS])
def test_booleans(text: str, expected: dict) -> None:
    _check(text, expected)


@pytest.mark.parametrize(("text", "expected"), QUALITATIVE, ids=[c[0][:12] for c in QUALITATIVE])
def test_qualitative(text: str, expected: dict) -> None:
    _check(text, expected)


@pytest.mark.parametrize("text", MISSING, ids=[repr(t) for t in MISSING])
def test_missing(text: str | None) -> None:
    v = _check(text, {"kind": nt.MISSING, "codes": ("missing",)})
    assert v.problems[0].message == "未填写"


@pytest.mark.parametrize("text", UNREADABLE, ids=[repr(t[:12]) for t in UNREADABLE])
def test_unreadable(text: str) -> None:
    v = _check(text, {"kind": nt.UNREADABLE, "number": None, "tier": None, "codes": ("unreadable",)})
    assert v.problems[0].message.startswith("无法识别的取值“")


@pytest.mark.parametrize(
    ("text", "code", "message"),
    [
        ("100", "no_unit", "数值“100”未写单位"),
        ("30余篇", "approximate", "“30余篇”为约数"),
        ("30篇左右", "approximate", "“30篇左右”为约数"),
        ("120%", "percent_over_100", "百分比“120%”超过100%"),
        ("abc", "unreadable", "无法识别的取值“abc”"),
        ("13月", "unreadable", "无法识别的取值“13月”：月份13不存在"),
        ("—", "missing", "未填写"),
    ],
)
def test_problem_messages(text: str, code: str, message: str) -> None:
    (problem,) = parse_value(text).problems
    assert (problem.code, problem.message) == (code, message)


def test_malformed_message_names_the_text_and_the_fix() -> None:
    codes = {p.code: p.message for p in parse_value("≥100百分比").problems}
    assert "≥100百分比" in codes["malformed"]
    assert "%" in codes["malformed"]


def test_text_is_kept_unchanged() -> None:
    for text in ("  ≥ 30 万元 ", "＞90%", "是（）", "\t12月底完成\n", "——"):
        assert parse_value(text).text == text


def test_long_message_is_shortened() -> None:
    v = parse_value("x" * 1000)
    assert v.kind == nt.UNREADABLE
    assert v.text == "x" * 1000
    assert len(v.problems[0].message) < 80


def test_non_str_input_is_read_as_text() -> None:
    v = parse_value(100)  # type: ignore[arg-type]
    assert (v.text, v.kind, v.number, v.unit) == ("100", nt.NUMBER, 100.0, "")
    assert parse_value(95.0).text == "95"  # type: ignore[arg-type]
    assert parse_value(float("nan")).kind == nt.MISSING  # type: ignore[arg-type]


def test_values_are_frozen_and_compare_by_fields() -> None:
    v = parse_value("≥12篇")
    assert v == Value(text="≥12篇", kind=nt.NUMBER, comparator=">=", number=12.0, unit="篇")
    assert parse_value("≥12篇") is v  # cached: a frozen value is safe to share
    with pytest.raises(AttributeError):
        v.number = 13  # type: ignore[misc]


def test_is_percent() -> None:
    assert parse_value("＞90%").is_percent
    assert not parse_value("90篇").is_percent


@pytest.mark.parametrize(
    ("a", "b", "same"),
    [
        ("1500人", "1849名", True),
        ("100位", "120人", True),
        ("12期", "24次", True),
        ("3场", "5期", True),
        ("2500人次", "9770人", False),
        ("2500人次", "9770人次", True),
        ("100", "1314名", True),
        ("30余", "40篇", True),
        ("10篇", "3种", False),
        ("100万元", "100元", True),
        ("90%", "5个百分点", False),
        ("90%", "100%", True),
    ],
)
def test_same_unit(a: str, b: str, same: bool) -> None:
    assert same_unit(parse_value(a), parse_value(b)) is same
    assert same_unit(parse_value(b), parse_value(a)) is same


@pytest.mark.parametrize(
    ("text", "fraction"),
    [("＞90%", 0.9), ("100%", 1.0), ("95.5%", 0.955), ("1500人", None), ("是", None), ("12月底完成", None)],
)
def test_as_fraction(text: str, fraction: float | None) -> None:
    got = as_fraction(parse_value(text))
    if fraction is None:
        assert got is None
    else:
        assert got == pytest.approx(fraction)


def _random_strings(count: int) -> list[str]:
    rnd = random.Random(20240415)
    pools = [
        "0123456789",
        "０１２３４５６７８９",
        "%％.．,，-—/*＞＜＝≥≤≧≦<>=~～()（）【】#!?？\\",
        "人次篇期种名万元月日年底前完成是否约余多左右以上以内不低于少超过达成部分未基本一般差好高",
        "abcXYZ",
        " \t\n\u3000\u200b\x00\x07\ufeff",
        "\U0001f600𠀀ꙮ\ud800",
    ]
    alphabet = "".join(pools)
    out = []
    for _ in range(count):
        n = rnd.choice((0, 1, 2, 3, 5, 8, 13, 30, 200))
        out.append("".join(rnd.choice(alphabet) for _ in range(n)))
    return out


def test_fuzz_never_raises_and_keeps_text() -> None:
    kinds = {nt.NUMBER, nt.BOOLEAN, nt.DEADLINE, nt.QUALITATIVE, nt.MISSING, nt.UNREADABLE}
    tiers = {None, nt.TIER_ACHIEVED, nt.TIER_PARTIAL, nt.TIER_NOT_ACHIEVED}
    codes = {"unreadable", "missing", "approximate", "malformed", "no_unit", "percent_over_100"}
    for text in _random_strings(4000):
        v = parse_value(text)
        assert v.text == text
        assert v.kind in kinds
        assert v.tier in tiers
        assert {p.code for p in v.problems} <= codes
        if v.kind == nt.NUMBER:
            assert v.number is not None and v.comparator in (None, ">=", ">", "<=", "<", "=")
        if v.kind == nt.DEADLINE:
            assert v.month is not None and 1 <= v.month <= 12
        if v.kind in (nt.MISSING, nt.UNREADABLE):
            assert v.problems and v.problems[0].code == v.kind


def test_huge_inputs() -> None:
    for text in ("完成" * 200_000, "1" * 100_000, "≥" * 50_000, "\x00" * 10_000):
        v = parse_value(text)
        assert v.text == text
    assert parse_value("完成" * 200_000).tier == nt.TIER_ACHIEVED
    assert parse_value("\x00" * 10_000).kind == nt.MISSING
