"""The year's 复核底稿.xlsx: a summary sheet and one 复核表 sheet per unit, streamed.

Written with openpyxl's write-only mode from the units' result documents (``review --json`` plus
the batch's ``run`` block), one unit at a time: each unit's sheet is closed as soon as it is
written, so memory stays flat however many units a year has. Only the summary's rows (a dozen
values per unit) are held until the end, since the summary sheet comes first.

Every value a person reads is Chinese (计分规则 正向/反向…, 是/否); rates are numbers shown as
percentages; text cells are always strings (a value starting with ``=`` is never a formula) and
control characters are replaced by U+FFFD. 偏差 and 复核偏差 are 复核 − 自评 (negative: the
review scored lower); 偏离度 is 偏差 / 自评得分.
"""

from __future__ import annotations

import contextlib
import os
import re
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from evalkit.fileio import text_cell, xml_text
from evalkit.report.conclusion import LastYear
from evalkit.scoring.rules import RULE_LABELS
from evalkit.values import notation as nt

SUMMARY_SHEET = "汇总"
SUMMARY_COLUMNS = (
    "单位/项目",
    "主管部门",
    "自评得分",
    "复核得分",
    "偏差",
    "偏离度",
    "自评等级",
    "复核等级",
    "主要偏差原因",
    "状态",
)
SUMMARY_EXTRA = ("上年复核得分", "得分变动", "工作表")
UNIT_COLUMNS = (
    "一级指标",
    "二级指标",
    "三级指标",
    "指标性质",
    "指标值",
    "计量单位",
    "权重",
    "自评完成值",
    "自评得分",
    "复核完成值",
    "复核得分",
    "复核偏差",
    "备注",
)
LAST_YEAR_COLUMN = "上年实际完成值"
SCORE_FORMAT = "0.00"
PERCENT_FORMAT = "0.00%"
_SHEET_BAD = re.compile(r"[\[\]:*?/\\\x00-\x1f]")
_HEADER_FONT = Font(bold=True)
_HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")
_WRAP = Alignment(wrap_text=True, vertical="top")


def clean_text(value: Any) -> str:
    """A cell's text: control characters XML cannot hold replaced by U+FFFD (evalkit.fileio.xml_text)."""
    return xml_text("" if value is None else str(value))


def sheet_name(name: str, used: set[str]) -> str:
    """A valid, unique sheet name for a unit: at most 31 characters, none of ``[]:*?/\\``, not
    starting or ending with an apostrophe, unique ignoring case (``used`` is updated)."""
    base = _SHEET_BAD.sub("_", clean_text(name)).strip().strip("'") or "单位"
    if base.lower() == "history":  # reserved by Excel
        base = f"{base}_"
    candidate, n = base[:31], 1
    while candidate.lower() in used:
        n += 1
        suffix = f"~{n}"
        candidate = base[: 31 - len(suffix)].rstrip("'") + suffix
    used.add(candidate.lower())
    return candidate


def _text_cell(ws: Any, value: Any) -> WriteOnlyCell:
    return text_cell(ws, clean_text(value))  # a string, even when it starts with "=": never a formula


def _number_cell(ws: Any, value: float | None, number_format: str = SCORE_FORMAT) -> WriteOnlyCell:
    cell = WriteOnlyCell(ws, value=None if value is None else float(value))
    cell.number_format = number_format
    return cell


def _header(ws: Any, columns: Iterable[str]) -> list[WriteOnlyCell]:
    out = []
    for name in columns:
        cell = _text_cell(ws, name)
        cell.font, cell.fill = _HEADER_FONT, _HEADER_FILL
        out.append(cell)
    return out


def _width(value: Any) -> float:
    text = clean_text(value)
    return sum(2 if ord(ch) > 0x2E80 else 1 for ch in text)


def _fit(ws: Any, rows: list[list[Any]], columns: tuple[str, ...], cap: float = 48) -> None:
    # Widths from the longest value of each column (CJK counts double), set before the first row.
    for j, name in enumerate(columns):
        longest = max([_width(name), *(_width(r[j]) for r in rows if j < len(r))])
        ws.column_dimensions[get_column_letter(j + 1)].width = min(max(longest + 2, 8), cap)


