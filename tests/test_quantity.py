"""Tests of evalkit.values.quantity: one figure as written, and the scale it compares on."""

from __future__ import annotations

import pytest

from evalkit.values import quantity as q
from evalkit.values.quantity import (
    Quantity,
    cn_number,
    figure_spans,
    money_unit_of,
    parse_quantity,
    read_amount,
    same_count,
    same_scale,
    to_wan,
)

# text → (number with magnitude applied, unit, family, base)
QUANTITIES = [
    ("1.2亿元", 120_000_000.0, "元", q.MONEY, 120_000_000.0),
    ("150万", 1_500_000.0, "", None, 1_500_000.0),
    ("864.2万", 8_642_000.0, "", None, 8_642_000.0),
    ("150万元", 1_500_000.0, "元", q.MONEY, 1_500_000.0),
    ("3百万元", 3_000_000.0, "元", q.MONEY, 3_000_000.0),
    ("2千万元", 20_000_000.0, "元", q.MONEY, 20_000_000.0),
    ("1万亿元", 1e12, "元", q.MONEY, 1e12),
    ("480000元", 480_000.0, "元", q.MONEY, 480_000.0),
    ("≤50万元", 500_000.0, "元", q.MONEY, 500_000.0),
    ("≥ 30 万元", 300_000.0, "元", q.MONEY, 300_000.0),
    ("5千元", 5_000.0, "元", q.MONEY, 5_000.0),
    ("1,849人", 1849.0, "人", q.PEOPLE, 1849.0),
    ("1，849人", 1849.0, "人", q.PEOPLE, 1849.0),
    ("12,345,678元", 12_345_678.0, "元", q.MONEY, 12_345_678.0),
    ("１２３人", 123.0, "人", q.PEOPLE, 123.0),
    ("１，２００名", 1200.0, "名", q.PEOPLE, 1200.0),
    ("8000人", 8000.0, "人", q.PEOPLE, 8000.0),
    ("1万人", 10_000.0, "人", q.PEOPLE, 10_000.0),
    ("1.5万人次", 15_000.0, "人次", q.PEOPLE, 15_000.0),
    ("16000人次", 16_000.0, "人次", q.PEOPLE, 16_000.0),
    ("三千五百人次", 3500.0, "人次", q.PEOPLE, 3500.0),
    ("一百二十", 120.0, "", None, 120.0),
    ("两", 2.0, "", None, 2.0),
    ("两千人", 2000.0, "人", q.PEOPLE, 2000.0),
    ("壹拾万零叁仟元", 103_000.0, "元", q.MONEY, 103_000.0),
    ("叁仟伍佰元", 3500.0, "元", q.MONEY, 3500.0),
    ("三千万元", 30_000_000.0, "元", q.MONEY, 30_000_000.0),
    ("百分之九十五", 95.0, "%", q.PERCENT, 0.95),
    ("百分之95", 95.0, "%", q.PERCENT, 0.95),
    ("百分之百", 100.0, "%", q.PERCENT, 1.0),
    ("95%", 95.0, "%", q.PERCENT, 0.95),
    ("95％", 95.0, "%", q.PERCENT, 0.95),
    ("95百分比", 95.0, "%", q.PERCENT, 0.95),
    ("3个百分点", 3.0, "个百分点", q.POINTS, 3.0),
    ("5‰", 5.0, "‰", q.PERMILLE, 0.005),
    ("2.5公里", 2.5, "公里", q.LENGTH, 2500.0),
    ("8千米", 8.0, "千米", q.LENGTH, 8000.0),
    ("300米", 300.0, "米", q.LENGTH, 300.0),
    ("150亩", 150.0, "亩", q.AREA, 100_000.0),
    ("10公顷", 10.0, "公顷", q.AREA, 100_000.0),
    ("1.2万平方米", 12_000.0, "平方米", q.AREA, 12_000.0),
    ("3吨", 3.0, "吨", q.WEIGHT, 3000.0),
    ("12期", 12.0, "期", q.SESSIONS, 12.0),
    ("30余篇", 30.0, "篇", None, 30.0),
    ("累计培训820人", 820.0, "人", q.PEOPLE, 820.0),
    ("-14.54万元", -145_400.0, "元", q.MONEY, -145_400.0),
]


@pytest.mark.parametrize(("text", "number", "unit", "family", "base"), QUANTITIES)
def test_parse_quantity(text: str, number: float, unit: str, family: str | None, base: float) -> None:
    got = parse_quantity(text)
    assert got is not None, text
    assert got.number == pytest.approx(number)
    assert got.unit == unit
    assert got.family == family
    assert got.base == pytest.approx(base)
    assert got.text == text


