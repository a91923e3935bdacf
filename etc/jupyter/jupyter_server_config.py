# JupyterLab settings of an evalkit workspace; used when JUPYTER_CONFIG_PATH points here (README):
#     export JUPYTER_CONFIG_PATH="$PWD/etc/jupyter" && jupyter lab notebooks/review.ipynb
# `c` is the config object Jupyter hands to this file.
from pathlib import Path

from evalkit.workbench.hygiene import pre_save

# The workbench notebooks are apps: saving them (autosave, Ctrl+S) writes no outputs, execution
# counts or run-time metadata, so the repository stays clean and `evalkit run` re-runs nothing.
c.ContentsManager.pre_save_hook = pre_save  # noqa: F821

# Serve the whole workspace (not only notebooks/), so the summary's links open outputs/<year>/.
c.ServerApp.root_dir = str(Path(__file__).resolve().parents[2])  # noqa: F821
