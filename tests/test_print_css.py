"""Print: the HTML reports print on A4 with the unit's name on every page and page numbers (CSS
paged media that Chromium honours), and no heading left alone at a page foot."""

from __future__ import annotations

import re

import nbformat

from evalkit.report.render import notebook_to_html
from evalkit.report.sections import css


def test_page_rules_name_the_unit_and_number_the_pages() -> None:
    text = css()
    page = re.search(r"@page\{size:A4;.*?\}\}", text, re.S)
    assert page, "an @page rule with margin boxes"
    assert "@top-center{content:var(--ek-unit" in page.group(0)
    assert "counter(page)" in page.group(0) and "counter(pages)" in page.group(0)
    printing = text[text.rindex("@media print") :]
    assert re.search(r"\.ek h1,\.ek h2,\.ek h3[^{]*\{break-after:avoid", printing)


def test_the_unit_name_is_a_safe_css_string() -> None:
    nb = nbformat.v4.new_notebook()
    html = notebook_to_html(nb, 'A单位"\\</style><script>x</script> · 预算绩效自评复核报告')
    line = next(x for x in html.splitlines() if x.startswith(":root{--ek-unit:"))
    assert (
        line == ':root{--ek-unit:"A单位\\"\\\\\\3c /style>\\3c script>x\\3c /script> · 预算绩效自评复核报告"}'
    )
    assert html.count("</style>") == 1 and "<script>" not in html
