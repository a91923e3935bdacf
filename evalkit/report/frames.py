"""Tidy DataFrames at the edges: one row per indicator, per finding, per unit, with stable columns.

The per-unit functions read the machine-readable results a batch run leaves
(``outputs/<year>/<unit-id>.json``: the review's JSON plus a ``run`` block), never the filings.
Column names are English identifiers; :data:`LABELS` gives the Chinese headings for display.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

import pandas as pd

from evalkit.checks import FAMILY_LABELS, SEVERITY_LABELS
from evalkit.scoring.decisions import DISPOSITION_LABELS, HANDLED, PENDING, SET_ASIDE, UPHELD, row_label
from evalkit.scoring.rules import RULE_LABELS

if TYPE_CHECKING:
    from evalkit.pipeline import Review

INDICATOR_COLUMNS = [
    "key",
    "goal",
    "row",
    "label",
    "level1",
    "level2",
    "name",
    "target",
    "actual",
    "weight",
    "self_score",
    "rule",
    "rule_label",
    "rule_score",
    "score",
    "deduction",
    "final",
    "deviation",
    "over_target",
    "reviewer",
    "tier",
    "deduction_reason",
    "comment",
    "reason",
]
FINDING_COLUMNS = [
    "code",
    "family",
    "family_label",
    "severity",
    "severity_label",
    "where",
    "message",
    "disposition",
    "disposition_label",
    "disposition_reason",
]
UNIT_COLUMNS = [
    "unit_id",
    "unit",
    "department",
    "kind",
    "year",
    "status",
    "error",
    "declared_total",
    "declared_grade",
    "total",
    "grade",
    "difference",
    "budget_rate",
    "budget_score",
    "errors",
    "warnings",
    "infos",
    "review_status",
    "findings_upheld",
    "findings_set_aside",
    "findings_pending",
    "reviewed_items",
    "report",
    "profile",
]
UNIT_FINDING_COLUMNS = ["unit_id", "unit", "department", *FINDING_COLUMNS]

LABELS = {
    "unit_id": "单位编号",
    "unit": "单位（项目）",
    "department": "主管部门",
    "kind": "类型",
    "year": "年度",
    "status": "状态",
    "error": "错误信息",
    "declared_total": "自评得分",
    "declared_grade": "自评等级",
    "total": "复核得分",
    "grade": "复核等级",
    "difference": "分差（自评−复核）",
    "budget_rate": "预算执行率",
    "budget_score": "预算执行得分",
    "errors": "错误",
    "warnings": "警告",
    "infos": "提示",
    "reviewed_items": "复核决定数",
    "review_status": "复核状态",
    "findings_upheld": "发现采纳",
    "findings_set_aside": "发现不采纳",
    "findings_pending": "发现待定",
    "disposition": "处置代码",
    "disposition_label": "处置",
    "disposition_reason": "处置理由",
    "label": "指标",
    "report": "报告",
    "profile": "评分方案",
    "key": "编号",
    "goal": "目标",
    "row": "行",
    "level1": "一级指标",
    "level2": "二级指标",
    "name": "三级指标",
    "target": "目标值",
    "actual": "实际完成值",
    "weight": "分值",
    "self_score": "自评分",
    "rule": "计分规则代码",
    "rule_label": "计分规则",
    "rule_score": "规则得分",
    "score": "复核得分（扣分前）",
    "deduction": "复核扣分",
    "final": "复核得分（扣分后）",
    "deviation": "偏离度",
    "over_target": "完成值远高于目标",
    "reviewer": "含复核决定",
    "tier": "复核等次",
    "deduction_reason": "扣分理由",
    "comment": "复核备注",
    "reason": "偏差原因（填报）",
    "code": "代码",
    "family": "类别代码",
    "family_label": "类别",
    "severity": "级别代码",
    "severity_label": "级别",
    "where": "位置",
    "message": "内容",
}


def indicators(rv: Review) -> pd.DataFrame:
    """One row per indicator of a review: as filed, as scored, and the reviewer's decision."""
    rows = []
    for s in rv.card.indicators:
        ind = s.indicator
        decision = rv.decisions.get(ind.key)
        rows.append(
            {
                "key": ind.key,
                "label": row_label(ind.goal, ind.row, ind.name),
                "goal": ind.goal,
                "row": ind.row,
                "level1": ind.level1,
                "level2": ind.level2,
                "name": ind.name,
                "target": ind.target_text,
                "actual": ind.actual_text,
                "weight": s.weight,
                "self_score": ind.self_score,
                "rule": s.rule,
                "rule_label": RULE_LABELS.get(s.rule, s.rule),
                "rule_score": s.rule_score,
                "score": s.score,
                "deduction": s.deduction,
                "final": s.score - s.deduction,
                "deviation": s.deviation,
                "over_target": s.over_target,
                "reviewer": s.reviewer,
                "tier": decision.tier if decision else None,
                "deduction_reason": s.deduction_reason,
                "comment": decision.comment if decision else "",
                "reason": ind.reason,
            }
        )
    return pd.DataFrame(rows, columns=INDICATOR_COLUMNS)


