"""The batch (``evalkit run``): every unit of a year through its notebook, to offline HTML.

- :mod:`~evalkit.batch.plan` — the units of a year, the hash of each unit's inputs, what is up to date
- :mod:`~evalkit.batch.worker` — running one unit: execute, render, write the result last
- :mod:`~evalkit.batch.runner` — :func:`run_batch`: the worker pool, the progress bar, the summary
- :mod:`~evalkit.batch.cluster` — the same units on a Dask cluster (``--scheduler``)
- :mod:`~evalkit.batch.executors` — the ``warm`` and ``fresh`` ways to run a notebook
- :mod:`~evalkit.batch.engine` — the papermill engine that runs in a kept, warm kernel
- :mod:`~evalkit.batch.kernels` — kernel spec, starts that retry, shutdowns that never hang
- :mod:`~evalkit.batch.kernelstate` — run inside a warm kernel: what it imports, what it resets
"""

import sys as _sys

# jsonschema (imported by nbformat, so by papermill and nbconvert in every batch process) imports
# rfc3987_syntax where it is installed (JupyterLab's dependencies bring it), for its optional
# "iri" format checks; that package compiles 38 lark grammars at import, 1.5 CPU-s per process.
# Notebook validation checks no such format: the batch's processes go without it.
if "jsonschema" not in _sys.modules:
    _sys.modules.setdefault("rfc3987_syntax", None)  # type: ignore[arg-type]
