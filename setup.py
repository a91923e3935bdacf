"""Build step that puts the files evalkit ships into the package (all metadata is in pyproject.toml).

The scoring profiles, the notebooks and the sample years live in the checkout where a user edits
them (``parameters/profiles/``, ``notebooks/``, ``parameters/<year>/``). A wheel copies them into
``evalkit/resources/`` so that an installed evalkit finds them (``evalkit.resources``) and
``evalkit init`` can lay out a workspace; an editable install reads the checkout's own files.
"""

from __future__ import annotations

from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

HERE = Path(__file__).resolve().parent
# folder under evalkit/resources/  ←  files of the checkout (see evalkit/resources/__init__.py);
# samples/<year>/ holds each sample year of parameters/ (2024, and 2023 for last year's figures).
BUNDLED = {
    "profiles": "parameters/profiles/*.yaml",
    "notebooks": "notebooks/*.ipynb",
    **{f"samples/{d.name}": f"parameters/{d.name}/*.yaml" for d in sorted(HERE.glob("parameters/[0-9]*"))},
}


class BuildWithResources(build_py):
    """``build_py`` plus the bundled files, copied into ``build/lib/evalkit/resources/``."""

    def run(self) -> None:
        super().run()
        if getattr(self, "editable_mode", False):
            return  # an editable install uses the checkout's files in place
        for folder, pattern in BUNDLED.items():
            files = sorted(HERE.glob(pattern))
            if not files:
                raise SystemExit(f"evalkit build: nothing matches {pattern}")
            target = Path(self.build_lib) / "evalkit" / "resources" / folder
            self.mkpath(str(target))
            for f in files:
                self.copy_file(str(f), str(target / f.name))


setup(cmdclass={"build_py": BuildWithResources})