def findings(rv: Review) -> pd.DataFrame:
    """One row per finding of a review, errors first."""
    rows = []
    for f in rv.findings:
        d = rv.disposition(f)
        rows.append(_finding_row(f.code, f.family, f.severity, f.where, f.message, d.status, d.reason))
    return pd.DataFrame(rows, columns=FINDING_COLUMNS)


def _finding_row(
    code: str,
    family: str,
    severity: str,
    where: str,
    message: str,
    disposition: str = PENDING,
    reason: str = "",
) -> dict[str, Any]:
    return {
        "code": code,
        "family": family,
        "family_label": FAMILY_LABELS.get(family, family),
        "severity": severity,
        "severity_label": SEVERITY_LABELS.get(severity, severity),
        "where": where,
        "message": message,
        "disposition": disposition,
        "disposition_label": DISPOSITION_LABELS.get(disposition, disposition),
        "disposition_reason": reason,
    }


def unit_row(result: dict[str, Any]) -> dict[str, Any]:
    """The summary row of one unit's result document (a failed run has only ``run`` filled)."""
    run = result.get("run", {})
    budget = result.get("budget") or {}
    findings_ = result.get("findings") or []
    declared = (result.get("declared") or {}).get("total")
    total = result.get("total")
    # A finding the reviewer set aside (不采纳) no longer counts against the unit.
    standing = [f for f in findings_ if f.get("disposition") != SET_ASIDE]
    count = {
        sev: sum(1 for f in standing if f.get("severity") == sev) for sev in ("error", "warning", "info")
    }
    by_disposition = {
        key: sum(1 for f in findings_ if f.get("disposition", PENDING) in keys)
        for key, keys in (("upheld", (UPHELD, HANDLED)), ("set_aside", (SET_ASIDE,)), ("pending", (PENDING,)))
    }
    ok = run.get("status", "ok") == "ok"
    return {
        "unit_id": run.get("unit_id", ""),
        "unit": result.get("unit") or run.get("unit_id", ""),
        "department": run.get("department", ""),
        "kind": result.get("kind", ""),
        "year": result.get("year") or run.get("year"),
        "status": run.get("status", "ok"),
        "error": run.get("error", ""),
        "declared_total": declared,
        "declared_grade": (result.get("declared") or {}).get("grade"),
        "total": total,
        "grade": result.get("grade"),
        "difference": round(declared - total, 2)
        if ok and declared is not None and total is not None
        else None,
        "budget_rate": budget.get("rate"),
        "budget_score": budget.get("score"),
        "errors": count["error"] if ok else None,
        "warnings": count["warning"] if ok else None,
        "infos": count["info"] if ok else None,
        "review_status": result.get("review_status", "") if ok else "",
        "findings_upheld": by_disposition["upheld"] if ok else None,
        "findings_set_aside": by_disposition["set_aside"] if ok else None,
        "findings_pending": by_disposition["pending"] if ok else None,
        "reviewed_items": sum(1 for i in result.get("indicators") or [] if i.get("reviewer")) if ok else None,
        "report": run.get("report", ""),
        "profile": result.get("profile", ""),
    }


def units(results: Iterable[dict[str, Any]]) -> pd.DataFrame:
    """One row per unit result, in the order given."""
    return pd.DataFrame([unit_row(r) for r in results], columns=UNIT_COLUMNS)


def unit_findings(results: Iterable[dict[str, Any]]) -> pd.DataFrame:
    """One row per finding of every unit result."""
    rows = []
    for r in results:
        run = r.get("run", {})
        for f in r.get("findings") or []:
            rows.append(
                {
                    "unit_id": run.get("unit_id", ""),
                    "unit": r.get("unit", ""),
                    "department": run.get("department", ""),
                    **_finding_row(
                        f["code"],
                        f["family"],
                        f["severity"],
                        f.get("where", ""),
                        f["message"],
                        f.get("disposition", PENDING),
                        f.get("disposition_reason", ""),
                    ),
                }
            )
    return pd.DataFrame(rows, columns=UNIT_FINDING_COLUMNS)


def unit_indicators(results: Iterable[dict[str, Any]]) -> pd.DataFrame:
    """One row per indicator of every unit result (the review JSON's indicator keys), rows named by
    their label (``1-6 新增粮食产能``) rather than the internal key, the final score (after the
    deduction) beside the deduction."""
    rows = []
    for r in results:
        run = r.get("run", {})
        for i in r.get("indicators") or []:
            row = {"unit_id": run.get("unit_id", ""), "unit": r.get("unit", ""), **i}
            key = row.pop("key", "")
            if "label" not in row:
                row["label"] = key
            if "final" not in row and row.get("score") is not None:
                row["final"] = round(row["score"] - (row.get("deduction") or 0.0), 2)
            rows.append(row)
    frame = pd.DataFrame(rows)
    if frame.empty:
        return frame
    first = ["unit_id", "unit", "label", "score", "deduction", "final"]
    return frame[[c for c in first if c in frame] + [c for c in frame.columns if c not in first]]


def labelled(df: pd.DataFrame) -> pd.DataFrame:
    """The same frame with Chinese column headings (for display and the Excel export)."""
    return df.rename(columns={c: LABELS.get(c, c) for c in df.columns})
