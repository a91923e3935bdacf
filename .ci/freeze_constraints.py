"""Write constraints.txt: the versions now installed of evalkit's dependencies (all extras), recursively.

    python .ci/freeze_constraints.py      # after a `pip install -U ...` that the full suite passed

`.ci/run` installs with `pip install -c constraints.txt -e ".[test]"`, so CI tests what was last
frozen here, and a new release of a dependency reaches main only through a commit of this file.
"""

from __future__ import annotations

import re
import sys
from importlib.metadata import PackageNotFoundError, distribution
from pathlib import Path

import tomllib
from packaging.markers import Marker
from packaging.requirements import Requirement

ROOT = Path(__file__).resolve().parent.parent


def norm(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def main() -> int:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    todo = [Requirement(r) for r in project["dependencies"]]
    todo += [Requirement(r) for extra in project["optional-dependencies"].values() for r in extra]
    pins: dict[str, str] = {}
    while todo:
        req = todo.pop()
        key = norm(req.name)
        if key in pins or key == "evalkit":
            continue
        try:
            dist = distribution(req.name)
        except PackageNotFoundError:
            continue  # a platform-only dependency not installed here
        pins[key] = f"{dist.metadata['Name']}=={dist.version}"
        for text in dist.requires or []:
            sub = Requirement(text)
            if sub.marker is None or Marker(str(sub.marker)).evaluate({"extra": ""}):
                todo.append(sub)
    py = ".".join(map(str, sys.version_info[:2]))
    header = [
        '# Versions CI installs with (`pip install -c constraints.txt -e ".[test]"`, see .ci/run):',
        f"# the dependency closure of evalkit with all extras, as installed on CPython {py} / Linux.",
        "# Regenerate with `python .ci/freeze_constraints.py` after `.ci/run --latest` passes.",
    ]
    (ROOT / "constraints.txt").write_text("\n".join([*header, *sorted(pins.values(), key=str.lower)]) + "\n")
    print(f"constraints.txt: {len(pins)} packages")
    return 0


if __name__ == "__main__":
    sys.exit(main())
