"""Date checks (D1xx): the filing date against the fiscal year, completion against the deadline."""

from __future__ import annotations

import pytest
from checks_support import Case, base, case_id, cases, ind, make, run

from evalkit.checks.dates import parse_date


def _filed(date: str) -> Case:
    def case() -> object:
        f = base()
        f.unit.filing_date = date
        return f

    case.__name__ = date or "blank"
    return case


def _deadline(target: str, actual: str) -> Case:
    def case() -> object:
        return make([*make().indicators, ind("项目完工时间", target, actual, level2="时效指标")])

    case.__name__ = f"{target}-{actual}"
    return case


FIRES: dict[str, list[Case]] = {
    "D101": [_filed("2024.4.15"), _filed("2024年12月31日"), _filed("2023-12-20")],
    "D102": [_deadline("10月底完成", "12月完成"), _deadline("2024年6月30日前", "2024年7月")],
}
QUIET: dict[str, list[Case]] = {
    "D101": [base, _filed("2025.1.10"), _filed("2025年3月"), _filed(""), _filed("待定")],
    "D102": [base, _deadline("12月底完成", "10月完成"), _deadline("11月底前完成", "11月完成")],
}


@pytest.mark.parametrize(("code", "case"), cases(FIRES), ids=case_id)
def test_fires(code: str, case: Case) -> None:
    found = run(code, case())
    assert found and all(f.family == "date" for f in found)


@pytest.mark.parametrize(("code", "case"), cases(QUIET), ids=case_id)
def test_quiet(code: str, case: Case) -> None:
    assert run(code, case()) == []


def test_filing_date_finding() -> None:
    (f,) = run("D101", _filed("2024.4.15")())
    assert "2024.4.15" in f.message and "2024年" in f.message
    assert f.where == "表头 填报日期" and f.place == (0,)


@pytest.mark.parametrize(
    ("text", "date"),
    [
        ("2024.4.15", (2024, 4, 15)),
        ("2025年3月10日", (2025, 3, 10)),
        ("２０２５－０３－１０", (2025, 3, 10)),
        ("2025/3", (2025, 3, None)),
        ("2025.13.1", None),
        ("三月", None),
    ],
)
def test_parse_date(text: str, date: tuple | None) -> None:
    assert parse_date(text) == date
