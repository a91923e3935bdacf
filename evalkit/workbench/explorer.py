"""The summary explorer: widgets that filter and regroup a year's units in JupyterLab."""

from __future__ import annotations

import os
from typing import Any

from evalkit.report import frames
from evalkit.report.index import (
    GRADE_ORDER,
    GROUPINGS,
    REVIEW_STATES,
    group_units,
    groups_html,
    load_results,
    units_html,
)


def explorer(results: str | os.PathLike[str], link_prefix: str | None = None) -> Any:
    """Widgets to filter the units by grade, department and review status and regroup them (grade,
    finding, department, difference).

    Each unit links to its report; the links are relative to the kernel's folder (the notebook's,
    in JupyterLab), which ``link_prefix`` overrides, so JupyterLab opens the report in a tab.
    """
    import ipywidgets as w
    from IPython.display import HTML, display

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
    status = w.Dropdown(
        options=[("全部状态", ""), *[(st, st) for st in REVIEW_STATES]],
        description="复核状态",
        style={"description_width": "initial"},
    )
    by = w.Dropdown(options=[(v, k) for k, v in GROUPINGS.items()], value="grade", description="分组")
    prefix = link_prefix if link_prefix is not None else _relative(results)
    # An Output widget renders through JupyterLab's own HTML renderer, whose link handler opens a
    # relative link to a workspace file in a tab (a link in a plain HTML widget would 404).
    out = w.Output()
    html: dict[str, str] = {"value": ""}

    def update(_: Any = None) -> None:
        sel = units
        if grade.value:
            sel = sel[sel["grade"] == grade.value]
        if department.value:
            sel = sel[sel["department"] == department.value]
        if status.value:
            sel = sel[sel["review_status"] == status.value]
        f = findings[findings["unit_id"].isin(sel["unit_id"])]
        html["value"] = (
            f'<div class="ek"><h3>{GROUPINGS[by.value]}</h3>{groups_html(group_units(sel, f, by.value), GROUPINGS[by.value])}'
            f"<h3>单位（{len(sel)}）</h3>{units_html(sel, prefix)}</div>"
        )
        out.clear_output(wait=True)
        with out:
            display(HTML(html["value"]))

    for widget in (grade, department, status, by):
        widget.observe(update, "value")
    update()
    box = w.VBox([w.HTML(f"<style>{css()}</style>"), w.HBox([grade, department, status, by]), out])
    box.update = update  # type: ignore[attr-defined]  # tests call it after setting values
    box.controls = {"grade": grade, "department": department, "status": status, "by": by, "out": out}  # type: ignore[attr-defined]
    box.html = html  # type: ignore[attr-defined]  # the HTML last shown (tests read it)
    return box


def _relative(results: str | os.PathLike[str]) -> str:
    try:
        return os.path.relpath(results)
    except ValueError:  # another drive on Windows: no relative link exists
        return str(results)
