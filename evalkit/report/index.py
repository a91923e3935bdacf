"""A year's summary: every unit's result side by side, for ``notebooks/summary.ipynb`` and the index.

It reads only the machine-readable results a batch run leaves (``outputs/<year>/<unit-id>.json``),
never the filings. :class:`Summary` gives the static sections of ``index.html``; :func:`explorer`
the widgets that filter and regroup the units in JupyterLab; :func:`write_excel` ``summary.xlsx``.
"""

from __future__ import annotations

import io
import json
import os
from html import escape
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pandas as pd

from evalkit.fileio import atomic_write_bytes
from evalkit.report import frames as tables

GROUPINGS = {
    "grade": "复核等级",
    "family": "发现类别",
    "code": "发现代码",
    "department": "主管部门",
    "difference": "分差（自评−复核）",
}
DIFF_BINS = ("自评低于复核", "一致（±0.01分内）", "偏高不足5分", "偏高5至10分", "偏高10分以上", "无自评分")
GRADE_ORDER = ("优", "良", "中", "差")
HEADINGS = {
    "title": "预算绩效自评复核汇总",
    "units": "单位一览",
    "charts": "等级分布与预算执行率",
    "ranking": "复核得分排名",
    "findings": "复核发现统计",
}


def load_results(folder: str | os.PathLike[str]) -> list[dict[str, Any]]:
    """Every unit result document in ``folder`` (``*.json``), by unit name."""
    p = Path(folder)
    if not p.is_dir():
        return []
    docs = []
    for f in sorted(p.glob("*.json")):
        try:
            doc = json.loads(f.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        if isinstance(doc, dict) and "run" in doc:
            doc["run"].setdefault("unit_id", f.stem)
            docs.append(doc)
    return sorted(docs, key=lambda d: str(d.get("unit") or d["run"]["unit_id"]))


def difference_bin(diff: float | None, tolerance: float = 0.01) -> str:
    """The score-difference band of a unit (declared − reviewed)."""
    if diff is None or pd.isna(diff):
        return DIFF_BINS[5]
    if diff < -tolerance:
        return DIFF_BINS[0]
    if diff <= tolerance:
        return DIFF_BINS[1]
    if diff < 5:
        return DIFF_BINS[2]
    if diff < 10:
        return DIFF_BINS[3]
    return DIFF_BINS[4]


def group_units(units: pd.DataFrame, findings: pd.DataFrame, by: str) -> pd.DataFrame:
    """Regroup the units: one row per grade / finding family / code / department / difference band.

    Columns: ``group``, ``units`` (count), ``findings`` (count, for finding groupings),
    ``mean_total``, ``names`` (the units, joined).
    """
    ok = units[units["status"] == "ok"].copy()
    if by in ("family", "code"):
        col = "family_label" if by == "family" else "code"
        if findings.empty:
            return pd.DataFrame(columns=["group", "units", "findings", "mean_total", "names"])
        totals = ok.set_index("unit_id")["total"]
        rows = []
        for group, part in findings.groupby(col, sort=True):
            ids = list(dict.fromkeys(part["unit_id"]))
            rows.append(
                {
                    "group": group,
                    "units": len(ids),
                    "findings": len(part),
                    "mean_total": totals.reindex(ids).mean(),
                    "names": "、".join(dict.fromkeys(part["unit"])),
                }
            )
        return pd.DataFrame(rows).sort_values(
            ["findings", "group"], ascending=[False, True], ignore_index=True
        )
    if by == "difference":
        ok["group"] = [difference_bin(d) for d in ok["difference"]]
        order = {b: i for i, b in enumerate(DIFF_BINS)}
    elif by == "grade":
        ok["group"] = ok["grade"]
        order = {g: i for i, g in enumerate(GRADE_ORDER)}
    elif by == "department":
        ok["group"] = ok["department"].replace("", "（未填）")
        order = {}
    else:
        raise ValueError(f"unknown grouping {by!r}; one of {sorted(GROUPINGS)}")
    rows = [
        {
            "group": group,
            "units": len(part),
            "findings": int(part[["errors", "warnings", "infos"]].sum().sum()),
            "mean_total": part["total"].mean(),
            "names": "、".join(part["unit"]),
        }
        for group, part in ok.groupby("group", sort=False)
    ]
    out = pd.DataFrame(rows, columns=["group", "units", "findings", "mean_total", "names"])
    return out.sort_values("group", key=lambda s: s.map(lambda g: (order.get(g, 99), g)), ignore_index=True)


def _e(value: Any) -> str:
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return ""
    return escape(str(value))


def _text(value: Any) -> str:
    return "" if value is None or (isinstance(value, float) and pd.isna(value)) else str(value)


def _num(value: Any, digits: int = 2) -> str:
    if value is None or pd.isna(value):
        return "—"
    return f"{float(value):.{digits}f}"


def _pct(value: Any) -> str:
    return "—" if value is None or pd.isna(value) else f"{float(value) * 100:.2f}%"


def _href(path: str) -> str:
    """A relative link (never a host): path segments percent-encoded for non-ASCII unit ids."""
    return quote(path, safe="/")


def units_html(units: pd.DataFrame) -> str:
    """The unit table: links to each report, declared vs reviewed, execution rate, findings."""
    rows = []
    for u in units.itertuples(index=False):
        if u.status != "ok":
            link = f'<a href="{_href(u.report)}">{_e(u.unit)}</a>' if u.report else _e(u.unit)
            rows.append(
                f'<tr class="failed" data-unit="{_e(u.unit_id)}" data-status="failed"><td>{link}</td>'
                f'<td>{_e(u.department)}</td><td colspan="7" class="bad">{_e(u.error)}</td></tr>'
            )
            continue
        declared = " ".join(
            x
            for x in (_num(u.declared_total) if pd.notna(u.declared_total) else "", _text(u.declared_grade))
            if x
        )
        diff = "" if pd.isna(u.difference) else f"{u.difference:+.2f}"
        diff_cls = " bad" if pd.notna(u.difference) and u.difference > 0.01 else ""
        rows.append(
            f'<tr data-unit="{_e(u.unit_id)}" data-status="ok" data-total="{u.total:.2f}">'
            f'<td><a href="{_href(u.report)}">{_e(u.unit)}</a></td><td>{_e(u.department)}</td><td>{_e(u.kind)}</td>'
            f'<td class="n">{_e(declared) or "—"}</td><td class="n"><b>{u.total:.2f}</b> {_e(u.grade)}</td>'
            f'<td class="n{diff_cls}">{diff}</td><td class="n">{_pct(u.budget_rate)}</td>'
            f'<td class="n"><span class="error">{int(u.errors)}</span> / <span class="warning">{int(u.warnings)}</span>'
            f' / <span class="info">{int(u.infos)}</span></td><td class="n">{int(u.reviewed_items)}</td></tr>'
        )
    if not rows:
        rows.append('<tr><td colspan="9">暂无单位结果：请先运行 <code>evalkit run</code>。</td></tr>')
    return (
        "<table><thead><tr><th>单位（项目）</th><th>主管部门</th><th>类型</th><th class='n'>自评</th>"
        "<th class='n'>复核</th><th class='n'>分差</th><th class='n'>预算执行率</th>"
        "<th class='n'>错误 / 警告 / 提示</th><th class='n'>复核决定</th></tr></thead>"
        f"<tbody>{''.join(rows)}</tbody></table>"
    )


def groups_html(groups: pd.DataFrame, label: str) -> str:
    """A regrouped table (see :func:`group_units`)."""
    if groups.empty:
        return "<p>没有可分组的数据。</p>"
    body = "".join(
        f"<tr><td>{_e(g.group)}</td><td class='n'>{g.units}</td><td class='n'>{g.findings}</td>"
        f"<td class='n'>{_num(g.mean_total)}</td><td>{_e(g.names)}</td></tr>"
        for g in groups.itertuples(index=False)
    )
    return (
        f"<table><thead><tr><th>{_e(label)}</th><th class='n'>单位数</th><th class='n'>发现数</th>"
        f"<th class='n'>平均复核得分</th><th>单位</th></tr></thead><tbody>{body}</tbody></table>"
    )


class Summary:
    """The static sections of a year's index page (each returns None when ``show`` is False)."""

    def __init__(
        self, results: str | os.PathLike[str], year: int | str | None = None, show: bool = True
    ) -> None:
        self.folder = Path(results)
        self.results = load_results(self.folder)
        self.year = year
        self.show = show
        self.frame = tables.units(self.results)  # one row per unit
        self.findings_df = tables.unit_findings(self.results)

    def _html(self, text: str) -> Any:
        if not self.show:
            return None
        from IPython.display import HTML

        return HTML(f'<div class="ek">{text}</div>')

    @property
    def ok(self) -> pd.DataFrame:
        """The units whose run succeeded."""
        return self.frame[self.frame["status"] == "ok"]

    def header(self) -> Any:
        """Title and the year's key figures."""
        ok, n_failed = self.ok, int((self.frame["status"] != "ok").sum())
        inflated = int((ok["difference"] > 0.01).sum())
        regraded = int((ok["declared_grade"].notna() & (ok["declared_grade"] != ok["grade"])).sum())
        mean = _num(ok["total"].mean()) if not ok.empty else "—"
        grades = "　".join(f"{g} {int((ok['grade'] == g).sum())}" for g in GRADE_ORDER)
        failed = (
            f'<div class="card"><small>运行失败</small><b class="bad" data-failed="{n_failed}">{n_failed}</b></div>'
            if n_failed
            else ""
        )
        year = f"{self.year}年度" if self.year else ""
        xlsx = (
            '<p class="note noprint">明细表：<a href="summary.xlsx">summary.xlsx</a>（单位汇总、复核发现、指标明细）</p>'
            if (self.folder / "summary.xlsx").is_file()
            else ""
        )
        return self._html(
            f'<p class="kicker">{HEADINGS["title"]}</p><h1>{year}各单位复核结果</h1>'
            f'<div class="cards"><div class="card hi"><small>单位数</small><b data-units="{len(self.frame)}">'
            f"{len(self.frame)}</b></div>{failed}"
            f'<div class="card"><small>平均复核得分</small><b>{mean}</b></div>'
            f'<div class="card"><small>自评分高于复核</small><b>{inflated}</b></div>'
            f'<div class="card"><small>等级与自评不一致</small><b>{regraded}</b></div>'
            f'<div class="card"><small>复核等级</small><b>{grades}</b></div></div>{xlsx}'
        )

    def units(self) -> Any:
        """单位一览."""
        return self._html(
            f"<h2>{HEADINGS['units']}</h2>{units_html(self.frame)}"
            '<p class="note">点单位名称打开其复核报告；分差为正表示自评分高于复核得分。</p>'
        )

    def charts(self) -> Any:
        """Grade distribution and execution-rate charts."""
        if not self.show:
            return None
        from evalkit.report import charts
        from evalkit.report.sections import png_img

        df = self.frame
        if self.ok.empty:
            return self._html(f"<h2>{HEADINGS['charts']}</h2><p>暂无数据。</p>")
        return self._html(
            f"<h2>{HEADINGS['charts']}</h2>"
            + png_img(charts.to_png(charts.grade_distribution(df)), "等级分布图")
            + png_img(charts.to_png(charts.execution_rates(df)), "预算执行率图")
        )

    def ranking(self) -> Any:
        """Units by reviewed total, best first."""
        ranked = self.ok.sort_values(["total", "unit"], ascending=[False, True])
        rows = "".join(
            f"<tr><td class='n'>{i}</td><td><a href='{_href(u.report)}'>{_e(u.unit)}</a></td>"
            f"<td class='n'>{u.total:.2f}</td><td>{_e(u.grade)}</td>"
            f"<td class='n'>{'' if pd.isna(u.difference) else f'{u.difference:+.2f}'}</td></tr>"
            for i, u in enumerate(ranked.itertuples(index=False), start=1)
        )
        return self._html(
            f'<h2>{HEADINGS["ranking"]}</h2><table><thead><tr><th class="n">名次</th><th>单位（项目）</th>'
            f'<th class="n">复核得分</th><th>等级</th><th class="n">分差</th></tr></thead><tbody>{rows}</tbody></table>'
        )

    def findings(self) -> Any:
        """Findings by family and by code across the units."""
        by_family = group_units(self.frame, self.findings_df, "family")
        by_code = group_units(self.frame, self.findings_df, "code")
        return self._html(
            f"<h2>{HEADINGS['findings']}</h2><h3>按类别</h3>{groups_html(by_family, '类别')}"
            f"<h3>按代码</h3>{groups_html(by_code, '代码')}"
        )


def write_excel(results: list[dict[str, Any]], path: str | os.PathLike[str]) -> Path:
    """``summary.xlsx``: 单位汇总, 复核发现, 指标明细 sheets with Chinese headings (atomic write)."""
    from openpyxl import Workbook
    from openpyxl.utils import get_column_letter

    # Write-only mode streams rows out instead of keeping a cell object per value: a province's
    # thousands of units made the in-memory workbook cost hundreds of MB.
    book = Workbook(write_only=True)
    sheets = {
        "单位汇总": tables.units(results),
        "复核发现": tables.unit_findings(results),
        "指标明细": tables.unit_indicators(results),
    }
    for title, frame in sheets.items():
        frame = tables.labelled(frame)
        sheet = book.create_sheet(title)
        head = frame.head(50)
        for i, name in enumerate(frame.columns, 1):
            width = max([len(str(name)), *(len(str(v)) for v in head.iloc[:, i - 1] if pd.notna(v))])
            sheet.column_dimensions[get_column_letter(i)].width = min(max(8, width * 1.6), 60)
        sheet.append(list(frame.columns))
        for row in frame.itertuples(index=False, name=None):
            sheet.append([None if _is_missing(v) else v for v in row])
    buf = io.BytesIO()
    book.save(buf)
    return atomic_write_bytes(path, buf.getvalue())


def _is_missing(value: Any) -> bool:
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):  # lists and other containers are values, not missing
        return False
