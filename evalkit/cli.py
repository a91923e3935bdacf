"""The ``evalkit`` command: a thin click layer over the package's public functions.

Imports inside commands are deliberate: ``evalkit --help`` must start fast, without pandas,
matplotlib or pydantic on its path.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

EXIT_UNREADABLE = 2


def _fail(message: str) -> None:
    click.echo(f"错误：{message}", err=True)
    sys.exit(EXIT_UNREADABLE)


def _load(path: str, profile: str | None, decisions: str | None):
    from evalkit.errors import EvalkitError
    from evalkit.pipeline import review

    try:
        return review(path, profile=profile, decisions=decisions)
    except EvalkitError as exc:
        _fail(str(exc))


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="evalkit")
def cli() -> None:
    """evalkit — 预算绩效自评复核工具 (review workbench for budget performance self-evaluations)."""
    _guard_terminal()


def _guard_terminal() -> None:
    # Filing text reaches the terminal in messages: no control character gets through.
    from evalkit.fileio import TerminalStream

    saved = sys.stdout, sys.stderr
    if not isinstance(sys.stdout, TerminalStream):
        sys.stdout = TerminalStream(sys.stdout)
    if not isinstance(sys.stderr, TerminalStream):
        sys.stderr = TerminalStream(sys.stderr)

    def restore() -> None:
        sys.stdout, sys.stderr = saved

    click.get_current_context().call_on_close(restore)


@cli.command("review")
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=str), metavar="FILE… | DIR")
@click.option(
    "--profile", "profile", default=None, help="Scoring profile name or YAML path (default mof-2020)."
)
@click.option(
    "--decisions",
    default=None,
    help="Reviewer decisions YAML (default: <filing>.review.yaml if present; one FILE only).",
)
@click.option(
    "--json",
    "as_json",
    is_flag=True,
    help="Print the review as JSON (stable keys); with many files, one object per line (JSON lines).",
)
@click.option(
    "--fail-on",
    type=click.Choice(["never", "error", "warning"]),
    default="never",
    show_default=True,
    help="Exit 1 when a finding of this severity or worse is present (for scripts).",
)
def review_cmd(
    files: tuple[str, ...], profile: str | None, decisions: str | None, as_json: bool, fail_on: str
) -> None:
    """Recompute the score card of FILE (.txt, .docx, .xlsx or evalkit .yaml) and list the findings.

    With several FILEs or a DIR (its filings, not its subfolders) all are reviewed in this one
    process: a table with a line per filing (or JSON lines with --json); a file that cannot be read
    is a line with its error, the rest go on, and the exit status is 2 at the end.
    """
    worst = {"error": ("error",), "warning": ("error", "warning")}.get(fail_on, ())
    if len(files) > 1 or Path(files[0]).is_dir():
        if decisions is not None:
            _fail("--decisions 只能用于单个文件；多个文件各自使用旁边的 <文件名>.review.yaml")
        sys.exit(_review_many(list(files), profile, as_json, worst))
    file = files[0]
    if decisions is None:
        candidate = Path(file).with_suffix(".review.yaml")
        decisions = str(candidate) if candidate.exists() else None
    rv = _load(file, profile, decisions)
    if as_json:
        from evalkit.fileio import json_text

        try:
            click.echo(json_text(rv.to_json(), terminal=True, ensure_ascii=False, indent=2))
        except ValueError as exc:
            _fail(f"{file}：{exc}")
    else:
        from evalkit.report.textcard import render

        click.echo(render(rv))
    if any(f.severity in worst for f in rv.findings):
        sys.exit(1)


_MANY_HEADERS = ["文件", "单位", "复核得分", "等级", "自评得分", "错误", "警告", "提示"]
_MANY_WIDTHS = [30, 8, 4, 8, 4, 4, 4]  # after the file column, as wide as the longest path


def _review_many(items: list[str], profile: str | None, as_json: bool, worst: tuple[str, ...]) -> int:
    """Review many filings in this process, printing a line per filing as it is done; the exit code."""
    from evalkit.errors import EvalkitError
    from evalkit.fileio import json_text
    from evalkit.pipeline import filing_paths, review_many
    from evalkit.report.textcard import table, width

    paths = filing_paths(items)
    if not paths:
        _fail("、".join(items) + "：没有找到填报文件（.txt/.docx/.xlsx/.yaml）")
    failed = flagged = 0
    widths = [max(width(str(p)) for p in [*paths, Path("文件")]), *_MANY_WIDTHS]
    right = {2, 4, 5, 6, 7}
    if not as_json:
        click.echo(table(_MANY_HEADERS, [], widths, right=right))
    try:
        for item in review_many(paths, profile=profile):
            rv = item.review
            if rv is None:
                failed += 1
                if as_json:
                    click.echo(
                        json_text({"file": str(item.path), "error": item.error}, True, ensure_ascii=False)
                    )
                else:
                    cells = [str(item.path), f"✗ 无法复核：{item.error}"]
                    click.echo(table(["", ""], [cells], [widths[0], width(cells[1])]).splitlines()[2])
                continue
            flagged += any(f.severity in worst for f in rv.findings)
            if as_json:
                try:
                    click.echo(json_text({"file": str(item.path), **rv.to_json()}, True, ensure_ascii=False))
                except ValueError as exc:  # a non-finite number: that file's error line, the rest go on
                    failed += 1
                    click.echo(
                        json_text({"file": str(item.path), "error": str(exc)}, True, ensure_ascii=False)
                    )
                continue
            declared = rv.filing.unit.declared_total
            row = [
                str(item.path),
                rv.filing.unit.name or "—",
                f"{rv.total:.2f}",
                rv.grade,
                "—" if declared is None else f"{declared:.2f}",
                *(str(rv.count(s)) for s in ("error", "warning", "info")),
            ]
            click.echo(table(_MANY_HEADERS, [row], widths, right=right).splitlines()[2])
    except EvalkitError as exc:  # the profile: nothing can be reviewed without it
        _fail(str(exc))
    if not as_json:
        done = len(paths) - failed
        click.echo(f"共{len(paths)}份：已复核{done}份，无法复核{failed}份")
    if failed:
        return EXIT_UNREADABLE
    return 1 if flagged else 0


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
        from evalkit.readers.folder import import_folder

        try:
            status = import_folder(source, parameters=parameters, year=year, echo=click.echo)
        except EvalkitError as exc:
            _fail(str(exc))
        sys.exit(status)
    try:
        filing = read_filing(source)
    except EvalkitError as exc:
        _fail(str(exc))
    if year and not filing.unit.year:
        filing.unit.year = year
    target = Path(output) if output else default_yaml_path(filing, parameters)
    try:
        write_yaml(filing, target)
    except OSError as exc:
        from evalkit.fileio import write_error

        _fail(write_error(target, exc))
    click.echo(
        f"已导入：{source} → {target}（{len(filing.goals)}个年度目标，{len(filing.indicators)}项指标）"
    )


@cli.command("checks")
@click.argument("code", required=False)
@click.option("--markdown", is_flag=True, help="Print the catalogue as Markdown (docs/checks.md).")
def checks_cmd(code: str | None, markdown: bool) -> None:
    """List the review-check catalogue (code, family, severity, lifecycle, title), or explain CODE."""
    from evalkit.checks import catalogue, catalogue_markdown, explain

    if code:
        try:
            click.echo(explain(code))
        except KeyError:
            _fail(f"没有复核检查代码“{code}”（evalkit checks 列出全部代码）")
        return
    if markdown:
        click.echo(catalogue_markdown())
        return
    from evalkit.checks import FAMILY_LABELS, LIFECYCLE_LABELS, SEVERITY_LABELS
    from evalkit.report.textcard import table

    rows = [
        [
            c.code,
            f"{c.family}（{FAMILY_LABELS[c.family]}）",
            f"{c.severity}（{SEVERITY_LABELS[c.severity]}）",
            LIFECYCLE_LABELS[c.lifecycle],
            c.title,
        ]
        for c in catalogue()
    ]
    click.echo(table(["代码", "类别", "级别", "状态", "标题"], rows))


@cli.command("run")
@click.option("--year", default=None, help="Fiscal year folder under parameters/ (default: the latest).")
@click.option(
    "--jobs", "-j", type=click.IntRange(min=1), default=None, help="Parallel workers (default: the cores)."
)
@click.option(
    "--only", multiple=True, metavar="UNIT", help="Run only this unit id (repeat, or comma-separated)."
)
@click.option("--force", is_flag=True, help="Run units whose inputs have not changed, too.")
@click.option("--profile", default=None, help="Scoring profile name or YAML path (default mof-2020).")
@click.option("--parameters", default="parameters", show_default=True, help="The parameters folder.")
@click.option("--outputs", default="outputs", show_default=True, help="Where reports are written.")
@click.option(
    "--executor",
    type=click.Choice(["warm", "fresh"]),
    default="warm",
    show_default=True,
    help="warm: kernels kept per worker, reset between units; fresh: a new kernel per unit.",
)
@click.option(
    "--restart-every",
    type=click.IntRange(min=1),
    default=50,
    show_default=True,
    metavar="K",
    help="warm: restart a worker's kernel after K units.",
)
@click.option(
    "--timeout",
    type=click.FloatRange(min=0, min_open=True),
    default=600.0,
    show_default=True,
    metavar="SECONDS",
    help="Fail a unit whose notebook cell runs longer than this.",
)
@click.option(
    "--scheduler",
    default=None,
    metavar="ADDRESS",
    help="Run the units on a Dask cluster (tcp://host:8786, or 'local' for a LocalCluster of --jobs "
    "workers); needs evalkit[dask]. Parameters and outputs must be on a path every worker sees.",
)
def run_cmd(
    year: str | None,
    jobs: int | None,
    only: tuple[str, ...],
    force: bool,
    profile: str | None,
    parameters: str,
    outputs: str,
    executor: str,
    restart_every: int,
    timeout: float,
    scheduler: str | None,
) -> None:
    """Review every unit of a year: an HTML report per unit and outputs/<year>/index.html."""
    from evalkit.batch.guard import Interrupted
    from evalkit.batch.runner import run_batch
    from evalkit.errors import EvalkitError

    units = [u.strip() for item in only for u in item.split(",") if u.strip()]
    try:
        result = run_batch(
            year=year,
            jobs=jobs,
            only=units,
            force=force,
            profile=profile,
            parameters=parameters,
            outputs=outputs,
            echo=click.echo,
            executor=executor,
            restart_every=restart_every,
            timeout=timeout,
            scheduler=scheduler,
        )
    except (Interrupted, KeyboardInterrupt) as exc:
        from evalkit.batch.guard import exit_interrupted

        # One line, no traceback: a rerun continues. Workers, kernels and staging are cleaned.
        click.echo(str(exc) or "已中断；再次运行 evalkit run 会跳过已完成的单位，从未完成的继续", err=True)
        exit_interrupted()
    except (EvalkitError, FileNotFoundError) as exc:
        _fail(str(exc))
    done = [o for o in result.outcomes if o.status == "ok"]
    skipped = [o for o in result.outcomes if o.status == "skipped"]
    ran = len(done) + len(result.failed)
    # Wall time per unit (what a year costs), not the mean latency of a unit in its worker.
    speed = (
        f"；用时{result.units_seconds:.1f}秒，每个单位{result.units_seconds / ran:.2f}秒"
        f"（{result.executor}，{result.jobs}个{'Dask 线程' if scheduler else '进程'}）"
        if ran
        else ""
    )
    click.echo(
        f"{result.year}年度：完成{len(done)}个，跳过{len(skipped)}个（未变），失败{len(result.failed)}个{speed}"
    )
    for o in result.failed:
        click.echo(
            f"  ✗ {o.unit_id}：{o.error}（笔记本见 {result.out_dir}/failed/{o.unit_id}.ipynb）", err=True
        )
    if result.summary_error:
        click.echo(f"  ✗ 汇总页：{result.summary_error}", err=True)
    if result.index:
        click.echo(f"打开 {result.index} 查看汇总与各单位报告；Excel：{result.out_dir / 'summary.xlsx'}")
    sys.exit(result.exit_code)


@cli.command("report")
@click.argument("unit", type=str)
@click.option("--docx", "as_docx", is_flag=True, help="Write the Word review report (复核报告).")
@click.option(
    "-o", "--output", default=None, help="Where to write it (default outputs/<year>/word/<unit-id>.docx)."
)
@click.option(
    "--year", default=None, help="With a unit id: the year folder under parameters/ (default: the latest)."
)
@click.option("--profile", default=None, help="Scoring profile name or YAML path (default mof-2020).")
@click.option(
    "--decisions", default=None, help="Reviewer decisions YAML (default: <filing>.review.yaml if present)."
)
@click.option("--parameters", default="parameters", show_default=True, help="The parameters folder.")
@click.option("--outputs", default="outputs", show_default=True, help="Where reports are written.")
def report_cmd(
    unit: str,
    as_docx: bool,
    output: str | None,
    year: str | None,
    profile: str | None,
    decisions: str | None,
    parameters: str,
    outputs: str,
) -> None:
    """Write a unit's review report: UNIT is a filing (.yaml, .txt, .docx, .xlsx) or a unit id."""
    if not as_docx:
        _fail("请指定报告格式：--docx（Word 复核报告）；HTML 报告由 evalkit run 生成")
    path = Path(unit)
    if not path.is_file():
        folder = Path(parameters)
        if year is None:
            years = sorted(p.name for p in folder.glob("*") if p.is_dir() and p.name.isdigit())
            year = years[-1] if years else None
        candidate = folder / str(year) / f"{unit}.yaml"
        if year is None or not candidate.is_file():
            _fail(f"{unit}：既不是文件，也不是 {folder}/<年度>/ 下的单位编号")
        path = candidate
    if decisions is None:
        candidate = path.with_suffix(".review.yaml")
        decisions = str(candidate) if candidate.exists() else None
    rv = _load(str(path), profile, decisions)
    from evalkit.report.word import write_unit_report

    unit_year = str(rv.filing.unit.year or year or "unknown-year")
    target = Path(output) if output else Path(outputs) / unit_year / "word" / f"{path.stem}.docx"
    try:
        written = write_unit_report(rv, target, outputs=outputs)
    except OSError as exc:
        _fail(f"{target}：无法写入（{exc.strerror or exc}）")
    click.echo(f"已生成 Word 复核报告：{written}")


