"""Last year beside this year: the same unit's filing in ``parameters/<year-1>/``.

The unit is matched by its id (the file name) or, failing that, by its name and kind. Indicators
are matched by their 三级指标 name. A target set below what the unit already achieved last year is
a target set too low (指标值设置偏低, RULES §5.4), found here with both figures.

The review knows where the filing lies only when it was given a path: :func:`evalkit.pipeline.review`
puts it in ``ctx.cache["path"]``; a caller may also put last year's filing in ``ctx.cache["previous"]``.
"""

from __future__ import annotations

import os
import re
import textwrap
import unicodedata
from collections.abc import Iterator
from functools import lru_cache
from pathlib import Path

from evalkit.checks import Check, Context, Finding, check, fmt, place_row, where_row
from evalkit.errors import EvalkitError
from evalkit.model import Filing, Indicator
from evalkit.safeyaml import YamlRefused, load_yaml
from evalkit.scoring.rules import EQUAL, POSITIVE, REVERSE
from evalkit.values import notation as nt

_UNIT_BLOCK = re.compile(r"^unit:\s*\n((?:[ \t]+.*\n?)+)", re.MULTILINE)


def _norm(text: str) -> str:
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text or ""))


def previous_folder(path: str | os.PathLike[str], year: int | None) -> Path | None:
    """``parameters/<year-1>/`` for a filing at ``parameters/<year>/<unit-id>.yaml``, when it exists."""
    p = Path(path)
    folder = p.parent
    try:
        this = int(folder.name)
    except ValueError:
        if year is None:
            return None
        this = year
    prev = folder.parent / str(this - 1)
    return prev if prev.is_dir() else None


@lru_cache(maxsize=8)
def _index(folder: str, stamp: int) -> dict[tuple[str, str], str]:
    # (name, kind) → file of every filing in a folder, read from each file's `unit:` block only,
    # so matching by name costs one small read per file, once per folder and modification time.
    out: dict[tuple[str, str], str] = {}
    for f in sorted(Path(folder).glob("*.yaml")):
        if f.name.endswith(".review.yaml"):
            continue
        try:
            with open(f, encoding="utf-8") as fh:
                head = fh.read(4096)
            m = _UNIT_BLOCK.search(head)
            # The bounded loader: a 4 KB head can still hold an alias bomb.
            unit = load_yaml(textwrap.dedent(m.group(1))) if m else None
        except (OSError, UnicodeDecodeError, YamlRefused):
            continue
        if isinstance(unit, dict):
            out.setdefault((_norm(str(unit.get("name") or "")), str(unit.get("kind") or "")), str(f))
    return out


def previous_path(path: str | os.PathLike[str], filing: Filing) -> Path | None:
    """Last year's filing of the same unit: same unit id, else same name and kind; None when none."""
    folder = previous_folder(path, filing.unit.year)
    if folder is None:
        return None
    same_id = folder / Path(path).name
    if same_id.is_file():
        return same_id
    # Keyed on the files' newest change, so an edited filing is seen (a few stats, no reads).
    stamp = max((f.stat().st_mtime_ns for f in folder.glob("*.yaml")), default=0)
    index = _index(str(folder), stamp)
    found = index.get((_norm(filing.unit.name), filing.unit.kind))
    return Path(found) if found else None


def previous_filing(ctx: Context) -> Filing | None:
    """Last year's filing of the reviewed unit (cached in the context), or None."""
    if "previous" in ctx.cache:
        return ctx.cache["previous"]  # type: ignore[return-value]
    prev = None
    path = ctx.cache.get("path")
    if path is not None:
        found = previous_path(str(path), ctx.filing)
        if found is not None:
            from evalkit.readers import read_filing

            try:
                prev = read_filing(found)
            except EvalkitError:
                prev = None  # last year's file is reviewed on its own; here it only adds a comparison
    ctx.cache["previous"] = prev
    return prev


def match_indicators(this: Filing, last: Filing) -> dict[str, Indicator]:
    """This year's indicator key → last year's indicator of the same name (first of each name)."""
    by_name: dict[str, Indicator] = {}
    for ind in last.indicators:
        by_name.setdefault(_norm(ind.name), ind)
    out = {}
    for ind in this.indicators:
        prev = by_name.get(_norm(ind.name))
        if prev is not None:
            out[ind.key] = prev
    return out


@check("O102", "over_target", "warning", "指标值低于上年实际完成值（指标值设置偏低）")
def target_below_last_year(chk: Check, ctx: Context) -> Iterator[Finding]:
    """This year's target is below what the same unit achieved on the same indicator last year
    (``parameters/<year-1>/``, matched by unit id or name and kind, then by indicator name): the
    target was set too low. A ceiling (reverse indicator) set above last year's actual is the
    same fault. ``history.target_margin`` of the profile allows a tolerance (default 0).

    Why: RULES §5.4: a target the unit had already exceeded the year before is set too low, so its
    full score says nothing; reviewers compare with last year's actual and reduce the score.

    Example: 送戏下乡场次 ≥60场 in 2024 after 128场 in 2023 (the 示例 culture unit).

    Settings: history.target_margin
    """
    last = previous_filing(ctx)
    if last is None:
        return
    margin = ctx.profile.history.target_margin
    year = last.unit.year or "上"
    matched = match_indicators(ctx.filing, last)
    for s in ctx.card.indicators:
        prev = matched.get(s.indicator.key)
        if prev is None:
            continue
        target, before = s.target, prev.actual
        if target is None or target.kind != nt.NUMBER or before.kind != nt.NUMBER:
            continue
        if target.number is None or before.number is None or not nt.same_unit(target, before):
            continue
        ind = s.indicator
        if s.rule in (POSITIVE, EQUAL) and target.number < before.number * (1 - margin) - 1e-9:
            what = f"本年目标值{ind.target_text}低于{year}年实际完成值{prev.actual_text}"
            should = "目标值应不低于上年实际水平"
        elif s.rule == REVERSE and target.number > before.number * (1 + margin) + 1e-9:
            what = f"本年目标上限{ind.target_text}高于{year}年实际值{prev.actual_text}"
            should = "控制上限应不高于上年实际水平"
        else:
            continue
        yield chk.finding(
            f"{what}（{fmt(target.number)}对{fmt(before.number)}），指标值设置偏低；{should}，请核实并酌情扣分",
            where_row(ind),
            ind.loc,
            place_row(ind),
        )
