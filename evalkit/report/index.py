"""A year's summary: every unit's result side by side, for ``notebooks/summary.ipynb`` and the index.

It reads only the machine-readable results a batch run leaves (``outputs/<year>/<unit-id>.json``),
never the filings. :class:`Summary` gives the static sections of ``index.html``; :func:`explorer`
the widgets that filter and regroup the units in JupyterLab; :func:`write_excel` ``summary.xlsx``.
"""

from __future__ import annotations

import io
import json
import os
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pandas as pd
from markupsafe import Markup

from evalkit.fileio import atomic_write_bytes, text_cell
from evalkit.report import frames as tables
from evalkit.report.sections import render_section
from evalkit.scoring.decisions import STATUS_DOING, STATUS_DONE, STATUS_TODO

GROUPINGS = {
    "grade": "复核等级",
    "family": "发现类别",
    "code": "发现代码",
    "department": "主管部门",
    "difference": "分差（自评−复核）",
}
DIFF_BINS = ("自评低于复核", "一致（±0.01分内）", "偏高不足5分", "偏高5至10分", "偏高10分以上", "无自评分")
GRADE_ORDER = ("优", "良", "中", "差")
REVIEW_STATES = (STATUS_TODO, STATUS_DOING, STATUS_DONE)
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
    if "disposition" in findings:
        findings = findings[findings["disposition"] != "set_aside"]  # set aside: not a finding any more
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


def _diff(value: Any) -> str:
    return "" if value is None or pd.isna(value) else f"{value:+.2f}"


def units_html(units: pd.DataFrame, link_prefix: str = "") -> Markup:
    """The unit table: links to each report, declared vs reviewed, execution rate, findings (set-aside
    ones not counted), the review status and the findings by disposition. ``link_prefix`` is the
    results folder as seen from where the table is shown (empty beside the reports, in ``index.html``)."""
    rows = []
    for u in units.itertuples(index=False):
        report = _link(link_prefix, u.report)
        if u.status != "ok":
            rows.append(
                {
                    "failed": True,
                    "unit_id": _text(u.unit_id),
                    "unit": _text(u.unit),
                    "href": _href(report) if u.report else "",
                    "department": _text(u.department),
                    "error": _text(u.error),
                }
            )
            continue
        declared = " ".join(
            x
            for x in (_num(u.declared_total) if pd.notna(u.declared_total) else "", _text(u.declared_grade))
            if x
        )
        rows.append(
            {
                "failed": False,
                "unit_id": _text(u.unit_id),
                "unit": _text(u.unit),
                "href": _href(report),
                "department": _text(u.department),
                "kind": _text(u.kind),
                "declared": declared,
                "total": u.total,
                "grade": _text(u.grade),
                "diff": _diff(u.difference),
                "diff_bad": bool(pd.notna(u.difference) and u.difference > 0.01),
                "rate": _pct(u.budget_rate),
                "errors": int(u.errors),
                "warnings": int(u.warnings),
                "infos": int(u.infos),
                "reviewed_items": int(u.reviewed_items),
                "review_status": _text(u.review_status),
                "upheld": _count(u.findings_upheld),
                "set_aside": _count(u.findings_set_aside),
                "pending": _count(u.findings_pending),
            }
        )
    return render_section("index_units.html.j2", rows=rows)


def _link(prefix: str, report: Any) -> str:
    report = _text(report)
    return f"{prefix.rstrip('/')}/{report}" if prefix and report else report


def _count(value: Any) -> int:
    return 0 if value is None or pd.isna(value) else int(value)


def groups_html(groups: pd.DataFrame, label: str) -> Markup:
    """A regrouped table (see :func:`group_units`)."""
    rows = [
        {
            "group": _text(g.group),
            "units": g.units,
            "findings": g.findings,
            "mean_total": _num(g.mean_total),
            "names": _text(g.names),
        }
        for g in groups.itertuples(index=False)
    ]
    return render_section("index_groups.html.j2", rows=rows, label=label)


