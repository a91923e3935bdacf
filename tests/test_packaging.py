"""Packaging: every imported package declared (pyproject.toml, mirrored in environment.yml), the
bundled files found by an installed evalkit, ``evalkit init`` laying out a working workspace, and a
wheel that works outside the checkout."""

from __future__ import annotations

import ast
import os
import re
import shutil
import subprocess
import sys
import zipfile
from importlib.metadata import packages_distributions
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from evalkit.cli import cli
from evalkit.resources import init_workspace, notebooks_dir, profiles_dir, sample_years, samples_dir

ROOT = Path(__file__).resolve().parent.parent
SEED_ID = "武汉市蔡甸区红十字会"

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    tomllib = pytest.importorskip("tomli")


def normalize(name: str) -> str:
    """A distribution name as pip compares them (PEP 503)."""
    return re.sub(r"[-_.]+", "-", name).lower()


def split(requirement: str) -> tuple[str, str]:
    """``"ipywidgets>=8.1,<9  # note"`` → ``("ipywidgets", ">=8.1,<9")``."""
    text = requirement.split("#")[0].strip()
    m = re.match(r"^([A-Za-z0-9][A-Za-z0-9._-]*)\s*(.*)$", text)
    assert m, requirement
    return normalize(m.group(1)), m.group(2).replace(" ", "")


def pyproject() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))


def declared(extras: tuple[str, ...] = ()) -> dict[str, str]:
    project = pyproject()["project"]
    reqs = list(project["dependencies"])
    for extra in extras:
        reqs += project["optional-dependencies"][extra]
    return dict(split(r) for r in reqs)


def test_environment_yml_mirrors_pyproject() -> None:
    # conda users get the same packages with the same bounds as pip users (runtime and tests).
    env = yaml.safe_load((ROOT / "environment.yml").read_text(encoding="utf-8"))
    conda: dict[str, str] = {}
    for dep in env["dependencies"]:
        items = dep["pip"] if isinstance(dep, dict) else [dep]
        for item in items:
            if item.startswith("-e") or split(item)[0] in ("python", "pip"):
                continue
            name, spec = split(item)
            conda[name] = spec
    assert conda == declared(tuple(pyproject()["project"]["optional-dependencies"]))


