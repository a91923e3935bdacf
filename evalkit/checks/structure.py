"""Structure checks (RULES §5.7): level names, dimensions, weights and duplicate rows of the table."""

from __future__ import annotations

import re
from collections.abc import Iterator

from evalkit.checks import Check, Context, Finding, check, fmt, place_row, where_row
from evalkit.levels import STANDARD_LEVEL1, STANDARD_LEVEL2, clean_level_name, normalize_levels
from evalkit.model import LEVEL1_KEYS, LEVEL1_SATISFACTION, Indicator

_STANDARD_LEVEL2_ALL = {name for names in STANDARD_LEVEL2.values() for name in names}
# Budget execution is scored on its own (10 points); as an indicator it is counted twice.
_BUDGET_INDICATOR = re.compile(
    r"预算执行|资金执行率|支出执行率|资金支出率|预算支出进度|资金支出进度|资金使用率"
    r"|预算完成率|资金支付完成率|资金支付率|支付完成率|支出完成率|资金支付进度"
)
_NAME_NOISE = re.compile(r"[\s，,。.；;：:、（）()“”\"]+")


def _variant(raw: str, standard: str) -> bool:
    """True for a harmless variant of a standard name ("产出" or "产出指标（50分）" for 产出指标)."""
    return standard.startswith(raw) or raw.startswith(standard)


@check("T101", "structure", "warning", "一级指标名称不规范")
def level1_name(chk: Check, ctx: Context) -> Iterator[Finding]:
    """A goal uses a level-1 name that is not one of 产出指标 / 效益指标 / 满意度指标 (e.g.
    "效果指标"): the rows were mapped onto the standard name, which the reviewer should confirm.

    Why: A non-standard level name hides which dimension a row belongs to; the mapping decides the row's
    weight, and the reviewer should confirm it.

    Example: `效果指标` holding 社会效益 and 满意度 rows (the seed's goal 2).
    """
    seen: set[tuple[int, str]] = set()
    for ind in ctx.filing.indicators:
        raw = clean_level_name(ind.level1_raw)
        if not raw or raw in STANDARD_LEVEL1 or (ind.goal, raw) in seen:
            continue
        seen.add((ind.goal, raw))
        mapped = normalize_levels(raw, "")[0]
        if mapped in STANDARD_LEVEL1 and _variant(raw, mapped):
            continue
        to = f"，按“{mapped}”处理" if mapped in STANDARD_LEVEL1 else "，无法归入标准一级指标"
        yield chk.finding(
            f"目标{ind.goal}的一级指标写作“{raw}”，不是标准名称（产出指标、效益指标、满意度指标）{to}",
            where_row(ind),
            ind.loc,
            place_row(ind),
        )


@check("T102", "structure", "info", "二级指标名称不规范或归类不当")
def level2_name(chk: Check, ctx: Context) -> Iterator[Finding]:
    """A level-2 name is not a standard one (数量/质量/时效/成本, 经济/社会/生态效益, 可持续影响,
    服务对象满意度), or a standard one stands under another level 1 (社会效益指标 under 产出指标).

    Why: The level 2 decides the rule and the dimension (a 成本指标 is a ceiling); a misfiled row may be
    scored the wrong way round.

    Example: `社会效益指标` under 产出指标.
    """
    seen: set[tuple[int, str, str]] = set()
    for ind in ctx.filing.indicators:
        raw = clean_level_name(ind.level2_raw)
        key = (ind.goal, ind.level1, raw)
        if not raw or key in seen:
            continue
        seen.add(key)
        if ind.level2 not in _STANDARD_LEVEL2_ALL:
            message = f"二级指标“{raw}”不是标准名称"
        elif ind.level1 in STANDARD_LEVEL2 and ind.level2 not in STANDARD_LEVEL2[ind.level1]:
            message = f"二级指标“{raw}”归在一级指标“{ind.level1}”下，按标准应属其他一级指标"
        elif not _variant(raw, ind.level2) and ind.level2 not in raw:
            # Read as a standard name ("进度指标" as 时效指标): say so, the reviewer confirms.
            message = f"二级指标“{raw}”不是标准名称，已按“{ind.level2}”归类"
        else:
            continue
        yield chk.finding(message, where_row(ind), ind.loc, place_row(ind))


@check("T103", "structure", "warning", "满意度指标归入其他一级指标")
def satisfaction_misfiled(chk: Check, ctx: Context) -> Iterator[Finding]:
    """A satisfaction indicator is filed under another level-1 name (效益指标, 效果指标): it was
    moved to 满意度指标, whose weight it takes.

    Why: Satisfaction has its own weight (10 by default); filed elsewhere it takes another dimension's
    weight and its own goes unearned.

    Example: `服务对象满意度` under 效果指标 (the seed's goal 2).
    """
    for ind in ctx.filing.indicators:
        raw = clean_level_name(ind.level1_raw)
        if ind.level1 == LEVEL1_SATISFACTION and raw and "满意" not in raw:
            yield chk.finding(
                f"满意度指标填在一级指标“{raw}”下，已按“{LEVEL1_SATISFACTION}”计分",
                where_row(ind),
                ind.loc,
                place_row(ind),
            )


