"""The nbconvert template: outputs only (no code, prompts, stderr, widget views, plain reprs),
Chinese headings, a print stylesheet, nothing fetched from any host, and a small page."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import yaml
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

from evalkit.report import sections as report
from evalkit.report.index import Summary
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


# --- untrusted text: every text field of a filing and a decisions file, injected ------------------

PAYLOAD = "<script>alert(1)</script><img src=x onerror=alert(2)>\"'&"
# No chart in these sections, so any <img is injected; quotes and & must be entities (in text, a
# template may leave quotes as they are: the & after them is then still escaped).
RAW = ("<script", "<img", "\"'&")
# What the payload reads as once escaped (markupsafe's entities): proof the text did reach the page.
# (nbconvert re-serializes a page, which may write quotes in text as they are.)
ESCAPED = "&lt;script&gt;alert(1)&lt;/script&gt;&lt;img src=x onerror=alert(2)&gt;"
KEEP = {"format", "kind", "rate_basis", "tier", "when"}  # values the schemas constrain to a list


def _inject(value, key: str = ""):
    if isinstance(value, dict):
        return {k: _inject(v, str(k)) for k, v in value.items()}
    if isinstance(value, list):
        return [_inject(v, key) for v in value]
    if isinstance(value, str) and key not in KEEP:
        return PAYLOAD + value
    return value


@pytest.fixture
def hostile_unit(tmp_path: Path) -> Path:
    sample = ROOT / "parameters" / "2024" / "示例_某区文化和旅游局_公共文化服务提升项目"
    filing = _inject(yaml.safe_load(sample.with_suffix(".yaml").read_text(encoding="utf-8")))
    filing["closing"] = {"偏差原因分析": PAYLOAD, "备注": PAYLOAD}
    filing["narrative"] = [{"index": 1, "text": PAYLOAD + "完成目标值9999场。"}]
    decisions = _inject(yaml.safe_load(sample.with_suffix(".review.yaml").read_text(encoding="utf-8")))
    decisions["items"]["g1r2"] = {"target": PAYLOAD, "actual": PAYLOAD, "comment": PAYLOAD}
    decisions["items"][PAYLOAD] = {"comment": PAYLOAD}  # a key no row has is shown too
    decisions["history"][0]["when"] = PAYLOAD
    unit = tmp_path / "hostile.yaml"
    unit.write_text(yaml.safe_dump(filing, allow_unicode=True), encoding="utf-8")
    (tmp_path / "hostile.review.yaml").write_text(
        yaml.safe_dump(decisions, allow_unicode=True), encoding="utf-8"
    )
    return unit


def _assert_escaped(html: str, where: str, at_least: int) -> None:
    for raw in RAW:
        assert raw not in html.replace("\"'&amp;", ""), (
            f"{where}: raw {raw!r} at …{html[max(html.find(raw) - 80, 0) : html.find(raw) + 40]}…"
        )
    assert html.count(ESCAPED) >= at_least, f"{where}: the injected text did not reach the page"


def test_markup_in_any_text_field_is_escaped_in_the_unit_report(hostile_unit: Path) -> None:
    rv = report.load(hostile_unit)
    assert rv.decisions.opinion.startswith(PAYLOAD) and rv.filing.unit.name.startswith(PAYLOAD)
    sections = {
        "header": report.header_html(rv),
        "budget": report.budget_html(rv, chart=False),
        "indicators": report.indicators_html(rv, chart=False),
        "findings": report.findings_html(rv),
        "decisions": report.decisions_html(rv),
        "footer": report.footer_html(rv),
    }
    # unit name, department, implementer, filing date, profile title; level names, names, targets,
    # actuals, reasons, notes; messages and places; reviewer, opinion, items, history
    least = {"header": 4, "indicators": 20, "findings": 3, "decisions": 8}
    for name, html in sections.items():
        _assert_escaped(html, name, least.get(name, 0))
    assert f"{ESCAPED}&#34;&#39;&amp;（表中无此指标）" in sections["decisions"]  # an unknown key, as text
    page = notebook_to_html(
        new_notebook(
            cells=[new_code_cell("x", outputs=[html_output(s) for s in sections.values()], execution_count=1)]
        ),
        rv.filing.unit.name,
    )
    # The stylesheet is raw text to a browser (no entities): where the unit name is a CSS string
    # (the print header) it is safe when nothing in it can close the <style> element or the string.
    styles = re.findall(r"<style>(.*?)</style>", page, flags=re.S)
    assert styles and not any("<" in css for css in styles)
    strings = re.findall(r':\s*"((?:[^"\\]|\\.)*)"', "".join(styles))
    names = [v for v in strings if "alert(1)" in v]
    # the whole name stays inside its one string (an unescaped quote would end it early)
    assert all("alert(2)" in v and "公共文化服务提升项目" in v for v in names), names
    _assert_escaped(re.sub(r"<style>.*?</style>", "", page, flags=re.S), "page", 30)


def test_markup_in_results_is_escaped_in_the_index(hostile_unit: Path, tmp_path: Path) -> None:
    rv = report.load(hostile_unit)
    results = tmp_path / "outputs"
    results.mkdir()
    doc = report.result_document(rv, unit_id=PAYLOAD, status="ok", report=PAYLOAD + ".html")
    (results / "hostile.json").write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    failed = {
        "unit": PAYLOAD,
        "run": {"unit_id": PAYLOAD, "status": "failed", "error": PAYLOAD, "report": ""},
    }
    (results / "failed.json").write_text(json.dumps(failed, ensure_ascii=False), encoding="utf-8")
    summary = Summary(results, year=PAYLOAD)
    parts = [summary.header(), summary.units(), summary.ranking(), summary.findings()]
    html = "".join(p.data for p in parts)
    _assert_escaped(html, "index", 6)
    assert 'href="%3Cscript%3E' in html  # a link is percent-encoded, never markup


def test_findings_rows_carry_the_key_the_json_gives() -> None:
    rv = report.load(SEED_YAML)
    html = report.findings_html(rv)
    keys = re.findall(r'<tr data-code="([^"]+)" data-key="([^"]+)">', html)
    assert keys == [(f["code"], f["key"]) for f in rv.to_json()["findings"]]
    assert ("D101", "D101@unit") in keys and ("O101", "O101@g1r2") in keys
