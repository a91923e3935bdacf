"""The notebooks: committed clean and thin, their ``parameters`` cell matching what the batch
injects, and their defaults running as they are (interactive mode, in a fresh kernel)."""

from __future__ import annotations

import ast
import shutil
from pathlib import Path

import nbformat
import pytest
from papermill.inspection import inspect_notebook

from evalkit.batch.executors import ExecutorSpec
from evalkit.batch.kernels import ensure_kernel
from evalkit.batch.plan import UnitTask
from evalkit.batch.runner import summary_parameters
from evalkit.batch.worker import unit_parameters

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "notebooks"


def parameters_cell(name: str) -> dict[str, object]:
    """The names, annotated types and defaults of the notebook's one ``parameters`` cell."""
    nb = nbformat.read(NOTEBOOKS / name, as_version=4)
    tagged = [c for c in nb.cells if "parameters" in c.metadata.get("tags", [])]
    assert len(tagged) == 1, "exactly one cell tagged parameters"
    values = {}
    for node in ast.parse(tagged[0].source).body:
        assert isinstance(node, ast.AnnAssign), "the parameters cell holds annotated assignments only"
        value = ast.literal_eval(node.value)
        assert type(value).__name__ == node.annotation.id, node.target.id
        values[node.target.id] = value
    # What papermill itself reads from the cell (an unparsable line would make it warn on injection).
    seen = inspect_notebook(str(NOTEBOOKS / name))
    assert {k: v["inferred_type_name"] for k, v in seen.items()} == {
        k: type(v).__name__ for k, v in values.items()
    }
    return values


def execute_notebook(notebook: Path, output: Path, parameters: dict, kernel_name: str, cwd: Path):
    """Run a notebook as ``evalkit run --executor fresh`` does: papermill, a new kernel."""
    with ExecutorSpec("fresh", kernel_name).create() as executor:
        return executor.execute(notebook, output, parameters, cwd)


def injected_unit_parameters() -> dict[str, object]:
    task = UnitTask(
        unit_id="u",
        filing=Path("/p/2024/u.yaml"),
        decisions=None,
        profile="mof-2020",
        notebook=NOTEBOOKS / "review.ipynb",
        out_dir=Path("/o"),
        staging=Path("/o/s"),
        inputs_hash="0",
        cwd=Path("/"),
        kernel_name="k",
        year="2024",
    )
    return unit_parameters(task, Path("/o/s/u.json"))


@pytest.mark.parametrize(
    ("name", "injected"),
    [
        ("review.ipynb", injected_unit_parameters()),
        ("summary.ipynb", summary_parameters(Path("/o/2024"), "2024")),
    ],
)
def test_parameters_cell_matches_batch(name: str, injected: dict[str, object]) -> None:
    defaults = parameters_cell(name)
    assert set(defaults) == set(injected)
    for key, value in injected.items():
        assert type(defaults[key]) is type(value), key
    assert defaults["interactive"] is True and injected["interactive"] is False


@pytest.mark.parametrize("name", ["review.ipynb", "summary.ipynb"])
def test_committed_clean_and_thin(name: str) -> None:
    nb = nbformat.read(NOTEBOOKS / name, as_version=4)
    nbformat.validate(nb)
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None
            # The parameters cell declares names, one a line (each a parameter the batch injects).
            limit = 10 if "parameters" in cell.metadata.get("tags", []) else 6
            assert len(cell.source.splitlines()) <= limit, cell.source
    assert nb.metadata.kernelspec.name == "python3"


@pytest.mark.slow
def test_review_defaults_run_as_they_are(tmp_path: Path) -> None:
    # Interactive defaults: the workbench opens the seed unit; nothing is written.
    nb = execute_notebook(
        NOTEBOOKS / "review.ipynb", tmp_path / "review.ipynb", {}, ensure_kernel(), NOTEBOOKS
    )
    outputs = [o for c in nb.cells for o in c.get("outputs", [])]
    assert not [o for o in outputs if o.output_type == "error"]
    assert any("application/vnd.jupyter.widget-view+json" in o.get("data", {}) for o in outputs)


@pytest.mark.slow
def test_summary_defaults_run_without_results(tmp_path: Path) -> None:
    # A fresh clone has no outputs/ yet: the summary says so instead of failing.
    (tmp_path / "notebooks").mkdir()
    shutil.copy(NOTEBOOKS / "summary.ipynb", tmp_path / "notebooks")
    nb = execute_notebook(
        tmp_path / "notebooks" / "summary.ipynb",
        tmp_path / "out.ipynb",
        {},
        ensure_kernel(),
        tmp_path / "notebooks",
    )
    outputs = [o for c in nb.cells for o in c.get("outputs", [])]
    assert not [o for o in outputs if o.output_type == "error"]
    html = "".join(o.get("data", {}).get("text/html", "") for o in outputs)
    assert "暂无单位结果" in html
    assert any("application/vnd.jupyter.widget-view+json" in o.get("data", {}) for o in outputs)