@check("T104", "structure", "warning", "缺少一级指标维度")
def missing_dimension(chk: Check, ctx: Context) -> Iterator[Finding]:
    """The table has no indicator at all for one of 产出指标 / 效益指标 / 满意度指标: that
    dimension's weight cannot be earned or is given to no one.

    Why: A missing dimension leaves its weight unearned or unassigned: the total is out of less than
    100, or the other dimensions are overweighted.

    Example: A table with 产出 and 效益 rows and no 满意度指标.
    """
    rows = ctx.filing.indicators
    if not rows:
        return
    present = {ind.level1 for ind in rows}
    for level1 in STANDARD_LEVEL1:
        if level1 not in present:
            yield chk.finding(f"自评表没有“{level1}”类指标", "绩效指标", None, (2, 0))


def _weighted(ctx: Context) -> list[Indicator]:
    return ctx.filing.indicators if ctx.filing.has_weights else []


@check("T105", "structure", "error", "指标分值合计不符")
def weights_total(chk: Check, ctx: Context) -> Iterator[Finding]:
    """The indicator weights (分值) do not add up to the full score less the budget points (90).

    Why: Weights that do not add up to 90 put the total out of something other than 100, so units cannot
    be compared.

    Example: Indicator 分值 that add up to 85.
    """
    rows = _weighted(ctx)
    if not rows:
        return
    expected = ctx.profile.max_total - ctx.profile.budget.points
    total = sum(ind.weight or 0.0 for ind in rows)
    if abs(total - expected) > ctx.profile.tolerance:
        yield chk.finding(
            f"各指标分值合计{fmt(total)}分，应为{fmt(expected)}分（总分{fmt(ctx.profile.max_total)}"
            f"减预算执行率{fmt(ctx.profile.budget.points)}分）",
            "绩效指标",
            None,
            (2, 0),
        )


@check("T106", "structure", "warning", "一级指标分值与评分方案不符")
def level1_weights(chk: Check, ctx: Context) -> Iterator[Finding]:
    """The weights of a level-1 dimension do not add up to the profile's (产出 50, 效益 30,
    满意度 10 by default).

    Why: The profile's dimension weights are the scoring policy; a table that weights outputs 60 instead
    of 50 shifts the score towards the easiest rows.

    Example: 产出 rows weighted 60 in all under the default 50 / 30 / 10.

    Settings: weights
    """
    rows = _weighted(ctx)
    if not rows:
        return
    wanted = ctx.profile.weights.model_dump()
    for level1, key in LEVEL1_KEYS.items():
        total = sum(ind.weight or 0.0 for ind in rows if ind.level1 == level1)
        if abs(total - wanted[key]) > ctx.profile.tolerance:
            yield chk.finding(
                f"“{level1}”分值合计{fmt(total)}分，评分方案（{ctx.profile.name}）为{fmt(wanted[key])}分",
                "绩效指标",
                None,
                (2, 0),
            )


@check("T107", "structure", "warning", "同一目标下指标重复")
def duplicates(chk: Check, ctx: Context) -> Iterator[Finding]:
    """The same indicator name appears twice under one goal: one result is counted twice.

    Why: A duplicated row counts one result twice and dilutes the other rows' weights.

    Example: `培训人次` twice under 年度目标1.
    """
    for goal in ctx.filing.goals:
        seen: dict[str, Indicator] = {}
        for ind in goal.indicators:
            key = _NAME_NOISE.sub("", ind.name)
            if not key:
                continue
            if key in seen:
                first = seen[key]
                yield chk.finding(
                    f"指标“{ind.name}”与第{first.row}行重复",
                    where_row(ind),
                    ind.loc,
                    place_row(ind),
                )
            else:
                seen[key] = ind


@check("T108", "structure", "warning", "单个指标分值占比过高")
def dominant_weight(chk: Check, ctx: Context) -> Iterator[Finding]:
    """One indicator carries more than the profile's share (``checks.dominant_weight_share``, 40 %)
    of all indicator weights: the score hangs on a single row.

    Why: When one row carries most of the weight, one figure decides the grade and the total says little
    about the rest of the work.

    Example: One row with 分值 45 among indicator weights of 90 (50 %).
    """
    rows = _weighted(ctx)
    total = sum(ind.weight or 0.0 for ind in rows)
    share = ctx.profile.checks.dominant_weight_share
    for ind in rows:
        if total > 0 and (ind.weight or 0.0) > share * total:
            yield chk.finding(
                f"分值{fmt(ind.weight)}分，占全部指标分值{fmt(total)}分的{(ind.weight or 0) / total:.0%}，"
                f"超过{share:.0%}",
                where_row(ind),
                ind.loc,
                place_row(ind),
            )


@check("T109", "structure", "warning", "预算执行率作为绩效指标重复计分")
def budget_as_indicator(chk: Check, ctx: Context) -> Iterator[Finding]:
    """An indicator row measures budget execution (预算执行率, 资金支出进度…), which is already
    scored on its own: the same result is counted twice.

    Why: Budget execution already earns its own 10 points; an indicator for it scores the same fact
    twice.

    Example: An 产出指标 row `预算执行率 ≥90%`.
    """
    for ind in ctx.filing.indicators:
        if _BUDGET_INDICATOR.search(ind.name):
            yield chk.finding(
                f"指标“{ind.name}”与预算执行率重复，预算执行情况已单独计分",
                where_row(ind),
                ind.loc,
                place_row(ind),
            )