def imported(folder: Path) -> set[str]:
    """Top-level names of the third-party modules the ``.py`` files under ``folder`` import."""
    local = {p.stem for p in folder.rglob("*.py")} | {"evalkit", "bench_batch"}
    names: set[str] = set()
    for f in folder.rglob("*.py"):
        for node in ast.walk(ast.parse(f.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names |= {a.name.split(".")[0] for a in node.names}
            elif isinstance(node, ast.ImportFrom) and not node.level and node.module:
                names.add(node.module.split(".")[0])
    return {n for n in names if n not in sys.stdlib_module_names and n not in local}


def distributions(modules: set[str]) -> set[str]:
    owners = packages_distributions()
    missing = sorted(m for m in modules if m not in owners)
    assert not missing, f"imported but not installed: {missing}"
    return {normalize(owners[m][0]) for m in modules}


def test_every_imported_package_is_declared() -> None:
    # Imported by evalkit → a dependency, or an extra for an optional feature (serve, dask);
    # imported by a test only → the test extra.
    features = tuple(e for e in pyproject()["project"]["optional-dependencies"] if e != "test")
    runtime = distributions(imported(ROOT / "evalkit"))
    assert sorted(runtime - set(declared(features))) == []
    for_tests = distributions(imported(ROOT / "tests"))
    assert sorted(for_tests - set(declared(("test",)))) == []


def test_the_checkout_is_its_own_resources() -> None:
    # An editable install reads the files where a user edits them (setup.py bundles these for a wheel).
    assert profiles_dir() == ROOT / "parameters" / "profiles"
    assert notebooks_dir() == ROOT / "notebooks"
    assert samples_dir() == ROOT / "parameters"
    assert "2024" in sample_years() and "profiles" not in sample_years()


def test_init_lays_out_a_workspace_and_keeps_edits(tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    result = CliRunner().invoke(cli, ["init", str(ws)])
    assert result.exit_code == 0, result.output
    assert "新建" in result.output
    for folder, source in (
        (ws / "parameters" / "profiles", profiles_dir()),
        *((ws / "parameters" / year, samples_dir() / year) for year in sample_years()),
        (ws / "notebooks", notebooks_dir()),
    ):
        names = sorted(p.name for p in source.iterdir() if p.suffix in (".yaml", ".ipynb"))
        assert names and sorted(p.name for p in folder.iterdir()) == names
        for name in names:
            assert (folder / name).read_bytes() == (source / name).read_bytes()
    assert (ws / "outputs").is_dir()
    # A reviewer's edit survives a second init.
    edited = ws / "parameters" / "2024" / f"{SEED_ID}.yaml"
    edited.write_text(edited.read_text(encoding="utf-8") + "# 已修改\n", encoding="utf-8")
    again = init_workspace(ws)
    assert not again.created and edited in again.kept
    assert edited.read_text(encoding="utf-8").endswith("# 已修改\n")
    # A file where the folder should be: a clear error, exit 2.
    (tmp_path / "f").write_text("x")
    bad = CliRunner().invoke(cli, ["init", str(tmp_path / "f")])
    assert bad.exit_code == 2 and "不是文件夹" in bad.output


def test_workspace_reviews_the_seed_with_its_own_profiles(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    init_workspace(tmp_path)
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(cli, ["review", f"parameters/2024/{SEED_ID}.yaml", "--json"])
    assert result.exit_code == 0, result.output
    assert '"total": 99.28' in result.output and '"grade": "优"' in result.output


def _venv_python(venv: Path) -> Path:
    return venv / ("Scripts/python.exe" if os.name == "nt" else "bin/python")


@pytest.mark.slow
def test_wheel_works_outside_the_checkout(tmp_path: Path) -> None:
    # Built as a user would, installed where the checkout cannot be imported: init, then review.
    wheels = tmp_path / "whl"
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", str(ROOT), "-w", str(wheels), "--no-deps", "-q"],
        check=True,
        capture_output=True,
        cwd=tmp_path,
    )
    (wheel,) = wheels.glob("evalkit-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    for bundled in ("profiles/mof-2020.yaml", "notebooks/review.ipynb", f"samples/2024/{SEED_ID}.yaml"):
        assert f"evalkit/resources/{bundled}" in names
    # Every file of the package (templates, layouts, the Word template, …) ships, not only code.
    shipped = {
        f.relative_to(ROOT).as_posix()
        for f in (ROOT / "evalkit").rglob("*")
        if f.is_file() and "__pycache__" not in f.parts and f.suffix != ".pyc"
    }
    assert sorted(shipped - names) == []
    venv = tmp_path / "venv"
    # The dependencies come from this interpreter's site-packages; evalkit only from the wheel.
    subprocess.run([sys.executable, "-m", "venv", "--system-site-packages", str(venv)], check=True)
    python = _venv_python(venv)
    subprocess.run(
        [str(python), "-m", "pip", "install", "-q", "--no-deps", "--force-reinstall", str(wheel)],
        check=True,
        capture_output=True,
    )
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env["PYTHONSAFEPATH"] = "1"
    work = tmp_path / "elsewhere"
    work.mkdir()
    where = subprocess.run(
        [str(python), "-c", "import evalkit; print(evalkit.__file__)"],
        capture_output=True,
        text=True,
        env=env,
        cwd=work,
        check=True,
    ).stdout.strip()
    assert str(ROOT) not in where and str(venv) in where, where
    evalkit = (
        [str(python), "-m", "evalkit.cli"]
        if not (venv / "bin" / "evalkit").exists()
        else [str(venv / "bin" / "evalkit")]
    )
    init = subprocess.run([*evalkit, "init", "ws"], capture_output=True, text=True, env=env, cwd=work)
    assert init.returncode == 0, init.stderr
    shown = subprocess.run(
        [*evalkit, "review", f"parameters/2024/{SEED_ID}.yaml", "--json"],
        capture_output=True,
        text=True,
        env=env,
        cwd=work / "ws",
    )
    assert shown.returncode == 0, shown.stderr
    assert '"total": 99.28' in shown.stdout
    # A bare profile name is found among the bundled ones from any folder.
    elsewhere = subprocess.run(
        [
            *evalkit,
            "review",
            str(work / "ws" / "parameters" / "2024" / f"{SEED_ID}.yaml"),
            "--profile",
            "province-80-70-60",
        ],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
    )
    assert elsewhere.returncode == 0, elsewhere.stderr
    shutil.rmtree(venv, ignore_errors=True)


def test_a_system_site_packages_venv_finds_nbconvert_templates(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # `python -m venv --system-site-packages`: nbconvert comes from the base Python, its templates
    # stay under the base's share/jupyter; evalkit run must still render (found in /tmp/ws).
    from evalkit.batch import kernels

    base = tmp_path / "base"
    (base / "share" / "jupyter" / "nbconvert" / "templates" / "base").mkdir(parents=True)
    monkeypatch.setattr(sys, "base_prefix", str(base))
    monkeypatch.setattr(sys, "prefix", str(tmp_path / "venv"))
    monkeypatch.setenv("JUPYTER_PATH", "")
    kernels.ensure_kernel(tmp_path / "k")
    assert os.environ["JUPYTER_PATH"].split(os.pathsep) == [
        str(tmp_path / "k"),
        str(base / "share" / "jupyter"),
    ]
    # A venv with its own nbconvert keeps its own templates first.
    (tmp_path / "venv" / "share" / "jupyter" / "nbconvert" / "templates" / "base").mkdir(parents=True)
    monkeypatch.setenv("JUPYTER_PATH", "")
    kernels.ensure_kernel(tmp_path / "k")
    assert os.environ["JUPYTER_PATH"] == str(tmp_path / "k")


def _version(text: str) -> tuple[int, ...]:
    return tuple(int(p) for p in re.findall(r"\d+", text.split("rc")[0])[:3])


def test_constraints_pin_every_declared_package() -> None:
    # CI installs with constraints.txt: a package declared but not pinned would float to its
    # newest release there. Regenerate with `python .ci/freeze_constraints.py`.
    pins = {}
    for line in (ROOT / "constraints.txt").read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            name, _, version = line.partition("==")
            pins[normalize(name)] = version.strip()
    wanted = declared(tuple(pyproject()["project"]["optional-dependencies"]))
    assert sorted(set(wanted) - set(pins)) == []
    for name, spec in wanted.items():
        low = re.search(r">=\s*([\d.]+)", spec)
        if low:
            assert _version(pins[name]) >= _version(low.group(1)), (name, pins[name], spec)
