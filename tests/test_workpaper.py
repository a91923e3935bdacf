"""复核底稿.xlsx read back with openpyxl: one sheet per unit plus the summary, the 13 columns,
values equal to the review JSON, rates as percentages, no formula cells from user text, valid
and unique sheet names, and streaming (each unit sheet closed as soon as it is written)."""

from __future__ import annotations

import tracemalloc
from pathlib import Path

import openpyxl
import pytest

from evalkit.pipeline import review
from evalkit.report import conclusion as cc
from evalkit.report import workpaper as wp
from evalkit.report.sections import result_document
from evalkit.values import notation as nt

ROOT = Path(__file__).resolve().parent.parent
P2024 = ROOT / "parameters" / "2024"
UNITS = sorted(p for p in P2024.glob("*.yaml") if not p.name.endswith(".review.yaml"))


def _doc(path: Path) -> dict:
    decisions = path.with_suffix(".review.yaml")
    rv = review(path, decisions=decisions if decisions.exists() else None)
    return result_document(rv, unit_id=path.stem, status="ok", department=rv.filing.unit.department)


@pytest.fixture(scope="module")
def docs() -> list[dict]:
    return [_doc(p) for p in UNITS]


def _book(docs: list[dict], tmp_path: Path) -> openpyxl.Workbook:
    out = wp.write_workpaper(
        docs,
        tmp_path / "复核底稿.xlsx",
        last_year=lambda d: cc.last_year_for_doc(d, ROOT / "parameters", None),
    )
    return openpyxl.load_workbook(out)


def test_sheets_columns_and_values_equal_the_review_json(docs: list[dict], tmp_path: Path) -> None:
    wb = _book(docs, tmp_path)
    assert wb.sheetnames[0] == "汇总" and len(wb.sheetnames) == len(docs) + 1
    summary = list(wb["汇总"].iter_rows(values_only=True))
    assert summary[0][:10] == wp.SUMMARY_COLUMNS
    by_unit = {r[0]: r for r in summary[1:]}
    for doc in docs:
        row = by_unit[doc["unit"]]
        assert row[3] == doc["total"] and row[7] == doc["grade"]
        declared = doc["declared"]["total"]
        assert row[2] == declared
        if declared is not None:
            assert row[4] == pytest.approx(doc["total"] - declared)
            assert row[5] == pytest.approx((doc["total"] - declared) / declared)
        ws = wb[row[12]]
        rows = list(ws.iter_rows(values_only=True))
        assert rows[0][:13] == wp.UNIT_COLUMNS
        assert len(rows) - 1 == len(doc["indicators"])
        for got, i in zip(rows[1:], doc["indicators"], strict=True):
            assert got[0:3] == (i["level1"], i["level2"], i["name"])
            assert got[3] in {"正向", "反向", "等于", "零目标", "是否", "时限", "定性", "无法计分"}
            assert got[6] == pytest.approx(i["weight"]) and got[8] == i["self_score"]
            assert got[7] == i["actual"]
            assert got[10] == pytest.approx(i["score"] - i["deduction"])
            target = nt.parse_value(i["reviewed_target"])
            if target.kind == nt.NUMBER and target.unit == "%":
                assert got[4] == pytest.approx(target.number / 100) and got[5] == "%"
            elif target.kind == nt.NUMBER:
                assert got[4] == pytest.approx(target.number)
            else:
                assert got[4] == i["reviewed_target"]
            if i["deduction"]:
                assert i["deduction_reason"] in got[12]
        assert ws.freeze_panes == "A2" and ws.auto_filter.ref.startswith("A1:")
        assert ws.column_dimensions["C"].width >= 8


def test_rates_are_percent_numbers_and_english_never_shows(docs: list[dict], tmp_path: Path) -> None:
    wb = _book(docs, tmp_path)
    ws = wb["示例 某区文化和旅游局 公共文化服务提升项目"]
    cell = ws["E4"]  # 文化活动行政村覆盖率 ≥90%
    assert cell.value == pytest.approx(0.9) and cell.number_format == "0.00%"
    assert wb["汇总"]["F2"].number_format == "0.00%"
    for sheet in wb.worksheets:
        for row in sheet.iter_rows(values_only=True):
            for v in row:
                assert not isinstance(v, bool) and v not in ("positive", "reverse", "ok", "True", "False")


def test_last_year_beside_this_year(docs: list[dict], tmp_path: Path) -> None:
    wb = _book(docs, tmp_path)
    summary = {r[0]: r for r in wb["汇总"].iter_rows(values_only=True)}
    culture = summary["示例 某区文化和旅游局 公共文化服务提升项目"]
    assert culture[10] == 99.9 and culture[11] == pytest.approx(95.4 - 99.9)
    assert summary["武汉市蔡甸区红十字会"][10] is None  # no 2023 filing
    ws = wb[culture[12]]
    header = [c.value for c in ws[1]]
    assert header[13] == "上年实际完成值" and ws["N2"].value == "128场"


def test_user_text_never_becomes_a_formula(docs: list[dict], tmp_path: Path) -> None:
    doc = dict(docs[0])
    doc["unit"] = '=HYPERLINK("http://evil","点我")'
    doc["indicators"] = [
        dict(i, name="=1+1", actual="@SUM(A1)\x01", comment="+cmd") for i in doc["indicators"]
    ]
    wb = _book([doc], tmp_path)
    for sheet in wb.worksheets:
        for row in sheet.iter_rows():
            for c in row:
                assert c.data_type != "f", (sheet.title, c.coordinate, c.value)
    ws = wb.worksheets[1]
    assert ws["C2"].value == "=1+1" and ws["H2"].value == "@SUM(A1)\ufffd"
    assert wb["汇总"]["A2"].value == '=HYPERLINK("http://evil","点我")'


@pytest.mark.parametrize(
    "names",
    [
        ["a" * 40, "a" * 40, "A" * 40],
        ["x[1]:*?/\\y", "History", "'quoted'", "", "汇总"],
        ["某某区" * 20] * 5,
    ],
)
def test_sheet_names_are_valid_and_unique(names: list[str]) -> None:
    used = {"汇总"}
    out = [wp.sheet_name(n, used) for n in names]
    assert len({o.lower() for o in out}) == len(out) and "汇总" not in out
    for o in out:
        assert 0 < len(o) <= 31 and not set(o) & set("[]:*?/\\") and not o.startswith("'")
        assert o.lower() != "history"
    wb = openpyxl.Workbook()
    for o in out:
        wb.create_sheet(o)  # openpyxl refuses invalid titles


def test_streaming_keeps_memory_flat(docs: list[dict], tmp_path: Path) -> None:
    def peak(n: int) -> int:
        def gen():
            for k in range(n):
                d = dict(docs[k % len(docs)])
                d["unit"] = f"{d['unit']}{k}"
                yield d

        tracemalloc.start()
        wp.write_workpaper(gen(), tmp_path / f"{n}.xlsx")
        _, top = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        return top

    small, large = peak(10), peak(110)
    # A unit's rows are written out and dropped: what stays per unit is openpyxl's bookkeeping of
    # its (closed) sheet and one summary row, ~22 KB measured, so 2000 units stay near 45 MB.
    per_unit = (large - small) / 100
    assert per_unit < 40_000, per_unit
    wb = openpyxl.load_workbook(tmp_path / "110.xlsx", read_only=True)
    assert len(wb.sheetnames) == 111
