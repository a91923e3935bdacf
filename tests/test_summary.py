"""The year's summary from result documents alone: tidy rows, regrouping, the explorer widgets."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from evalkit.report import frames as tables
from evalkit.report import index as summary
from evalkit.workbench.explorer import explorer


def result(
    unit_id: str, dept: str, total: float, grade: str, declared: float | None, codes: list[str]
) -> dict:
    return {
        "unit": unit_id.replace("_", " "),
        "year": 2024,
        "kind": "项目",
        "budget": {"rate": 0.9, "score": 9.0},
        "indicators": [{"key": "g1r1", "score": 5.0, "reviewer": unit_id == "甲"}],
        "total": total,
        "grade": grade,
        "declared": {"total": declared, "grade": "优" if declared else None},
        "profile": "mof-2020",
        "findings": [
            {"code": c, "family": "value" if c.startswith("V") else "date", "severity": "warning", "message": "m", "where": "w"}
            for c in codes
        ],
        "run": {"unit_id": unit_id, "department": dept, "status": "ok", "report": f"{unit_id}.html"},
    }  # fmt: skip


FAILED = {
    "unit": "丁",
    "run": {"unit_id": "丁", "status": "failed", "error": "运行失败：FilingError：坏了", "report": ""},
}


@pytest.fixture
def results(tmp_path: Path) -> Path:
    docs = [
        result("甲", "农业农村局", 95.0, "优", 99.0, ["V103", "D101"]),
        result("乙", "农业农村局", 76.7, "中", 95.0, ["V103"]),
        result("丙", "教育局", 88.0, "良", None, []),
        FAILED,
    ]
    for d in docs:
        (tmp_path / f"{d['run']['unit_id']}.json").write_text(
            json.dumps(d, ensure_ascii=False), encoding="utf-8"
        )
    return tmp_path


def test_units_table_has_stable_columns(results: Path) -> None:
    units = tables.units(summary.load_results(results))
    assert list(units.columns) == tables.UNIT_COLUMNS
    row = units.set_index("unit_id").loc["甲"]
    assert (
        row["difference"] == 4.0
        and row["errors"] == 0
        and row["warnings"] == 2
        and row["reviewed_items"] == 1
    )
    assert units.set_index("unit_id").loc["丁", "status"] == "failed"


@pytest.mark.parametrize(
    ("by", "expected"),
    [
        ("grade", {"优": 1, "良": 1, "中": 1}),
        ("department", {"农业农村局": 2, "教育局": 1}),
        ("code", {"V103": 2, "D101": 1}),
        ("difference", {"偏高不足5分": 1, "偏高10分以上": 1, "无自评分": 1}),
    ],
)
def test_regrouping(results: Path, by: str, expected: dict[str, int]) -> None:
    docs = summary.load_results(results)
    groups = summary.group_units(tables.units(docs), tables.unit_findings(docs), by)
    assert dict(zip(groups["group"], groups["units"], strict=True)) == expected


def test_explorer_filters_and_regroups(results: Path) -> None:
    box = explorer(results, link_prefix="../outputs/2024")
    c = box.controls
    # Links are relative to the notebook's folder, so JupyterLab opens outputs/2024/<unit>.html.
    assert 'href="../outputs/2024/' in box.html["value"]
    assert "甲" in box.html["value"] and "乙" in box.html["value"]
    c["grade"].value = "中"
    assert 'data-unit="乙"' in box.html["value"] and 'data-unit="甲"' not in box.html["value"]
    c["grade"].value = ""
    c["by"].value = "family"
    assert "取值填写" in box.html["value"]
    c["department"].value = "教育局"
    assert 'data-unit="丙"' in box.html["value"] and 'data-unit="甲"' not in box.html["value"]


def test_static_sections_and_excel(results: Path) -> None:
    page = summary.Summary(results, 2024)
    html = "".join(
        x.data for x in (page.header(), page.units(), page.charts(), page.ranking(), page.findings())
    )
    assert 'data-units="4"' in html and 'data-failed="1"' in html
    assert "运行失败：FilingError：坏了" in html
    summary.write_excel(summary.load_results(results), results / "summary.xlsx")
    sheet = pd.read_excel(results / "summary.xlsx", sheet_name="单位汇总")
    assert list(sheet.columns) == [tables.LABELS[c] for c in tables.UNIT_COLUMNS]
    assert summary.Summary(results, 2024, show=False).header() is None


def test_excel_leaves_missing_values_empty(results: Path) -> None:
    # 丙 declared no total and 丁 failed: their cells are left out. A NaN handed to openpyxl becomes a
    # numeric cell with an empty value (<v></v>), which is no number at all in the file.
    import re
    import zipfile

    from openpyxl import load_workbook

    path = results / "summary.xlsx"
    summary.write_excel(summary.load_results(results), path)
    with zipfile.ZipFile(path) as zf:
        for name in zf.namelist():
            if name.startswith("xl/worksheets/"):
                xml = zf.read(name).decode("utf-8")
                assert not re.search(r"<v\s*/>|<v></v>|<v>nan</v>", xml, re.I), name
    units = load_workbook(path)["单位汇总"]
    header = [c.value for c in units[1]]
    rows = {
        r[header.index(tables.LABELS["unit_id"])]: r for r in units.iter_rows(min_row=2, values_only=True)
    }
    assert rows["丙"][header.index(tables.LABELS["declared_total"])] is None
    assert rows["甲"][header.index(tables.LABELS["declared_total"])] == 99.0