@pytest.mark.parametrize("text", [None, "", "abc", "完成", "达成预期指标", "—", "#REF!", "一般", "十分满意"])
def test_parse_quantity_none(text: str | None) -> None:
    assert parse_quantity(text) is None


def test_percent_base_is_exact() -> None:
    assert parse_quantity("95%").base == 0.95  # 95 / 100, not 95 * 0.01


# The cases cn2an and pycnnum were compared on (cn2an "normal" mode passes them; pycnnum reads
# 一百二十万 as 10200000 and 十十 as 100). None: not one number, refused rather than guessed.
CN_NUMERALS = [
    ("三千五百", 3500),
    ("一百二十", 120),
    ("两", 2),
    ("九十五", 95),
    ("壹拾万零叁仟", 103_000),
    ("一万零五百", 10_500),
    ("十二", 12),
    ("十", 10),
    ("廿", 20),
    ("一千零一", 1001),
    ("一亿二千万", 120_000_000),
    ("一百零五", 105),
    ("一千二", 1200),
    ("两万五", 25_000),
    ("一百二十万", 1_200_000),
    ("一千二百万零三", 12_000_003),
    ("三亿零五万", 300_050_000),
    ("一点五", 1.5),
    ("零点零五", 0.05),
    ("贰佰", 200),
    ("拾", 10),
    ("十万零一", 100_001),
    ("三四", None),  # "three or four"
    ("一二三", None),  # a list of digits
    ("零零", None),
    ("十十", None),
    ("万", None),
    ("千", None),
    ("点五", None),
    ("五点", None),
    ("一万万", None),
]


@pytest.mark.parametrize(("span", "value"), CN_NUMERALS)
def test_cn_number(span: str, value: float | None) -> None:
    got = cn_number(span)
    if value is None:
        assert got is None
    else:
        assert got == pytest.approx(value)


FREE_TEXT = [
    ("累计培训820人，较上年增加120人次", ["820人", "120人次"]),
    ("一次性补助两名人员，一人一档", []),  # Chinese numerals without a multiplier stay words
    ("十分满意，千家万户，上百人次，数十人参加，十几人", []),
    ("统一部署，一般情况下", []),
    ("完成三千五百人次培训，满意度达百分之九十五以上", ["三千五百人次", "百分之九十五以上"]),
    ("2024年12月完成第3期，共1,200人", ["1,200人"]),  # years, months, ordinals are no figures
    ("不低于百分之九十", ["不低于百分之九十"]),
    ("投入1.2亿元，新建20公里，覆盖1万余人", ["1.2亿元", "20公里", "1万余人"]),
    ("组织志愿服务活动不少于14次", ["不少于14次"]),
    ("宣传40余篇，培训２５００人次", ["40余篇", "２５００人次"]),
    ("人民群众，个人项目，期间", []),
    ("共计二十余人参加", ["二十余人"]),
    ("执行率92.84%，较上年提高3个百分点", ["92.84%", "3个百分点"]),
]


@pytest.mark.parametrize(("text", "figures"), FREE_TEXT)
def test_figure_spans(text: str, figures: list[str]) -> None:
    assert [s.of(text) for s in figure_spans(text)] == figures


def test_figure_spans_linear() -> None:
    import time

    text = "，".join(f"培训{i}人" for i in range(50_000))
    t0 = time.perf_counter()
    spans = figure_spans(text)
    assert len(spans) == 50_000
    assert time.perf_counter() - t0 < 5


AMOUNTS = [
    (("864.2万",), 864.2),
    (("864.2万元",), 864.2),
    (("480000元",), 48.0),
    (("1,849", "元"), 0.1849),
    (("1，202.98",), 1202.98),
    (("202.98",), 202.98),
    (("1.2亿元",), 12_000.0),
    (("1.2亿",), 12_000.0),
    (("-14.54",), -14.54),
    (("５０万元",), 50.0),
    (("5000", "千元"), 500.0),
    (("100", "亿元"), 1_000_000.0),
    (("3000元", "元"), 0.3),  # a unit in the cell wins over the table's
]


@pytest.mark.parametrize(("args", "wan"), AMOUNTS)
def test_read_amount(args: tuple, wan: float) -> None:
    got, why = read_amount(*args)
    assert got == pytest.approx(wan)
    assert why == ""


