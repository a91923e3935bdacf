"""The report exporter renders what nbconvert's HTMLExporter renders, without its BeautifulSoup pass.

The pass only adds ``alt`` texts and ``tabindex`` where the report has nothing to add them to,
and prints the page again (attributes sorted, ``<br/>``): the two pages are the same document.
"""

from __future__ import annotations

import base64
from pathlib import Path

import nbformat
from bs4 import BeautifulSoup
from nbconvert import HTMLExporter

from evalkit.pipeline import review
from evalkit.report import charts, render
from evalkit.report import sections as report

ROOT = Path(__file__).resolve().parent.parent
SEED = ROOT / "parameters" / "2024" / "武汉市蔡甸区红十字会.yaml"


def _executed_like() -> nbformat.NotebookNode:
    # What an executed review notebook holds: the hidden how-to cell, code cells whose outputs are
    # the report's sections, a chart as image/png, a stream and an empty cell.
    rv = review(SEED)
    nb = nbformat.v4.new_notebook()
    nb.cells.append(
        nbformat.v4.new_markdown_cell(
            "# 在 JupyterLab 中运行全部单元格", metadata={"tags": [render.HIDE_TAG]}
        )
    )
    for html in (
        report.header_html(rv),
        report.budget_html(rv),
        report.indicators_html(rv),
        report.findings_html(rv),
    ):
        cell = nbformat.v4.new_code_cell("page.section()")
        cell.outputs = [nbformat.v4.new_output("display_data", data={"text/html": str(html)})]
        nb.cells.append(cell)
    png = base64.b64encode(charts.budget_png(rv)).decode()
    chart = nbformat.v4.new_code_cell("chart")
    chart.outputs = [
        nbformat.v4.new_output("display_data", data={"image/png": png, "text/plain": "<Figure>"}),
        nbformat.v4.new_output("stream", name="stdout", text="完成\n"),
    ]
    nb.cells += [chart, nbformat.v4.new_code_cell("x = 1")]
    return nb


def test_report_page_is_the_document_nbconvert_renders() -> None:
    ours = render.notebook_to_html(_executed_like(), "测试 · 预算绩效自评复核报告")
    ex = render.exporter()
    theirs_exporter = HTMLExporter(
        config=ex.config,
        template_name=ex.template_name,
        extra_template_basedirs=ex.extra_template_basedirs,
        exclude_input=True,
        exclude_input_prompt=True,
        exclude_output_prompt=True,
    )
    theirs_exporter.register_preprocessor("nbconvert.preprocessors.TagRemovePreprocessor", enabled=True)
    theirs, _ = theirs_exporter.from_notebook_node(
        _executed_like(), resources={"metadata": {"name": "测试 · 预算绩效自评复核报告"}}
    )
    assert "运行全部单元格" not in ours and "data-total=" in ours and "<img" in ours
    assert BeautifulSoup(ours, "html.parser") == BeautifulSoup(theirs, "html.parser")
    # Every image the report shows has its alt text (what the skipped pass would have added).
    assert all(img.get("alt") for img in BeautifulSoup(ours, "html.parser").find_all("img"))