def value_cell(ws: Any, text: str) -> tuple[WriteOnlyCell, str]:
    """A target or actual as the workpaper shows it: the number (a percentage as a rate shown as
    ``95.00%``) and its unit, or the text when it is no number."""
    v = nt.parse_value(text)
    if v.kind == nt.NUMBER and v.number is not None:
        if v.unit == "%":
            return _number_cell(ws, v.number / 100, PERCENT_FORMAT), "%"
        cell = WriteOnlyCell(ws, value=v.number)
        cell.number_format = "General"
        return cell, v.unit
    return _text_cell(ws, text), ""


def _remark(i: dict[str, Any]) -> str:
    parts = []
    if i.get("deduction"):
        parts.append(f"扣{i['deduction']:g}分：{i.get('deduction_reason') or ''}")
    if i.get("comment"):
        parts.append(str(i["comment"]))
    score, weight = i.get("score"), i.get("weight")
    if not parts and score is not None and weight is not None and score < weight - 1e-9:
        parts.append(f"按{RULE_LABELS.get(i.get('rule'), i.get('rule'))}规则计分")
    return "；".join(parts)


def final_score(i: dict[str, Any]) -> float | None:
    """An indicator's 复核得分 as the workpaper shows it: the score after the reviewer's deduction."""
    if i.get("score") is None:
        return None
    return round(i["score"] - (i.get("deduction") or 0), 2)


def _main_reasons(doc: dict[str, Any], limit: int = 3) -> str:
    gaps = []
    for i in doc.get("indicators") or []:
        final = final_score(i)
        if i.get("self_score") is not None and final is not None and i["self_score"] - final > 0.005:
            gaps.append((i["self_score"] - final, i))
    gaps.sort(key=lambda x: -x[0])
    parts = [f"{i.get('name')}（自评{i['self_score']:g}、复核{final_score(i):g}）" for _, i in gaps[:limit]]
    budget = doc.get("budget") or {}
    stated, score = budget.get("stated_score"), budget.get("score")
    if stated is not None and score is not None and stated - score > 0.005:
        parts.insert(0, f"预算执行率（自评{stated:g}、复核{score:g}）")
    if doc.get("deductions"):
        parts.append(f"复核扣分{doc['deductions']:g}分")
    return "；".join(parts[: limit + 1])


def status(doc: dict[str, Any]) -> str:
    """The unit's review status in Chinese: 运行失败 / 待复核 / 复核中 / 已复核."""
    run = doc.get("run") or {}
    if run.get("status", "ok") != "ok":
        return "运行失败"
    if run.get("review_status"):
        return str(run["review_status"])
    decided = any(i.get("reviewer") for i in doc.get("indicators") or [])
    if run.get("opinion"):
        return "已复核"
    return "复核中" if decided else "待复核"


def _unit_sheet(wb: Workbook, title: str, doc: dict[str, Any], last: LastYear | None) -> None:
    ws = wb.create_sheet(title)
    columns = UNIT_COLUMNS + ((LAST_YEAR_COLUMN,) if last is not None else ())
    rows: list[list[Any]] = []
    for i in doc.get("indicators") or []:
        target, unit = value_cell(ws, str(i.get("reviewed_target") or i.get("target") or ""))
        actual, actual_unit = value_cell(ws, str(i.get("reviewed_actual") or i.get("actual") or ""))
        final = final_score(i)
        selfs = i.get("self_score")
        row = [
            _text_cell(ws, i.get("level1")),
            _text_cell(ws, i.get("level2")),
            _text_cell(ws, i.get("name")),
            _text_cell(ws, RULE_LABELS.get(i.get("rule"), i.get("rule"))),
            target,
            _text_cell(ws, unit or actual_unit),
            _number_cell(ws, i.get("weight")),
            _text_cell(ws, i.get("actual")),
            _number_cell(ws, selfs),
            actual,
            _number_cell(ws, final),
            _number_cell(ws, None if selfs is None or final is None else round(final - selfs, 2)),
            _text_cell(ws, _remark(i)),
        ]
        if last is not None:
            row.append(_text_cell(ws, last.actuals.get(i.get("key"), "")))
        rows.append(row)
    _fit(ws, [[c.value for c in r] for r in rows], columns)
    ws.freeze_panes = "A2"
    ws.auto_filter.ref = f"A1:{get_column_letter(len(columns))}{len(rows) + 1}"
    ws.append(_header(ws, columns))
    for r in rows:
        r[-1 if last is None else -2].alignment = _WRAP
        ws.append(r)
    ws.close()  # written out now: nothing of this unit stays in memory


