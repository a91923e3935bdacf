"""Helpers of the batch tests (test_batch, test_cluster, test_zygote): a project copy, reports compared."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def copy_project(dest: Path) -> Path:
    """The parts of the project a batch reads: parameters/ and notebooks/."""
    shutil.copytree(ROOT / "parameters", dest / "parameters", ignore=shutil.ignore_patterns("*.lock"))
    shutil.copytree(
        ROOT / "notebooks", dest / "notebooks", ignore=shutil.ignore_patterns(".ipynb_checkpoints")
    )
    return dest


def normalized(path: Path) -> str:
    """A report's text with its generation date masked: the one thing two runs may differ in."""
    return re.sub(r"生成于 \d{4}-\d{2}-\d{2}", "生成于 DATE", path.read_text(encoding="utf-8"))
