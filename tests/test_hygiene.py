"""Saving the workbench notebooks in JupyterLab leaves them as committed: the project's Jupyter
settings keep widget state out and select the Chinese language pack, and the pre-save hook strips
what JupyterLab writes on every save (outputs, execution counts, run-time metadata)."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import nbformat
import pytest

from evalkit.workbench.hygiene import pre_save

ROOT = Path(__file__).resolve().parent.parent
CONFIG = ROOT / "etc" / "jupyter"


def _as_jupyterlab_saves_it(nb: dict) -> dict:
    """What JupyterLab sends when a reviewer saves after running all cells with widgets shown."""
    nb = copy.deepcopy(nb)
    nb["metadata"]["language_info"] = {
        "codemirror_mode": {"name": "ipython", "version": 3},
        "file_extension": ".py",
        "mimetype": "text/x-python",
        "name": "python",
        "nbconvert_exporter": "python",
        "pygments_lexer": "ipython3",
        "version": "3.11.7",
    }
    nb["metadata"]["widgets"] = {
        "application/vnd.jupyter.widget-state+json": {"state": {"abc": {"model_name": "VBoxModel"}}}
    }
    for i, cell in enumerate(nb["cells"], start=1):
        cell["metadata"]["scrolled"] = True
        cell["metadata"]["execution"] = {"iopub.execute_input": "2026-12-01T20:50:00Z"}
        if cell["cell_type"] == "code":
            cell["execution_count"] = i
            cell["outputs"] = [
                {
                    "output_type": "display_data",
                    "data": {
                        "application/vnd.jupyter.widget-view+json": {"model_id": "abc", "version_major": 2}
                    },
                    "metadata": {},
                }
            ]
    return nb


@pytest.mark.parametrize("name", ["review.ipynb", "summary.ipynb"])
def test_a_save_from_jupyterlab_writes_the_committed_bytes(name: str, tmp_path: Path) -> None:
    committed = (ROOT / "notebooks" / name).read_bytes()
    model = {"type": "notebook", "content": _as_jupyterlab_saves_it(json.loads(committed))}
    pre_save(model=model, path=f"notebooks/{name}", contents_manager=None)
    target = tmp_path / name
    nbformat.write(nbformat.from_dict(model["content"]), str(target))  # what jupyter_server does
    assert target.read_bytes() == committed


def test_other_notebooks_are_left_alone() -> None:
    nb = _as_jupyterlab_saves_it(json.loads((ROOT / "notebooks" / "review.ipynb").read_bytes()))
    del nb["metadata"]["evalkit"]
    before = copy.deepcopy(nb)
    pre_save(model={"type": "notebook", "content": nb}, path="mine.ipynb", contents_manager=None)
    assert nb == before


def test_project_settings_keep_widget_state_out_and_select_chinese() -> None:
    overrides = json.loads((CONFIG / "labconfig" / "default_setting_overrides.json").read_text("utf-8"))
    assert overrides["@jupyter-widgets/jupyterlab-manager:plugin"] == {"saveState": False}
    assert overrides["@jupyterlab/translation-extension:plugin"]["locale"] == "zh_CN"
    from importlib.metadata import entry_points

    packs = {ep.name for ep in entry_points(group="jupyterlab.languagepack")}
    assert "zh_CN" in packs  # the declared language pack is installed
    text = (CONFIG / "jupyter_server_config.py").read_text("utf-8")
    assert "pre_save_hook = pre_save" in text