def write_workpaper(
    results: Iterable[dict[str, Any]],
    path: str | os.PathLike[str],
    last_year: Callable[[dict[str, Any]], LastYear | None] | None = None,
) -> Path:
    """Write 复核底稿.xlsx from the units' result documents (an iterable, read once, in order).

    ``last_year`` gives a unit's review of the year before (or None); with it the summary shows
    last year's reviewed score and each unit sheet last year's actual per indicator.
    """
    wb = Workbook(write_only=True)
    summary = wb.create_sheet(SUMMARY_SHEET)
    used = {SUMMARY_SHEET.lower()}
    summary_rows: list[list[Any]] = []
    for doc in results:
        run = doc.get("run") or {}
        name = str(doc.get("unit") or run.get("unit_id") or "")
        ok = run.get("status", "ok") == "ok" and doc.get("total") is not None
        last = last_year(doc) if (ok and last_year is not None) else None
        title = ""
        if ok:
            title = sheet_name(name, used)
            _unit_sheet(wb, title, doc, last)
        declared = (doc.get("declared") or {}).get("total")
        total = doc.get("total") if ok else None
        gap = None if declared is None or total is None else round(total - declared, 2)
        summary_rows.append(
            [
                name,
                run.get("department", ""),
                declared,
                total,
                gap,
                None if gap is None or not declared else gap / declared,
                (doc.get("declared") or {}).get("grade") or "",
                (doc.get("grade") or "") if ok else "",
                _main_reasons(doc) if ok else clean_text(run.get("error", "")),
                status(doc),
                None if last is None else last.total,
                None if last is None else last.change(total),
                title,
            ]
        )
    columns = SUMMARY_COLUMNS + SUMMARY_EXTRA
    _fit(summary, summary_rows, columns)
    summary.freeze_panes = "A2"
    summary.auto_filter.ref = f"A1:{get_column_letter(len(columns))}{len(summary_rows) + 1}"
    summary.append(_header(summary, columns))
    formats = {
        2: SCORE_FORMAT,
        3: SCORE_FORMAT,
        4: SCORE_FORMAT,
        5: PERCENT_FORMAT,
        10: SCORE_FORMAT,
        11: SCORE_FORMAT,
    }
    for r in summary_rows:
        summary.append(
            [
                _number_cell(summary, v, formats[j]) if j in formats else _text_cell(summary, v)
                for j, v in enumerate(r)
            ]
        )
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.stem[:40]}.{os.getpid()}.tmp.xlsx")
    try:
        wb.save(tmp)
        os.replace(tmp, out)
    finally:
        tmp.unlink(missing_ok=True)
    return out


WORKPAPER_NAME = "复核底稿.xlsx"
YEAR_REPORT_NAME = "汇总.docx"


def write_year_deliverables(
    results: list[dict[str, Any]], out_dir: str | os.PathLike[str], year: str
) -> list[Path]:
    """The year's 复核底稿.xlsx and word/汇总.docx from the units' result documents (what the batch
    writes after the summary); last year comes from each result's ``run.last_year``."""
    from evalkit.errors import EvalkitError
    from evalkit.report.word import write_year_report
    from evalkit.scoring.profiles import load_profile

    def last(doc: dict[str, Any]) -> LastYear | None:
        return LastYear.from_json((doc.get("run") or {}).get("last_year"))

    names = {str(d.get("profile") or "") for d in results if d.get("profile")}
    threshold = 10.0
    if len(names) == 1:
        with contextlib.suppress(EvalkitError):  # a profile that no longer loads: the default
            threshold = load_profile(names.pop()).history.score_change_threshold
    out = Path(out_dir)
    xlsx = write_workpaper(results, out / WORKPAPER_NAME, last_year=last)

    def last_total(doc: dict[str, Any]) -> float | None:
        found = last(doc)
        return None if found is None else found.total

    docx = write_year_report(
        results, out / "word" / YEAR_REPORT_NAME, year, last_total=last_total, threshold=threshold
    )
    return [xlsx, docx]