@cli.command("template")
@click.option("-o", "--output", default=None, help="Where to write it (default 自评表模板_<kind>.xlsx).")
@click.option(
    "--kind",
    type=click.Choice(["部门整体", "项目"]),
    default="部门整体",
    show_default=True,
    help="Department-wide table or project table.",
)
@click.option("--force", is_flag=True, help="Overwrite an existing file.")
def template_cmd(output: str | None, kind: str, force: bool) -> None:
    """Write a fillable .xlsx self-evaluation template (instructions, drop-down lists, locked headers)."""
    from evalkit.readers.fillable import default_template_name, write_template

    target = Path(output or default_template_name(kind))
    if target.suffix.lower() != ".xlsx":
        _fail(f"{target}：模板只能保存为 .xlsx 文件")
    if target.exists() and not force:
        _fail(f"{target}：文件已存在，未覆盖（换一个文件名，或加 --force 覆盖）")
    try:
        write_template(target, kind)
    except OSError as exc:
        _fail(f"{target}：无法写入（{exc.strerror or exc}）")
    click.echo(f"已生成{kind}自评表模板：{target}（先看“填报说明”工作表；填好后用 evalkit import 导入）")


@cli.command("init")
@click.argument("directory", default=".")
def init_cmd(directory: str) -> None:
    """Create a workspace: parameters/ (profiles, sample units), notebooks/, outputs/."""
    from evalkit.resources import init_workspace

    try:
        ws = init_workspace(directory)
    except (OSError, FileNotFoundError) as exc:
        _fail(str(exc))
    click.echo(f"已在 {ws.root} 建立工作区：新建{len(ws.created)}个文件，已存在保留{len(ws.kept)}个")
    for path in ws.kept:
        click.echo(f"  保留（未覆盖）：{path.relative_to(ws.root).as_posix()}")
    click.echo(f"下一步：cd {ws.root} && evalkit run --year 2024，然后打开 outputs/2024/index.html")


