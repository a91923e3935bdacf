"""The summary explorer: widgets that filter and regroup a year's units in JupyterLab."""

from __future__ import annotations

import os
from typing import Any

from evalkit.report import frames
from evalkit.report.index import GRADE_ORDER, GROUPINGS, group_units, groups_html, load_results, units_html


def explorer(results: str | os.PathLike[str]) -> Any:
    """Widgets to filter the units by grade and regroup them (grade, finding, department, difference)."""
    import ipywidgets as w

    from evalkit.report.sections import css

    docs = load_results(results)
    units = frames.units(docs)
    findings = frames.unit_findings(docs)
    grade = w.Dropdown(options=[("全部等级", ""), *[(g, g) for g in GRADE_ORDER]], description="等级")
    department = w.Dropdown(
        options=[("全部部门", ""), *[(d, d) for d in sorted(set(units["department"]) - {""})]],
        description="主管部门",
        style={"description_width": "initial"},
    )
    by = w.Dropdown(options=[(v, k) for k, v in GROUPINGS.items()], value="grade", description="分组")
    out = w.HTML()

    def update(_: Any = None) -> None:
        sel = units
        if grade.value:
            sel = sel[sel["grade"] == grade.value]
        if department.value:
            sel = sel[sel["department"] == department.value]
        f = findings[findings["unit_id"].isin(sel["unit_id"])]
        out.value = (
            f'<div class="ek"><h3>{GROUPINGS[by.value]}</h3>{groups_html(group_units(sel, f, by.value), GROUPINGS[by.value])}'
            f"<h3>单位（{len(sel)}）</h3>{units_html(sel)}</div>"
        )

    for widget in (grade, department, by):
        widget.observe(update, "value")
    update()
    box = w.VBox([w.HTML(f"<style>{css()}</style>"), w.HBox([grade, department, by]), out])
    box.update = update  # type: ignore[attr-defined]  # tests call it after setting values
    box.controls = {"grade": grade, "department": department, "by": by, "out": out}  # type: ignore[attr-defined]
    return box
