"""Reports: the unit's HTML sections, charts and fonts, tidy frames, the year's index, rendering."""

from evalkit._lazy import exports

__getattr__ = exports(
    __name__,
    {
        "load": "evalkit.report.sections",
        "Report": "evalkit.report.sections",
        "result_document": "evalkit.report.sections",
        "Summary": "evalkit.report.index",
        "load_results": "evalkit.report.index",
        "write_excel": "evalkit.report.index",
        "notebook_to_html": "evalkit.report.render",
    },
)