@cli.command("serve")
@click.option("--workspace", default=".", show_default=True, help="Folder with notebooks/ and parameters/.")
@click.option(
    "--host", default="127.0.0.1", show_default=True, help="Address to listen on (loopback unless given)."
)
@click.option("--port", default=8866, show_default=True, type=int, help="Port to listen on.")
@click.option(
    "--token",
    default=None,
    help="Access token (default: $EVALKIT_SERVE_TOKEN, else a new random one, printed). Never empty.",
)
@click.option(
    "--pool-size", default=1, show_default=True, type=int, help="Preheated kernels kept ready per notebook."
)
def serve_cmd(workspace: str, host: str, port: int, token: str | None, pool_size: int) -> None:
    """Serve the review workbench as a web app (Voilà): no code shown, a token required."""
    from evalkit.workbench.serve import LOOPBACK, ServeError, resolve_config, serve

    try:
        config = resolve_config(workspace, host=host, port=port, token=token, pool_size=pool_size)
    except ServeError as exc:
        _fail(str(exc))
    click.echo(f"复核工作台：{config.url}")
    if config.host not in LOOPBACK:
        click.echo(
            "注意：服务监听在非本机地址，请在其前面配置 HTTPS 反向代理，并只把令牌发给复核人员。", err=True
        )
    sys.exit(serve(config))


def main() -> None:
    """Console-script entry point."""
    cli(prog_name="evalkit")


if __name__ == "__main__":
    main()
