"""The nbconvert template: outputs only (no code, prompts, stderr, widget views, plain reprs),
Chinese headings, a print stylesheet, nothing fetched from any host, and a small page."""

from __future__ import annotations

import re
from pathlib import Path

from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

from evalkit.report import sections as report
from evalkit.report.render import notebook_to_html

ROOT = Path(__file__).resolve().parent.parent
SEED_YAML = ROOT / "parameters" / "2024" / "武汉市蔡甸区红十字会.yaml"
HEADINGS = ("预算绩效自评复核报告", "评分总览", "预算执行情况", "绩效指标", "复核发现", "复核意见")


def html_output(text: str) -> dict:
    return new_output(
        "display_data", data={"text/html": text, "text/plain": "<IPython.core.display.HTML object>"}
    )


def rendered() -> str:
    rv = report.load(SEED_YAML)
    sections = [
        report.header_html(rv),
        report.budget_html(rv),
        report.indicators_html(rv),
        report.findings_html(rv),
        report.decisions_html(rv) + report.footer_html(rv),
    ]
    hidden = new_markdown_cell("# 使用说明（不进报告）")
    hidden.metadata["tags"] = ["report-hide"]
    cells = [
        hidden,
        new_code_cell(
            "SECRET_SOURCE_CODE = 1",
            outputs=[
                new_output("stream", name="stderr", text="UserWarning: stderr noise\n"),
                new_output("stream", name="stdout", text="stdout chatter\n"),
                new_output(
                    "execute_result", data={"text/plain": "PosixPath('/tmp/x.json')"}, execution_count=1
                ),
                new_output(
                    "display_data",
                    data={
                        "application/vnd.jupyter.widget-view+json": {"model_id": "abc", "version_major": 2},
                        "text/plain": "VBox(children=(...))",
                    },
                ),
            ],
            execution_count=1,
        ),
        *[new_code_cell("page.section()", outputs=[html_output(s)], execution_count=2) for s in sections],
    ]
    return notebook_to_html(new_notebook(cells=cells), "武汉市蔡甸区红十字会 · 预算绩效自评复核报告")


def test_report_page() -> None:
    html = rendered()
    for heading in HEADINGS:
        assert heading in html
    assert (
        '<html lang="zh-CN">' in html and "<title>武汉市蔡甸区红十字会 · 预算绩效自评复核报告</title>" in html
    )
    assert "@media print" in html and "@page" in html
    for noise in ("SECRET_SOURCE_CODE", "page.section", "stderr noise", "stdout chatter", "PosixPath",
                  "VBox(", "widget-view", "In&nbsp;[", "使用说明"):  # fmt: skip
        assert noise not in html, noise
    assert 'data-total="99.28"' in html
    assert html.count("data:image/png;base64,") == 2


def test_report_makes_no_request_to_any_host() -> None:
    html = rendered()
    links = re.findall(r'(?:src|href)\s*=\s*["\']?([^"\'\s>]+)', html, flags=re.I)
    assert links and all(x.startswith("data:image/png;base64,") for x in links), links
    assert not re.search(r"https?://|//cdn|unpkg|mathjax|require\.js|<script|<link", html, flags=re.I)


def test_report_is_small() -> None:
    size = len(rendered().encode("utf-8"))
    assert size <= 150_000, size