@pytest.mark.parametrize("text", [None, "", "  ", "—", "-", "/", "*", "无"])
def test_read_amount_blank(text: str | None) -> None:
    assert read_amount(text) == (None, "")


@pytest.mark.parametrize("text", ["abc", "50人", "92.84%", "约50万", "#REF!"])
def test_read_amount_refused(text: str) -> None:
    got, why = read_amount(text)
    assert got is None
    assert text in why and ("金额" in why)


def test_read_amount_unknown_table_unit() -> None:
    with pytest.raises(ValueError, match="money unit"):
        read_amount("5", unit="美元")


@pytest.mark.parametrize(
    ("text", "unit"),
    [
        ("（元）", "元"),
        ("单位：元", "元"),
        ("金额单位：万元", "万元"),
        ("预算数（万元）", "万元"),
        ("单位: 万元", "万元"),
        ("年初预算数(元)", "元"),
        ("资金单位：亿元", "亿元"),
        ("单元", None),
        ("年初预算数", None),
        ("计量单位", None),
        ("", None),
        (None, None),
    ],
)
def test_money_unit_of(text: str | None, unit: str | None) -> None:
    assert money_unit_of(text) == unit


SCALES = [
    ("8000人", "1万人", (8000, 10000)),
    ("≤50万元", "480000元", (500_000, 480_000)),
    ("1.5万人次", "16000人次", (15_000, 16_000)),
    ("百分之九十五", "96%", (0.95, 0.96)),
    ("5‰", "0.5%", (0.005, 0.005)),
    ("2公里", "1500米", (2000, 1500)),
    ("150亩", "10公顷", (100_000, 100_000)),
    ("12篇", "24篇", (12, 24)),
    ("100", "1314名", (100, 1314)),  # a bare number takes the other side's unit as written
    ("48", "50万元", (48, 50)),
    ("1万", "8000人", (10_000, 8000)),  # a bare magnitude takes the other side's base
    ("150万", "1.2亿元", (1_500_000, 120_000_000)),
    ("1500人", "1849名", (1500, 1849)),
    ("2500人次", "9770人", (2500, 9770)),  # one scale; same_count tells them apart
    ("12期", "24次", (12, 24)),
]


@pytest.mark.parametrize(("a", "b", "pair"), SCALES)
def test_same_scale(a: str, b: str, pair: tuple[float, float]) -> None:
    qa, qb = parse_quantity(a), parse_quantity(b)
    assert qa is not None and qb is not None
    got = same_scale(qa, qb)
    assert got is not None
    assert got == pytest.approx(pair)
    back = same_scale(qb, qa)
    assert back == pytest.approx(pair[::-1])


@pytest.mark.parametrize(
    ("a", "b"),
    [("90%", "5个百分点"), ("90%", "90人"), ("10篇", "3种"), ("50万元", "50人"), ("2公里", "2亩")],
)
def test_same_scale_refuses(a: str, b: str) -> None:
    qa, qb = parse_quantity(a), parse_quantity(b)
    assert qa is not None and qb is not None
    assert same_scale(qa, qb) is None
    assert not same_count(qa, qb)


@pytest.mark.parametrize(
    ("a", "b", "same"),
    [
        ("2500人次", "9770人", False),
        ("1500人", "1849名", True),
        ("100万元", "100元", True),
        ("100", "5人", True),
    ],
)
def test_same_count(a: str, b: str, same: bool) -> None:
    qa, qb = parse_quantity(a), parse_quantity(b)
    assert qa is not None and qb is not None
    assert same_count(qa, qb) is same


def test_to_wan() -> None:
    assert to_wan(parse_quantity("480000元")) == pytest.approx(48.0)
    assert to_wan(parse_quantity("1.2亿元")) == pytest.approx(12_000.0)
    assert to_wan(parse_quantity("150万")) is None  # no unit: not known to be money
    assert to_wan(parse_quantity("50人")) is None
    assert to_wan(None) is None


def test_quantity_is_frozen() -> None:
    got = parse_quantity("5人")
    assert isinstance(got, Quantity)
    with pytest.raises(AttributeError):
        got.number = 6  # type: ignore[misc]


def test_long_numeral_runs_are_cheap() -> None:
    import time

    t0 = time.perf_counter()
    assert figure_spans("十" * 200_000 + "人") == []
    assert parse_quantity("一" * 100_000 + "人") is None
    assert cn_number("一千" * 50) is None
    assert time.perf_counter() - t0 < 5
