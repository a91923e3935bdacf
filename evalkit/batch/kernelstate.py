"""Run *inside* a warm kernel: what it imports once, and what it puts back between two units.

The warm executor (:mod:`evalkit.batch.executors`) reuses one kernel for many notebooks. :func:`prewarm`
imports what every unit report needs (evalkit's review and report modules, matplotlib, the CJK font) and
takes a snapshot of the process state a notebook may change. :func:`begin` runs before each
notebook: it resets what the previous one left — the IPython user namespace (and the execution
counter), pyplot figures, matplotlib rcParams, pandas options, the working folder, ``sys.path``,
environment variables and warning filters — so a notebook sees what a fresh kernel would show it,
only with its imports already done. Loaded modules and their caches stay: that is the point.
"""

from __future__ import annotations

import copy
import os
import sys
import warnings
from contextlib import ExitStack
from typing import Any

_SNAPSHOT: dict[str, Any] = {}
# Open from the snapshot on: closing it puts back the warning filters (and showwarning) as they
# were, the way the standard library restores them at the end of a ``catch_warnings`` block.
_WARNINGS = ExitStack()

# What the review notebook imports in a batch; a fresh kernel pays for these on every unit. Not
# pandas nor ipywidgets (the summary and the interactive workbench): a unit report uses neither,
# and they would add about a CPU-second to every kernel start (and restart) for the one summary.
PREWARM_MODULES = (
    "evalkit.report.sections",
    "evalkit.report.charts",
    "evalkit.report.word",  # the notebook writes the unit's Word report
    "evalkit.pipeline",
    "matplotlib.figure",
    "PIL.Image",
)


def prewarm() -> None:
    """Import the report stack, set up the CJK font, and snapshot the state :func:`begin` restores."""
    import importlib

    for name in PREWARM_MODULES:
        importlib.import_module(name)
    from evalkit.report import fonts

    fonts.setup_cjk_font()  # as the first chart of a fresh kernel would; rcParams below include it
    _plain_compiler()
    snapshot()


def _plain_compiler() -> None:
    # ipykernel compiles cells with a compiler of its own that names each cell's file by a murmur2
    # hash of its source, computed in pure Python, for its debugger (off in the report kernel
    # spec): ~4 ms CPU a unit (bench/README.md). IPython's own compiler, which the shell was made
    # with before ipykernel swapped it, labels tracebacks the same ("Cell In[n], line m"). Not a
    # command-line setting: ipykernel's compiler_class is not configurable. Before any cell runs.
    from IPython import get_ipython
    from IPython.core.compilerop import CachingCompiler

    shell = get_ipython()
    if shell is not None and type(shell.compile) is not CachingCompiler:
        shell.compile = CachingCompiler()


def snapshot() -> None:
    """Remember the process state a notebook may change (taken once, after :func:`prewarm`)."""
    import matplotlib

    _SNAPSHOT.update(
        # dict.copy: the raw values (reading "backend" through rcParams could import pyplot).
        rc=copy.deepcopy(dict.copy(matplotlib.rcParams)),
        cwd=os.getcwd(),
        path=list(sys.path),
        environ=dict(os.environ),
    )
    _WARNINGS.close()
    _WARNINGS.enter_context(warnings.catch_warnings())


def begin(cwd: str, reset: bool = True) -> None:
    """Prepare the kernel for the next notebook: reset what the last one left, then enter ``cwd``."""
    if reset:
        _reset()
    os.chdir(cwd)


def _reset() -> None:
    from IPython import get_ipython

    shell = get_ipython()
    if shell is not None:
        # new_session: the execution counter starts at 1 again, as in a fresh kernel (papermill's
        # error message names the cell by it). With the output cache off this does not gc.collect.
        shell.reset(new_session=True)
    if "matplotlib.pyplot" in sys.modules:
        sys.modules["matplotlib.pyplot"].close("all")
    _restore_rc()
    if "pandas" in sys.modules:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # deprecated options warn when reset
            sys.modules["pandas"].reset_option("all")
    if not _SNAPSHOT:
        return
    os.chdir(_SNAPSHOT["cwd"])
    sys.path[:] = _SNAPSHOT["path"]
    if dict(os.environ) != _SNAPSHOT["environ"]:
        os.environ.clear()
        os.environ.update(_SNAPSHOT["environ"])
    _WARNINGS.close()  # the filters of the snapshot, with the warnings cache invalidated
    _WARNINGS.enter_context(warnings.catch_warnings())


def _restore_rc() -> None:
    saved = _SNAPSHOT.get("rc")
    if saved is None or "matplotlib" not in sys.modules:
        return
    import matplotlib

    rc = matplotlib.rcParams
    changed = {}
    for key, value in saved.items():
        if key == "backend":
            continue
        try:
            same = bool(dict.__getitem__(rc, key) == value)
        except Exception:
            same = False
        if not same:
            changed[key] = value
    if changed:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # deprecated keys warn when set
            rc.update(changed)
    backend = saved.get("backend")
    if backend is not None and dict.__getitem__(rc, "backend") != backend:
        # A notebook switched backends (matplotlib.use): switch back, as a fresh kernel would start.
        if "matplotlib.pyplot" in sys.modules:
            sys.modules["matplotlib.pyplot"].switch_backend(backend)
        else:
            dict.__setitem__(rc, "backend", backend)
