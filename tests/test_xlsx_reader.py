"""The .xlsx reader: sheets as units send them (the table on any sheet, anywhere on it, merged
ranges, numbers as text, formulas, hidden rows) import to the same filing as the text dump."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from fixtures_office import (
    assert_same_filing,
    build_project_xlsx,
    indicator_rows,
    parse_dump,
    seed_form,
    set_cached_values,
    write_form_sheet,
    xlsx_with_rows,
)
from openpyxl import Workbook, load_workbook

from evalkit.readers import read_filing
from evalkit.readers.text import read_text
from evalkit.readers.xlsx import (
    IMPORT_FORMULA_NO_VALUE,
    IMPORT_HIDDEN,
    IMPORT_SHEETS,
    number_text,
    read_xlsx,
)


@pytest.fixture
def project_xlsx(tmp_path: Path, project_path: Path) -> Path:
    return build_project_xlsx(tmp_path / "project.xlsx", project_path)


def test_project_xlsx_imports_like_its_text_dump(project_xlsx: Path, project_path: Path) -> None:
    got = read_xlsx(project_xlsx)
    assert_same_filing(got, read_text(project_path))
    assert got.source_format == "xlsx"
    b = got.budget
    # 100 typed as text, 114 and 9.5 cached results of formulas, 95% a percent-formatted 0.95
    assert (b.planned, b.adjusted, b.executed, b.stated_rate, b.max_points, b.stated_score) == (
        100,
        120,
        114,
        95,
        10,
        9.5,
    )
    assert got.unit.year == 2024 and got.unit.kind == "项目"


def test_locations_name_sheet_row_and_cell(project_xlsx: Path) -> None:
    filing = read_filing(project_xlsx)
    loc = filing.indicators[0].loc
    assert loc.sheet == "自评表" and loc.cell == f"E{loc.row}"
    assert filing.budget.locs["executed"].cell == "G7"  # the table starts at B4 under its title
    assert filing.narrative[0].loc.sheet == "自评报告"


def _seed_workbook(path: Path, seed: Path, top: int, left: int, sheets_before: int = 0) -> Path:
    dump = parse_dump(seed)
    wb = Workbook()
    wb.remove(wb.active)
    for i in range(sheets_before):
        wb.create_sheet(f"其他{i + 1}")["A1"] = "与自评无关的内容"
    report = wb.create_sheet("自评报告")
    narrative = [line for line in dump.before if line]
    cut = next(i for i, line in enumerate(narrative) if line.startswith("2024年度武汉市"))
    for i, line in enumerate(narrative[:cut], start=1):
        report.cell(row=i, column=1, value=line)
    ws = wb.create_sheet("部门整体自评表")
    for i, line in enumerate(narrative[cut:]):
        ws.cell(row=top - 4 + i, column=left, value=line)
    write_form_sheet(ws, seed_form(dump), top=top, left=left)
    notes = [line for line in dump.after if line]
    start = ws.max_row + 2
    for i, line in enumerate(notes):
        ws.cell(row=start + i, column=left, value=line)
    wb.save(path)
    return path


@pytest.mark.parametrize(("top", "left", "sheets_before"), [(5, 1, 0), (9, 3, 2)])
def test_seed_on_any_sheet_at_any_position(
    tmp_path: Path, seed_path: Path, top: int, left: int, sheets_before: int
) -> None:
    path = _seed_workbook(tmp_path / "seed.xlsx", seed_path, top, left, sheets_before)
    got, expected = read_xlsx(path), read_text(seed_path)
    assert_same_filing(got, expected)
    assert len(got.indicators) == 16


def test_formulas_are_read_by_cached_value_never_evaluated(tmp_path: Path, project_path: Path) -> None:
    path = build_project_xlsx(tmp_path / "p.xlsx", project_path)
    wb = load_workbook(path)
    ws = wb["自评表"]
    target = next(c for row in ws.iter_rows() for c in row if c.value == "≥1000亩")
    actual = ws.cell(row=target.row, column=target.column + 1)
    target.value = "=1+1"
    actual.value = "=A1&A2"
    wb.save(path)
    # Excel cached "≥1000亩" for the first formula: that text is read, 1+1 never computed; the
    # second formula has no cached value (a program wrote it): blank, and reported
    # (saving with openpyxl dropped the fixture's own cached results: put them back too)
    set_cached_values(path, "自评表", {target.coordinate: "≥1000亩", "G7": "114", "J7": "9.5"})
    filing = read_xlsx(path)
    first = filing.indicators[0]
    assert first.target_text == "≥1000亩"
    assert first.actual_text == ""
    hits = [p for p in filing.problems if p.code == IMPORT_FORMULA_NO_VALUE]
    assert len(hits) == 1 and actual.coordinate in hits[0].message and hits[0].loc.cell == actual.coordinate


def test_cached_string_value_of_formula(tmp_path: Path) -> None:
    wb = Workbook()
    ws = wb.active
    ws.append(["x"])
    ws["B1"] = "=1+1"
    wb.save(tmp_path / "f.xlsx")
    # the cached value is "3": what the reader shows, although 1+1 is 2
    set_cached_values(tmp_path / "f.xlsx", ws.title, {"B1": "3"})
    wb = load_workbook(tmp_path / "f.xlsx", data_only=True)
    assert wb.active["B1"].value == 3


@pytest.mark.parametrize(
    ("value", "fmt", "shown"),
    [
        (202.98000000000002, "General", "202.98"),
        (188.44, "General", "188.44"),
        (10.0, "General", "10"),
        (1500, "General", "1500"),
        (0.00001, "General", "0.00001"),
        (123456789012.0, "General", "123456789012"),
        (0.9284, "0.00%", "92.84%"),
        (0.95, "0%", "95%"),
        (0.928367, "0.00%", "92.84%"),
        (92.8412, "0.00", "92.84"),
        (100, "0.00", "100.00"),
        (1234.5, "#,##0.00", "1234.50"),
        (2.5, "0.0#", "2.5"),
        (2.0, "0.0#", "2.0"),
        (1500, '0"人"', "1500人"),
        (12, '"≥"0"篇"', "≥12篇"),
        (-3, "0;(0)", "(3)"),
        (-3.5, "0.0", "-3.5"),
        (0.125, "0.00", "0.13"),
        (42, "@", "42"),
        (7, "[Red]0", "7"),
    ],
)
def test_numbers_read_as_excel_shows_them(value: float, fmt: str, shown: str) -> None:
    assert number_text(value, fmt) == shown


def test_dates_booleans_and_text_numbers(tmp_path: Path) -> None:
    path = xlsx_with_rows(
        tmp_path / "v.xlsx",
        {"表": [["一级指标", "二级指标", "三级指标", "年初目标值", "实际完成值"]]},
    )
    wb = load_workbook(path)
    ws = wb["表"]
    ws.append(["产出指标", "时效指标", "完成日期", dt.datetime(2024, 12, 31), dt.date(2024, 11, 30)])
    ws.append(["产出指标", "质量指标", "是否达标", True, "202.98"])
    wb.save(path)
    filing = read_xlsx(path)
    rows = [(i.target_text, i.actual_text) for i in filing.indicators]
    assert rows == [("2024-12-31", "2024-11-30"), ("TRUE", "202.98")]


def test_the_sheet_holding_the_table_is_chosen(
    tmp_path: Path, project_xlsx: Path, project_path: Path
) -> None:
    wb = load_workbook(project_xlsx)
    copy = wb.copy_worksheet(wb["自评表"])
    copy.title = "自评表（上年）"
    wb.move_sheet(copy, offset=-(len(wb.sheetnames) - 1))  # first in the workbook…
    copy.sheet_state = "hidden"  # …but hidden: the visible table is the one a unit means
    wb.save(project_xlsx)
    filing = read_xlsx(project_xlsx)
    assert indicator_rows(filing) == indicator_rows(read_text(project_path))
    assert filing.indicators[0].loc.sheet == "自评表"
    note = [p for p in filing.problems if p.code == IMPORT_SHEETS]
    assert note and "自评表（上年）" in note[0].message


def test_hidden_rows_are_left_out_and_reported(project_xlsx: Path, project_path: Path) -> None:
    wb = load_workbook(project_xlsx)
    ws = wb["自评表"]
    last = max(c.row for row in ws.iter_rows() for c in row if c.value == "受益农户满意度")
    ws.insert_rows(last + 1)
    for col, value in zip("BCDEFGHIJ", ["", "", "", "旧指标", "≥1", "0", "5", "0", ""], strict=True):
        ws[f"{col}{last + 1}"] = value or None
    ws.row_dimensions[last + 1].hidden = True
    wb.save(project_xlsx)
    filing = read_xlsx(project_xlsx)
    assert "旧指标" not in [i.name for i in filing.indicators]
    assert any(p.code == IMPORT_HIDDEN for p in filing.problems)


def test_read_filing_dispatches_xlsx(project_xlsx: Path) -> None:
    assert read_filing(project_xlsx).source_format == "xlsx"


def test_two_row_header_with_true_merges_imports_like_its_text_dump(tmp_path: Path) -> None:
    """The Yunnan layout in Excel: 实际完成值 / 分值 / 得分 / 偏差原因 merged down over the two
    header rows, 绩效指标 and 年度指标值 merged across, 产出指标 merged down its rows, amounts in 元."""
    from test_layouts import dump

    wb = Workbook()
    ws = wb.active
    ws.title = "自评表"
    put = ws.cell

    def merge(rng: str, value: object = None) -> None:
        if value is not None:
            ws[rng.split(":")[0]] = value
        ws.merge_cells(rng)

    merge("A1:J1", "2024年度项目支出绩效自评表")
    put(2, 1, "项目名称")
    merge("B2:J2", "示例营养改善项目")
    put(3, 1, "主管部门")
    merge("B3:E3", "示例教育局")
    put(3, 6, "实施单位")
    merge("G3:J3", "示例中学")
    merge("A4:A6", "项目资金\n（元）")
    merge("B4:C4")
    for col, text in zip("DEFGH", ("年初预算数", "全年预算数", "全年执行数", "分值", "执行率"), strict=True):
        ws[f"{col}4"] = text
    merge("I4:J4", "得分")
    for r, label, values in (
        (5, "年度资金总额", (500000, 500000, 450000, 10, "90%", 9)),
        (6, "其中：当年财政拨款", (500000, 500000, 450000, "—", "—", "—")),
    ):
        merge(f"B{r}:C{r}", label)
        for col, value in zip("DEFGHI", values, strict=True):
            ws[f"{col}{r}"] = value
        merge(f"I{r}:J{r}")
    merge("A7:C7", "绩效指标")
    merge("D7:F7", "年度指标值")
    for col, text in zip("GHIJ", ("实际完成值", "分值", "得分", "偏差原因分析及改进措施"), strict=True):
        merge(f"{col}7:{col}8", text)
    for col, text in zip(
        "ABCDEF", ("一级指标", "二级指标", "三级指标", "指标性质", "指标值", "度量单位"), strict=True
    ):
        ws[f"{col}8"] = text
    data = [
        ("产出指标", "数量指标", "受助学生人数", "≧", 800, "人", "760人", 40, 40),
        (None, "时效指标", "资金拨付及时率", "═", 100, "%", "100%", 10, 10),
        ("效益指标", "社会效益指标", "政策知晓率", "≥", 95, "%", "97%", 30, 30),
        ("满意度指标", "服务对象满意度指标", "家长满意度", "≥", 90, "%", "92%", 10, 10),
    ]
    for r, values in enumerate(data, start=9):
        for c, value in enumerate(values, start=1):
            if value is not None:
                put(r, c, value)
    merge("A9:A10")
    put(13, 1, "其他需要说明事项")
    merge("B13:F13", "无")
    for col, value in zip("GHIJ", ("总分", 100, 99, "优"), strict=True):
        ws[f"{col}13"] = value
    path = tmp_path / "yunnan.xlsx"
    wb.save(path)

    text_path = tmp_path / "yunnan.txt"
    rows_file = Path(__file__).resolve().parent / "data" / "layouts" / "yunnan_two_row.rows"
    text_path.write_text(dump(rows_file), encoding="utf-8")
    got, expected = read_xlsx(path), read_text(text_path)
    assert [i.target_text for i in got.indicators] == ["≥800人", "=100%", "≥95%", "≥90%"]
    assert_same_filing(got, expected, narrative=False)
