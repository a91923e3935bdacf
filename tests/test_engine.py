"""The warm engine sends a notebook's cells in one request and puts each output back on its cell:
the reports, the executed notebook and a failure read as they did with a request per cell."""

from __future__ import annotations

import re
import shutil
import time
from pathlib import Path

import nbformat
import papermill as pm
import pytest
from nbclient.exceptions import CellTimeoutError
from papermill.exceptions import PapermillExecutionError

from evalkit.batch.engine import ENGINE_NAME, MARKER_MIME
from evalkit.batch.executors import ExecutorSpec, WarmExecutor
from evalkit.batch.plan import plan_units
from evalkit.batch.worker import error_text, run_unit

pytestmark = pytest.mark.slow  # starts Jupyter kernels

ROOT = Path(__file__).resolve().parent.parent
UNITS = [
    "武汉市蔡甸区红十字会",
    "示例_某区文化和旅游局_公共文化服务提升项目",
    "示例_某区卫生健康局_部门整体支出",
]


def make_notebook(path: Path, *cells: str, parameters: str = 'out: str = ""') -> Path:
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "language": "python", "display_name": "Python 3"}
    first = nbformat.v4.new_code_cell(parameters)
    first.metadata["tags"] = ["parameters"]
    intro = nbformat.v4.new_markdown_cell("# 说明")
    nb.cells = [intro, first, *(nbformat.v4.new_code_cell(c) for c in cells)]
    nbformat.write(nb, path)
    return path


def plain(nb_path: Path, out: Path, parameters: dict, kernel_name: str, cwd: Path) -> nbformat.NotebookNode:
    """The reference: papermill's own engine, a request per cell, in a kernel of its own."""
    return pm.execute_notebook(
        str(nb_path),
        str(out),
        parameters=parameters,
        kernel_name=kernel_name,
        progress_bar=False,
        cwd=str(cwd),
    )


def outputs(nb: nbformat.NotebookNode) -> list:
    """What a reader sees of each cell: its count, its outputs (without timing), its status."""
    seen = []
    for cell in nb.cells:
        outs = []
        for o in cell.get("outputs", []):
            o = dict(o)
            o.pop("metadata", None)
            if o["output_type"] == "error":  # a traceback's frames name the kernel's own paths
                o["traceback"] = len(o["traceback"]) > 0
            outs.append(o)
        seen.append(
            (
                cell.cell_type,
                cell.get("execution_count"),
                outs,
                cell.metadata.get("papermill", {}).get("status"),
            )
        )
    return seen


class CountingRequests:
    """Counts the execute requests sent to a kernel (every request goes through ``kc.execute``)."""

    def __init__(self, kc: object, monkeypatch: pytest.MonkeyPatch) -> None:
        self.codes: list[str] = []
        original = kc.execute  # type: ignore[attr-defined]

        def execute(code: str, *args: object, **kwargs: object) -> object:
            self.codes.append(code)
            return original(code, *args, **kwargs)

        monkeypatch.setattr(kc, "execute", execute)


