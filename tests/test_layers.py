"""The import graph points one way: a module imports only from its own subpackage and lower layers.

Layers, highest first (``|``: side by side, neither imports the other):
cli > batch | workbench > report > pipeline > checks > scoring > readers | prose > base (errors,
model, levels, fileio, safeyaml, _lazy, resources and the package root's ``__version__``) > values.
``values`` (the cell notation) is the leaf: it imports nothing else of evalkit, and the filing
model's ``Indicator.target`` / ``.actual`` are parsed by it.
Every import counts — top-level, inside a function, under ``TYPE_CHECKING`` — because each is a
dependency a reader of the code has to follow.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "evalkit"

# Rank of each top-level part of evalkit; equal ranks are siblings that may not import each other.
RANKS: dict[str, int] = {
    "cli": 8,
    "batch": 7,
    "workbench": 7,
    "report": 6,
    "pipeline": 5,
    "checks": 4,
    "scoring": 3,
    "readers": 2,
    "prose": 2,
    **dict.fromkeys(("errors", "model", "levels", "fileio", "safeyaml", "_lazy", "resources", "__init__"), 1),
    "values": 0,
}
BASE = 1  # the base modules may import each other (levels uses model's names)


def part(module: str) -> str:
    """The top-level part of ``evalkit.a.b`` (``a``); ``__init__`` for the package root."""
    pieces = module.split(".")
    return pieces[1] if len(pieces) > 1 else "__init__"


def modules() -> dict[str, Path]:
    found = {}
    for f in sorted(PACKAGE.rglob("*.py")):
        rel = f.relative_to(PACKAGE.parent).with_suffix("")
        name = ".".join(rel.parts).removesuffix(".__init__")
        found[name] = f
    return found


def imports(module: str, path: Path) -> list[tuple[int, str]]:
    """``(line, imported evalkit module)`` for every import of evalkit in the file."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out += [(node.lineno, a.name) for a in node.names if a.name.split(".")[0] == "evalkit"]
        elif isinstance(node, ast.ImportFrom):
            if node.level:  # relative: resolve against this module's package
                base = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                target = f"{base}.{node.module}" if node.module else base
            else:
                target = node.module or ""
            if target.split(".")[0] == "evalkit":
                out.append((node.lineno, target))
    return out


def violations() -> list[str]:
    found = []
    for module, path in modules().items():
        here = part(module)
        if here not in RANKS:
            found.append(f"{module}: not in any layer (add {here!r} to RANKS in tests/test_layers.py)")
            continue
        for line, target in imports(module, path):
            there = part(target)
            if there == here or target == "evalkit":
                continue  # its own subpackage, or the root (``__version__``)
            if there not in RANKS:
                found.append(f"{module}:{line} imports {target}, which is in no layer")
            elif RANKS[there] >= RANKS[here] and not (RANKS[here] == RANKS[there] == BASE):
                found.append(f"{module}:{line} imports {target} ({there} is not below {here})")
    return found


def test_no_upward_or_sideways_import() -> None:
    assert violations() == []


def test_every_part_of_the_package_has_a_layer() -> None:
    parts = {part(m) for m in modules()}
    assert parts <= set(RANKS), sorted(parts - set(RANKS))


@pytest.mark.parametrize(
    ("source", "module"),
    [
        ("from evalkit.cli import main\n", "scoring/profiles.py"),  # upward
        ("from evalkit.prose import reading\n", "readers/text.py"),  # sideways
        ("def f():\n    from evalkit.batch.runner import run_batch\n", "report/index.py"),  # in a function
        ("from ..pipeline import review\n", "checks/dates.py"),  # relative
        ("from evalkit.model import Filing\n", "values/notation.py"),  # the leaf reaching up
    ],
)
def test_the_check_sees_a_bad_import(
    source: str, module: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The test must be able to fail: plant one bad import in a copy of the package.
    import shutil
    import sys

    copy = tmp_path / "evalkit"
    shutil.copytree(PACKAGE, copy, ignore=shutil.ignore_patterns("__pycache__"))
    target = copy / module
    target.write_text(target.read_text(encoding="utf-8") + "\n" + source, encoding="utf-8")
    monkeypatch.setattr(sys.modules[__name__], "PACKAGE", copy)
    name = "evalkit." + module.removesuffix(".py").replace("/", ".")
    assert [v for v in violations() if v.startswith(f"{name}:")]


# Names with a leading underscore that are documented public API.
PUBLIC_UNDERSCORED = {"os._exit"}


def private_uses(path: Path) -> list[str]:
    """Private names of other packages a file reaches for: ``from x import _y``, ``x._y``."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    aliases: set[str] = set()
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            aliases |= {
                (a.asname or a.name).split(".")[0] for a in node.names if not a.name.startswith("evalkit")
            }
        elif (
            isinstance(node, ast.ImportFrom)
            and not node.level
            and not (node.module or "").startswith("evalkit")
        ):
            mod = node.module or ""
            private = [p for p in mod.split(".") if p.startswith("_") and not p.startswith("__")]
            names = [a.name for a in node.names if a.name.startswith("_") and not a.name.startswith("__")]
            if private or names:
                found.append(
                    f"{path.name}:{node.lineno} from {mod} import {', '.join(a.name for a in node.names)}"
                )
            aliases |= {a.asname or a.name for a in node.names}
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Attribute)
            and node.attr.startswith("_")
            and not node.attr.startswith("__")
            and isinstance(node.value, ast.Name)
            and node.value.id in aliases
            and f"{node.value.id}.{node.attr}" not in PUBLIC_UNDERSCORED
        ):
            found.append(f"{path.name}:{node.lineno} {node.value.id}.{node.attr}")
    return found


def test_no_private_parts_of_other_packages() -> None:
    # papermill, openpyxl and the standard library change their private parts without notice.
    found = [use for path in modules().values() for use in private_uses(path)]
    assert found == []
