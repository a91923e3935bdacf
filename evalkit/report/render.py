"""Executed notebook → offline HTML, through evalkit's own nbconvert template.

The template (``evalkit/templates/evalkit_report``) shows outputs only — no code, prompts, stderr
or widget views — with its small stylesheet inline and charts as ``data:`` images, so a report
makes no request to any host. Cells tagged ``report-hide`` (the notebook's how-to text) are left out.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

# Here, not in evalkit.report.sections: a batch worker renders notebooks and reviews nothing, so
# it does not import the review stack (about 0.4 CPU-s a process).
TEMPLATE_DIR = Path(__file__).resolve().parent / "templates"
TEMPLATE_NAME = "evalkit_report"
HIDE_TAG = "report-hide"


def notebook_to_html(nb: Any, title: str) -> str:
    """Render an executed notebook (a ``NotebookNode``) as a self-contained HTML page."""
    body, _ = exporter().from_notebook_node(nb, resources={"metadata": {"name": title}})
    return body


def _exporter_class() -> type:
    from nbconvert import HTMLExporter
    from nbconvert.exporters.templateexporter import TemplateExporter

    class ReportExporter(HTMLExporter):
        """nbconvert's HTML exporter without its BeautifulSoup pass.

        After rendering, ``HTMLExporter`` parses the whole page with Python's HTML parser to add
        ``alt`` texts to images that lack one and ``tabindex`` to JupyterLab's cell classes, then
        prints it again: a third of a report's rendering CPU. The report template gives every
        image its ``alt`` and has none of those classes, and shows no widget views (the filters
        HTMLExporter swaps in for code highlighting and widget outputs have nothing to do here),
        so the template's own rendering is the page (tests/test_render.py compares the two).
        """

        def from_notebook_node(self, nb: Any, resources: dict[str, Any] | None = None, **kw: Any) -> Any:
            return TemplateExporter.from_notebook_node(self, nb, resources, **kw)

    return ReportExporter


@lru_cache(maxsize=1)
def exporter() -> Any:
    """The report's HTML exporter, built once per process (templates load once, ~25 ms a unit)."""
    from traitlets.config import Config

    config = Config()
    config.TagRemovePreprocessor.enabled = True
    config.TagRemovePreprocessor.remove_cell_tags = {HIDE_TAG}
    html = _exporter_class()(
        config=config,
        template_name=TEMPLATE_NAME,
        extra_template_basedirs=[str(TEMPLATE_DIR)],
        exclude_input=True,
        exclude_input_prompt=True,
        exclude_output_prompt=True,
        # The notebook is validated once, after the preprocessors, not after each of them (a
        # dozen schema validations a unit, nearly half of its rendering CPU).
        optimistic_validation=True,
    )
    html.register_preprocessor("nbconvert.preprocessors.TagRemovePreprocessor", enabled=True)
    return html