def test_reports_equal_a_request_per_cell(
    kernel_name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The HTML and the result the batch writes for sample units: the old path (papermill's own
    # engine, a request per cell) and the warm engine's one request per notebook give the same.
    monkeypatch.setenv("MPLBACKEND", "Agg")
    shutil.copytree(ROOT / "parameters", tmp_path / "parameters", ignore=shutil.ignore_patterns("*.lock"))
    shutil.copytree(
        ROOT / "notebooks", tmp_path / "notebooks", ignore=shutil.ignore_patterns(".ipynb_checkpoints")
    )
    pages = {}
    requests = []
    for name, spec in (
        ("old", ExecutorSpec("fresh", kernel_name)),
        ("new", ExecutorSpec("warm", kernel_name)),
    ):
        out, staging = tmp_path / name / "2024", tmp_path / name / "staging"
        staging.mkdir(parents=True)
        tasks = plan_units(
            tmp_path / "parameters",
            out,
            "2024",
            None,
            tmp_path / "notebooks" / "review.ipynb",
            staging,
            kernel_name,
            tmp_path / "notebooks",
            UNITS,
        )
        with spec.create() as executor:
            if isinstance(executor, WarmExecutor):
                executor.start(tmp_path / "notebooks")
                counter = CountingRequests(executor._kernel.kc, monkeypatch)
            for task in tasks:
                outcome = run_unit(task, executor)
                assert outcome.status == "ok", outcome.error
            if isinstance(executor, WarmExecutor):
                requests = counter.codes
        pages[name] = {
            p.name: re.sub(r"\d{4}-\d{2}-\d{2}", "DATE", p.read_text(encoding="utf-8"))
            for p in out.glob("*.html")
        }
    assert sorted(pages["old"]) == sorted(f"{u}.html" for u in UNITS)
    for page, html in pages["old"].items():
        assert pages["new"][page] == html, page
    # Two requests per unit: the reset between units, then the notebook's ten code cells together.
    assert len(requests) == 2 * len(UNITS)
    assert all("kernelstate" in code and "begin" in code for code in requests[::2])
    assert all(code.startswith("exec(") and "page.header()" in code for code in requests[1::2])


def test_each_cell_keeps_its_outputs(
    warm: WarmExecutor, kernel_name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Streams, displays, the last expression, clear_output, a display updated from a later cell
    # and magics land on their own cells, with their execution counts, as with a request per cell.
    cells = (
        "print('一')\nprint('二', flush=True)\nimport sys; print('err', file=sys.stderr)",
        "from IPython.display import display, HTML, clear_output\ndisplay(HTML('<b>a</b>'))\n'last'",
        "display(HTML('<i>gone</i>'))\nclear_output()\nh = display(HTML('<u>1</u>'), display_id=True)",
        "h.update(HTML('<u>2</u>'))\nx = 1",
        "x + 1;",
        "import asyncio\nawait asyncio.sleep(0)\n'awaited'",  # top-level await: a request of its own
        "%%capture captured\nprint('hidden')\ny = 2",
        "captured.stdout, y * 21",
    )
    nb_path = make_notebook(tmp_path / "n.ipynb", *cells)
    nb = nbformat.read(nb_path, as_version=4)
    # A heading and an empty cell between two sections: skipped, they do not split the request.
    nb.cells[4:4] = [nbformat.v4.new_markdown_cell("## 第二节"), nbformat.v4.new_code_cell("")]
    nbformat.write(nb, nb_path)
    reference = plain(nb_path, tmp_path / "ref.ipynb", {"out": "x"}, kernel_name, tmp_path)
    warm.start(tmp_path)
    counter = CountingRequests(warm._kernel.kc, monkeypatch)
    new = warm.execute(nb_path, tmp_path / "new.ipynb", {"out": "x"}, tmp_path)
    assert outputs(new) == outputs(reference)
    counts = [c.get("execution_count") for c in new.cells if c.source.strip() and c.cell_type == "code"]
    assert counts == list(range(1, len(cells) + 3))
    assert new.cells[7].outputs[0]["data"]["text/html"] == "<u>2</u>"
    assert all(MARKER_MIME not in o.get("data", {}) for c in new.cells for o in c.get("outputs", []))
    # The reset; the cells up to the await cell; the await cell; the two after it.
    assert len(counter.codes) == 4
    # The same notebook read back from the written file (what JupyterLab opens).
    written = nbformat.read(tmp_path / "new.ipynb", as_version=4)
    assert outputs(written) == outputs(new)
    nbformat.validate(written)


def test_failure_is_reported_on_its_cell(warm: WarmExecutor, kernel_name: str, tmp_path: Path) -> None:
    # The failing cell carries the error, papermill names it by its count, the cells before it
    # keep their outputs and the cells after it do not run: as with a request per cell.
    later = tmp_path / "later-ran"
    cells = ("print('before')", "1 / 0", f"open({str(later)!r}, 'w').write('x')", "print('after')")
    nb_path = make_notebook(tmp_path / "f.ipynb", *cells)
    with pytest.raises(PapermillExecutionError) as old:
        plain(nb_path, tmp_path / "ref.ipynb", {"out": "x"}, kernel_name, tmp_path)
    assert not later.exists()
    with pytest.raises(PapermillExecutionError) as new:
        warm.execute(nb_path, tmp_path / "failed.ipynb", {"out": "x"}, tmp_path)
    assert not later.exists(), "a cell after the error ran"
    assert (
        error_text(new.value)
        == error_text(old.value)
        == "运行失败（第4个执行单元）：ZeroDivisionError：division by zero"
    )
    kept = nbformat.read(tmp_path / "failed.ipynb", as_version=4)
    reference = nbformat.read(tmp_path / "ref.ipynb", as_version=4)
    assert outputs(kept) == outputs(reference)
    failing = next(c for c in kept.cells if c.source == "1 / 0")
    assert [o.output_type for o in failing.outputs] == ["error"]
    assert failing.metadata.papermill.status == "failed" and failing.metadata.papermill.exception
    assert [
        c.metadata.papermill.status for c in kept.cells if "later" in c.source or "after" in c.source
    ] == [
        "pending",
        "pending",
    ]
    # papermill's error marker points at the failing cell, as with its own engine.
    assert "papermill-error-cell-tag" in kept.cells[0].metadata.tags
    # The warm executor replaced the kernel after the error, and the next notebook runs.
    ok = make_notebook(tmp_path / "ok.ipynb", "z = 1")
    assert warm.execute(ok, tmp_path / "ok-out.ipynb", {"out": "x"}, tmp_path).cells[-1].execution_count == 3
    assert warm.stats.kernels == 2


def test_syntax_error_names_its_cell(warm: WarmExecutor, tmp_path: Path) -> None:
    nb_path = make_notebook(tmp_path / "s.ipynb", "a = 1", "def broken(:", "b = 2")
    with pytest.raises(PapermillExecutionError) as err:
        warm.execute(nb_path, tmp_path / "s-out.ipynb", {"out": "x"}, tmp_path)
    assert err.value.exec_count == 4 and err.value.ename == "SyntaxError"
    assert "第4个执行单元" in error_text(err.value)


def test_timeout_is_per_cell(kernel_name: str, tmp_path: Path) -> None:
    # Cells that each stay under the timeout pass though together they take longer; a cell over it
    # raises CellTimeoutError naming that cell, soon after its own limit.
    with WarmExecutor(ExecutorSpec("warm", kernel_name, timeout=2)) as warm:
        slow_cells = make_notebook(tmp_path / "t.ipynb", *["import time; time.sleep(0.8)"] * 4)
        warm.execute(slow_cells, tmp_path / "t-out.ipynb", {}, tmp_path)
        stuck = make_notebook(
            tmp_path / "stuck.ipynb", "import time; time.sleep(0.8)", "time.sleep(60)  # stuck"
        )
        started = time.monotonic()
        with pytest.raises(CellTimeoutError, match="stuck"):
            warm.execute(stuck, tmp_path / "stuck-out.ipynb", {}, tmp_path)
        assert time.monotonic() - started < 15
        # A new kernel for the next notebook.
        assert warm.execute(slow_cells, tmp_path / "t-out.ipynb", {}, tmp_path).cells[-1].outputs == []
        assert warm.stats.kernels == 2


def test_engine_can_send_a_request_per_cell(kernel_name: str, tmp_path: Path) -> None:
    # Through papermill's API directly, batch_cells=False: every cell a request of its own.
    from evalkit.batch import kernels

    kernel, _ = kernels.start(kernel_name, tmp_path)
    try:
        nb_path = make_notebook(tmp_path / "p.ipynb", "a = 1", "a + 1")
        codes = []
        original = kernel.kc.execute
        kernel.kc.execute = lambda code, *a, **k: codes.append(code) or original(code, *a, **k)
        nb = pm.execute_notebook(
            str(nb_path),
            str(tmp_path / "o.ipynb"),
            engine_name=ENGINE_NAME,
            progress_bar=False,
            km=kernel.km,
            kc=kernel.kc,
            batch_cells=False,
        )
        assert nb.cells[-1].outputs[0]["data"]["text/plain"] == "2"
        assert codes == ['out: str = ""', "a = 1", "a + 1"]
    finally:
        kernels.shutdown(kernel)