class Summary:
    """The static sections of a year's index page (each returns None when ``show`` is False)."""

    def __init__(
        self,
        results: str | os.PathLike[str],
        year: int | str | None = None,
        show: bool = True,
        link_prefix: str = "",
    ) -> None:
        self.folder = Path(results)
        # Shown inside JupyterLab, links resolve from the notebook's folder: prefix the results folder.
        self.link_prefix = link_prefix
        self.results = load_results(self.folder)
        self.year = year
        self.show = show
        self.frame = tables.units(self.results)  # one row per unit
        self.findings_df = tables.unit_findings(self.results)

    def _html(self, body: Markup) -> Any:
        if not self.show:
            return None
        from IPython.display import HTML

        return HTML(render_section("ek.html.j2", body=body))

    @property
    def ok(self) -> pd.DataFrame:
        """The units whose run succeeded."""
        return self.frame[self.frame["status"] == "ok"]

    def header(self) -> Any:
        """Title and the year's key figures."""
        ok, n_failed = self.ok, int((self.frame["status"] != "ok").sum())
        return self._html(
            render_section(
                "index_header.html.j2",
                headings=HEADINGS,
                year=f"{self.year}年度" if self.year else "",
                units=len(self.frame),
                failed=n_failed,
                mean=_num(ok["total"].mean()) if not ok.empty else "—",
                inflated=int((ok["difference"] > 0.01).sum()),
                regraded=int((ok["declared_grade"].notna() & (ok["declared_grade"] != ok["grade"])).sum()),
                grades="　".join(f"{g} {int((ok['grade'] == g).sum())}" for g in GRADE_ORDER),
                states="　".join(f"{st} {int((ok['review_status'] == st).sum())}" for st in REVIEW_STATES),
                xlsx=(self.folder / "summary.xlsx").is_file(),
            )
        )

    def _section(self, heading: str, *parts: tuple[str, Markup], note: str = "", empty: str = "") -> Any:
        # parts: (sub-heading, markup another template rendered); empty: text shown instead of parts.
        return self._html(
            render_section(
                "index_section.html.j2",
                heading=heading,
                parts=[{"sub": sub, "body": body} for sub, body in parts],
                note=note,
                empty=empty,
            )
        )

    def units(self) -> Any:
        """单位一览."""
        return self._section(
            HEADINGS["units"],
            ("", units_html(self.frame, self.link_prefix)),
            note="点单位名称打开其复核报告；分差为正表示自评分高于复核得分。",
        )

    def charts(self) -> Any:
        """Grade distribution and execution-rate charts."""
        if not self.show:
            return None
        from evalkit.report import charts
        from evalkit.report.sections import png_img

        df = self.frame
        if self.ok.empty:
            return self._section(HEADINGS["charts"], empty="暂无数据。")
        return self._section(
            HEADINGS["charts"],
            ("", png_img(charts.to_png(charts.grade_distribution(df)), "等级分布图")),
            ("", png_img(charts.to_png(charts.execution_rates(df)), "预算执行率图")),
        )

    def ranking(self) -> Any:
        """Units by reviewed total, best first."""
        ranked = self.ok.sort_values(["total", "unit"], ascending=[False, True])
        rows = [
            {
                "href": _href(_link(self.link_prefix, u.report)),
                "unit": _text(u.unit),
                "total": u.total,
                "grade": _text(u.grade),
                "diff": _diff(u.difference),
            }
            for u in ranked.itertuples(index=False)
        ]
        return self._html(render_section("index_ranking.html.j2", headings=HEADINGS, rows=rows))

    def findings(self) -> Any:
        """Findings by family and by code across the units."""
        by_family = group_units(self.frame, self.findings_df, "family")
        by_code = group_units(self.frame, self.findings_df, "code")
        return self._section(
            HEADINGS["findings"],
            ("按类别", groups_html(by_family, "类别")),
            ("按代码", groups_html(by_code, "代码")),
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
        sheet.append([text_cell(sheet, name) for name in frame.columns])
        for row in frame.itertuples(index=False, name=None):
            # Every text a string cell: a unit name "=HYPERLINK(…)" or a target "=100%" stays text.
            sheet.append([text_cell(sheet, None if _is_missing(v) else _plain(v)) for v in row])
    buf = io.BytesIO()
    book.save(buf)
    return atomic_write_bytes(path, buf.getvalue())


def _plain(value: Any) -> Any:
    # numpy scalars to Python ones; containers (a list of codes) as text, as openpyxl would refuse them.
    if hasattr(value, "item") and not isinstance(value, (str, bytes)):
        try:
            return value.item()
        except (TypeError, ValueError):
            return str(value)
    if isinstance(value, (list, tuple, dict, set)):
        return str(value)
    return value


def _is_missing(value: Any) -> bool:
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):  # lists and other containers are values, not missing
        return False
