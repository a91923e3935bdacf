"""The ``evalkit`` command: a thin click layer over the package's public functions.

Imports inside commands are deliberate: ``evalkit --help`` must start fast, without pandas,
matplotlib or pydantic on its path.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

EXIT_UNREADABLE = 2


def _fail(message: str) -> None:
    click.echo(f"错误：{message}", err=True)
    sys.exit(EXIT_UNREADABLE)


def _load(path: str, profile: str | None, decisions: str | None):
    from evalkit.errors import EvalkitError
    from evalkit.review import review

    try:
        return review(path, profile=profile, decisions=decisions)
    except EvalkitError as exc:
        _fail(str(exc))


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="evalkit")
def cli() -> None:
    """evalkit — 预算绩效自评复核工具 (review workbench for budget performance self-evaluations)."""


@cli.command("review")
@click.argument("file", type=click.Path(dir_okay=False, path_type=str))
@click.option(
    "--profile", "profile", default=None, help="Scoring profile name or YAML path (default mof-2020)."
)
@click.option(
    "--decisions", default=None, help="Reviewer decisions YAML (default: <filing>.review.yaml if present)."
)
@click.option("--json", "as_json", is_flag=True, help="Print the review as JSON (stable keys).")
@click.option(
    "--fail-on",
    type=click.Choice(["never", "error", "warning"]),
    default="never",
    show_default=True,
    help="Exit 1 when a finding of this severity or worse is present (for scripts).",
)
def review_cmd(file: str, profile: str | None, decisions: str | None, as_json: bool, fail_on: str) -> None:
    """Recompute the score card of FILE (.txt, .docx, .xlsx or evalkit .yaml) and list the findings."""
    if decisions is None:
        candidate = Path(file).with_suffix(".review.yaml")
        decisions = str(candidate) if candidate.exists() else None
    rv = _load(file, profile, decisions)
    if as_json:
        click.echo(json.dumps(rv.to_json(), ensure_ascii=False, indent=2))
    else:
        from evalkit.textcard import render

        click.echo(render(rv))
    worst = {"error": ("error",), "warning": ("error", "warning")}.get(fail_on, ())
    if any(f.severity in worst for f in rv.findings):
        sys.exit(1)


@cli.command("import")
@click.argument("source", type=click.Path(exists=False, path_type=str))
@click.option(
    "-o", "--output", default=None, help="Where to write the YAML (default parameters/<year>/<unit-id>.yaml)."
)
@click.option("--parameters", default="parameters", show_default=True, help="The parameters folder.")
@click.option(
    "--year", type=int, default=None, help="Fiscal year (for a folder import, or when the filing lacks it)."
)
def import_cmd(source: str, output: str | None, parameters: str, year: int | None) -> None:
    """Import a filing (or every filing in a folder) into evalkit's YAML form."""
    from evalkit.errors import EvalkitError
    from evalkit.readers import read_filing
    from evalkit.readers.yamlform import default_yaml_path, write_yaml

    if Path(source).is_dir():
        from evalkit.importing import import_folder

        sys.exit(import_folder(source, parameters=parameters, year=year, echo=click.echo))
    try:
        filing = read_filing(source)
    except EvalkitError as exc:
        _fail(str(exc))
    if year and not filing.unit.year:
        filing.unit.year = year
    target = Path(output) if output else default_yaml_path(filing, parameters)
    write_yaml(filing, target)
    click.echo(
        f"已导入：{source} → {target}（{len(filing.goals)}个年度目标，{len(filing.indicators)}项指标）"
    )


@cli.command("checks")
@click.option("--markdown", is_flag=True, help="Print the catalogue as a Markdown table (for the docs).")
def checks_cmd(markdown: bool) -> None:
    """List the review-check catalogue: code, family, severity, title."""
    from evalkit.checks import FAMILY_LABELS, SEVERITY_LABELS, catalogue

    if markdown:
        click.echo("| code | family | severity | title |\n|---|---|---|---|")
        for c in catalogue():
            click.echo(f"| {c.code} | {c.family} | {c.severity} | {c.title} |")
        return
    for c in catalogue():
        fam = f"{c.family}（{FAMILY_LABELS[c.family]}）"
        click.echo(f"{c.code}  {fam:<24}{c.severity:<8}{SEVERITY_LABELS[c.severity]}  {c.title}")


def main() -> None:
    """Console-script entry point."""
    cli(prog_name="evalkit")


if __name__ == "__main__":
    main()
