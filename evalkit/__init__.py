"""evalkit: review workbench for Chinese budget performance self-evaluations (预算绩效自评复核).

The public API is a handful of verbs, imported lazily so that ``import evalkit`` (and
``evalkit --help``) stays fast:

- :func:`read_filing` — read a .txt dump, .docx, .xlsx or evalkit YAML into a :class:`Filing`
- :func:`parse_value` — one target or actual cell as a :class:`Value`
- :func:`load_profile` — a scoring profile by name or path
- :func:`load_decisions` — a reviewer's ``.review.yaml``
- :func:`review` — score and check a filing: a :class:`Review` with ``card`` and ``findings``
- :func:`import_folder` — import every filing of a folder into ``parameters/<year>/``
- :func:`write_template` — a fillable .xlsx filing template
- :func:`run_batch` — ``evalkit run``: every unit of a year to an HTML report, plus the summary
- :func:`init_workspace` — ``evalkit init``: a workspace with the bundled profiles, samples, notebooks

The layers, lowest first (each imports only from the ones before it): ``errors``, ``model``,
``levels``, ``fileio`` → ``values`` → ``readers``, ``prose`` → ``scoring`` → ``checks`` →
``pipeline`` → ``report`` → ``batch``, ``workbench`` → ``cli``. A test keeps it so.
"""

from __future__ import annotations

from evalkit._lazy import exports

__version__ = "0.1.0"

_EXPORTS = {
    "read_filing": "evalkit.readers",
    "parse_value": "evalkit.values.notation",
    "Value": "evalkit.values.notation",
    "load_profile": "evalkit.scoring.profiles",
    "Profile": "evalkit.scoring.profiles",
    "load_decisions": "evalkit.scoring.decisions",
    "Decisions": "evalkit.scoring.decisions",
    "Decision": "evalkit.scoring.decisions",
    "review": "evalkit.pipeline",
    "Review": "evalkit.pipeline",
    "Filing": "evalkit.model",
    "import_folder": "evalkit.readers.folder",
    "write_template": "evalkit.readers.fillable",
    "run_batch": "evalkit.batch.runner",
    "init_workspace": "evalkit.resources",
}

__all__ = sorted(_EXPORTS)
__getattr__ = exports(__name__, _EXPORTS)
