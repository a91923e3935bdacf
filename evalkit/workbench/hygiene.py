"""Keeping the project's notebooks clean when JupyterLab saves them.

The workbench notebooks are apps: what a reviewer does in them lives in ``.review.yaml``, never in
the notebook. JupyterLab's own settings (shipped in ``etc/jupyter/labconfig/``) already keep the
widget state out (``@jupyter-widgets/jupyterlab-manager`` ``saveState: false``) and record no
cell timings; what no setting can stop is JupyterLab writing the cells' outputs, execution counts
and the kernel's ``language_info`` on every autosave and Ctrl+S. :func:`pre_save` is a Jupyter
server pre-save hook (``ContentsManager.pre_save_hook``, configured in
``etc/jupyter/jupyter_server_config.json``) that removes exactly those from notebooks whose
metadata carries ``"evalkit": {"clean_on_save": true}`` — so saving one leaves the committed file
byte for byte as it was, and other notebooks are left alone.
"""

from __future__ import annotations

from typing import Any

MARKER = "evalkit"
CELL_METADATA_KEPT = ("tags",)


def wants_cleaning(nb: dict[str, Any]) -> bool:
    """True for a notebook that asks to be saved clean (``metadata.evalkit.clean_on_save``)."""
    marker = (nb.get("metadata") or {}).get(MARKER)
    return isinstance(marker, dict) and bool(marker.get("clean_on_save"))


def clean_notebook(nb: dict[str, Any]) -> dict[str, Any]:
    """Strip outputs, execution counts, widget state and run-time metadata, in place; return it."""
    meta = nb.setdefault("metadata", {})
    meta.pop("widgets", None)  # ipywidgets' saved state, should saveState ever be switched on
    info = meta.get("language_info")
    if isinstance(info, dict):
        # The kernel fills in its version and lexer on every run: keep only what identifies it.
        meta["language_info"] = {"name": info.get("name", "python")}
    for cell in nb.get("cells") or []:
        cell_meta = cell.get("metadata") or {}
        cell["metadata"] = {k: cell_meta[k] for k in CELL_METADATA_KEPT if k in cell_meta}
        if cell.get("cell_type") == "code":
            cell["outputs"] = []
            cell["execution_count"] = None
    return nb


def pre_save(model: dict[str, Any], path: str = "", contents_manager: Any = None, **_: Any) -> None:
    """Jupyter server pre-save hook: clean a marked notebook before it is written."""
    if model.get("type") != "notebook":
        return
    content = model.get("content")
    if isinstance(content, dict) and wants_cleaning(content):
        clean_notebook(content)
