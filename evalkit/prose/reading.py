"""What the narrative report says in figures (RULES §5.8): paragraphs in, stated figures out.

:func:`read_narrative` reads a filing's report text (and the table's 年度总体目标 cells) and returns

- :class:`Statement`: a figure the text states for a named indicator of the table, with its role
  (target or actual): "普及救护培训人数：…9770人次，完成目标值7500人次" gives an actual 9770人次 and a
  target 7500人次 for the row 普及救护培训人次数;
- :class:`GoalStatement`: a quantified sentence of the goal section (整体绩效目标, 年度绩效目标…) and
  the indicator rows it names, if any: "完成应急救护师资培训10人以上" names none;
- :class:`BudgetFigure`: an amount or rate the text states for the budget block (预算数, 调减数,
  调整后预算数, 执行数, 基本支出, 项目支出, 执行率).

Matching indicator names to free text is deliberately strict: a figure is tied to an indicator
only when the words just before it (or the paragraph's lead-in "指标名：") contain nearly every
character of the indicator's name, after measure words (人数, 人次数, 数量…) and leading verbs
(组织, 开展…) are dropped. A missed figure costs a finding; a wrongly tied one costs the
reviewer's trust.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import lru_cache

from evalkit.model import Filing, Indicator, Loc
from evalkit.values import notation as nt
from evalkit.values import quantity as qty
from evalkit.values.notation import Value, parse_value
from evalkit.values.quantity import halfwidth

__all__ = ["halfwidth"]  # re-exported: the checks quote and search text in its half-width form

ROLE_TARGET = "target"
ROLE_ACTUAL = "actual"

HOW_HEADING = "heading"  # the paragraph's lead-in names the indicator ("信息数量：…")
HOW_CLAUSE = "clause"  # the words before the figure name the indicator
HOW_INHERITED = "inherited"  # a bare "完成目标值12篇" after a named figure of the same sentence

DEFAULT_NAME_MATCH = 0.85
_BIGRAM_MATCH = 0.5  # share of the name's character pairs the words must contain as well
_PREFIX_WINDOW = 24  # characters before a figure searched for the indicator's name

# A paragraph holding more figures than this is a table or a dump pasted into the text, not
# prose: its first figures are read and the rest are left (a note says so; no report comes close).
MAX_FIGURES_PER_PARAGRAPH = 500
# And the whole narrative (a long department report states a few hundred): past this many
# figures the remaining paragraphs are not read.
MAX_FIGURES_PER_NARRATIVE = 5_000


@dataclass(frozen=True)
class Source:
    """A text a figure was read from: a narrative paragraph, or a table cell of free text."""

    index: int  # Paragraph.index, or 0 for a table cell
    label: str  # "报告正文第12段" / "自评表“年度总体目标”"
    text: str
    place: tuple[int, ...]
    loc: Loc | None = None

    def quote(self, start: int, end: int, limit: int = 30) -> str:
        """The words around ``text[start:end]``, at most ``limit`` characters, within its clause."""
        return quote(self.text, start, end, limit)


@dataclass(frozen=True)
class Figure:
    """A number with a unit as the text states it ("不少于14次", "40余篇", "202.98万元")."""

    source: Source
    start: int
    end: int
    value: Value
    role: str = ROLE_ACTUAL
    subject: str = ""  # the words just before the figure, in its clause

    @property
    def text(self) -> str:
        """The figure as written."""
        return self.source.text[self.start : self.end].strip()

    def quote(self, limit: int = 30) -> str:
        """The figure with the words around it, for a finding's place."""
        return self.source.quote(self.start, self.end, limit)


@dataclass(frozen=True)
class Statement:
    """A figure the text states for one or more indicator rows (``keys``: ``g1r2``…)."""

    figure: Figure
    keys: tuple[str, ...]
    how: str
    goal: bool = False  # stated in the goal section rather than in the results


@dataclass
class GoalStatement:
    """A quantified sentence of the goal section and the indicator rows it names."""

    source: Source
    start: int
    end: int
    figures: list[Figure] = field(default_factory=list)
    keys: tuple[str, ...] = ()

    @property
    def text(self) -> str:
        """The sentence as written."""
        return self.source.text[self.start : self.end].strip()


@dataclass(frozen=True)
class BudgetFigure:
    """An amount (万元; an adjustment signed, a cut negative) or a rate (percent) for the budget."""

    figure: Figure
    kind: str  # planned / adjustment / adjusted / executed / basic / project / rate
    amount: float
    signed: bool = True  # False for an adjustment whose words do not say cut or increase (调整数)


@dataclass
class Reading:
    """Everything :func:`read_narrative` found."""

    statements: list[Statement] = field(default_factory=list)
    goals: list[GoalStatement] = field(default_factory=list)
    budget: list[BudgetFigure] = field(default_factory=list)
    sections: dict[int, str] = field(default_factory=dict)  # paragraph index → its heading
    # Sources whose figures were not all read (MAX_FIGURES_PER_PARAGRAPH / _PER_NARRATIVE):
    # (source, how many of its figures were read).
    capped: list[tuple[Source, int]] = field(default_factory=list)
    # Every figure the results text states (tied to a row or not), with the words of its clause
    # without the figure: a goal whose figure is restated there has a reported result.
    results: list[tuple[Figure, str]] = field(default_factory=list)

    def reports(self, figure: Figure, words: str) -> bool:
        """True when the results restate ``figure`` in words like ``words`` (half their pairs)."""
        pairs = _bigrams(_plain(words))
        if not pairs:
            return False
        for result, result_words in self.results:
            if not nt.same_unit(result.value, figure.value):
                continue
            pair = nt.on_one_scale(result.value, figure.value)
            if pair is None or abs(pair[0] - pair[1]) > 1e-9 * max(1.0, abs(pair[1])):
                continue
            if len(pairs & _bigrams(_plain(result_words))) >= 0.5 * len(pairs):
                return True
        return False

    _index: dict[str, list[Statement]] = field(default_factory=dict, repr=False, compare=False)
    _indexed: int = field(default=0, repr=False, compare=False)

    def for_indicator(self, key: str) -> list[Statement]:
        """The statements tied to one indicator row."""
        if self._indexed != len(self.statements):
            self._index.clear()
            for st in self.statements:
                for k in st.keys:
                    self._index.setdefault(k, []).append(st)
            self._indexed = len(self.statements)
        return list(self._index.get(key, ()))


def find_figures(text: str, limit: int | None = None) -> list[tuple[int, int, Value]]:
    """Every number with a unit in ``text``: ``(start, end, value)``; years, months and dates are
    not. At most ``limit`` figures when given."""
    out = []
    for span in qty.iter_figure_spans(text):
        value = parse_value(text[span.start : span.end])
        if value.kind == nt.NUMBER:
            out.append((span.start, span.end, value))
            if limit is not None and len(out) >= limit:
                break
    return out


# --- text structure ---------------------------------------------------------------------------

_ENUM = r"(?:[(]\s*[0-9一二三四五六七八九十]+\s*[)]|[0-9]+\s*[.、]|[一二三四五六七八九十]+\s*[、.]|[①-⑳])"
_ENUM_RE = re.compile(rf"^\s*{_ENUM}\s*")
_SENTENCE_END = "。;!?"
_CLAUSE_END = ",;:。、!?()"
_LEAD_RE = re.compile(r"^\s*(?P<head>[^:,;。]{2,40}?)\s*[:。]")
_HEAD_TAIL = re.compile(r"(?:指标)?(?:的)?(?:完成情况分析|完成情况|情况分析|分析|情况)$|指标$")
_GOAL_HEADING_EXCLUDED = ("完成", "实现", "分析", "未", "偏差", "自评", "评价", "结果", "情况")
_LEAD_CHARS = 80  # a heading, a lead-in ("普及救护培训人数：") or "年度绩效目标：" starts a paragraph
_INLINE_GOAL_RE = re.compile(r"^\s*(?:\S{0,10}?)(?:绩效目标|年度目标|总体目标|整体目标)\s*:\s*(?=\S)")


def is_heading(text: str) -> bool:
    """True for a heading line: short, no sentence punctuation ("2.整体绩效目标", "产出指标")."""
    if len(text) > 200 and len(text.strip()) > 40:  # long text: not a heading, and not worth a pass
        return False
    t = halfwidth(text).strip()
    if not t or len(t) > 40 or t[-1] in "。;!?":
        return False
    body = _ENUM_RE.sub("", t)
    return not re.search(r"[,;。]", body) and not find_figures(body)


# "绩效目标设定情况" / "绩效目标及指标设置情况" head the goal section although they end in 情况.
_GOAL_SETTING_RE = re.compile(r"目标(?:及指标|和指标)?的?(?:设定|设置|设立|申报|编制)(?:情况|依据)?")


def _is_goal_heading(text: str) -> bool:
    if "目标" not in text:
        return False
    if _GOAL_SETTING_RE.search(text) and not any(w in text for w in ("完成", "实现", "偏差")):
        return True
    return not _excluded(text)


def sections(filing: Filing) -> dict[int, str]:
    """Each body paragraph's nearest heading (paragraph index → heading text, ``""`` when none)."""
    out: dict[int, str] = {}
    heading = ""
    for p in filing.narrative:
        if is_heading(p.text):
            heading = p.text.strip()
        else:
            out[p.index] = heading
    return out


def goal_paragraphs(filing: Filing) -> list[tuple[int, int]]:
    """Goal-section text: ``(paragraph index, offset where the goal text starts)``.

    The goal section runs from a heading naming goals (整体绩效目标, 年度绩效目标; not 目标完成情况)
    to the next heading, sub-headings about goals or indicators (（1）产出目标) kept; a body paragraph
    led by "年度绩效目标：" counts on its own.
    """
    out: list[tuple[int, int]] = []
    in_goals = False
    for p in filing.narrative:
        text = halfwidth(p.text[:_LEAD_CHARS])  # a heading or a lead-in is short
        if is_heading(p.text):
            name = _ENUM_RE.sub("", text)
            in_goals = _is_goal_heading(name) or (in_goals and "指标" in name and not _excluded(name))
            continue
        if in_goals:
            out.append((p.index, 0))
            continue
        m = _INLINE_GOAL_RE.match(text)
        if m and not _excluded(text[: m.end()]):
            out.append((p.index, m.end()))
    return out


def _excluded(text: str) -> bool:
    return any(w in text for w in _GOAL_HEADING_EXCLUDED)


def quote(text: str, start: int, end: int, limit: int = 30) -> str:
    """``text[start:end]`` widened to its clause, cut to ``limit`` characters with “…” marks."""
    offset = max(0, start - limit)
    text, start, end = text[offset : end + limit], start - offset, end - offset
    left_edge = offset > 0
    t = halfwidth(text)
    left = start
    while left > 0 and t[left - 1] not in _SENTENCE_END + ",:" and end - left < limit - 2:
        left -= 1
    right = end
    while right < len(t) and t[right] not in _SENTENCE_END + ",:" and right - left < limit - 2:
        right += 1
    if right < len(t) and t[right] in _SENTENCE_END and right - left < limit:
        right += 1  # keep the full stop when it fits
    out = text[left:right].strip()
    if (left > 0 or left_edge) and (left == 0 or t[left - 1] not in _SENTENCE_END + ",:"):
        out = "…" + out
    if right < len(t) and t[right - 1] not in _SENTENCE_END:
        out += "…"
    return out


@lru_cache(maxsize=16)
def _span_re(ends: str) -> re.Pattern[str]:
    # The ends as written and in full width (；！？ for ;!?), so the text needs no translation.
    marks = re.escape(ends + "".join(chr(ord(ch) + 0xFEE0) for ch in ends if "!" <= ch <= "~"))
    # A comma between digits with three after it groups thousands ("1，849人"): no end.
    thousands = r"(?<=[0-9０-９])[,，](?=[0-9０-９]{3}(?![0-9０-９]))|" if "," in ends else ""
    return re.compile(rf"(?:{thousands}[^{marks}])+[{marks}]?|[{marks}]")


def _spans(text: str, ends: str) -> Iterator[tuple[int, int]]:
    """The pieces of ``text`` up to and including each end mark (sentences, clauses), blank ones
    left out; lazily, so a reader that stops early does not split the rest."""
    for m in _span_re(ends).finditer(text):
        if not m.group().isspace():
            yield m.start(), m.end()


# --- indicator names --------------------------------------------------------------------------

_PAREN_RE = re.compile(r"[(][^()]*[)]")
_PUNCT_RE = re.compile(r"[\s,.;:!?、。“”\"'‘’《》<>/\\|*\-—_]+")
_LEAD_VERBS = ("组织", "开展", "完成", "举办", "实施", "参加", "参与", "推进")
_MEASURE_SUFFIXES = (
    "人次数",
    "人数",
    "次数",
    "个数",
    "户数",
    "期数",
    "场数",
    "项数",
    "份数",
    "天数",
    "金额",
    "场次",
    "人次",
    "数量",
    "总数",
    "总量",
    "面积",
    "长度",
    "里程",
    "规模",
    "数",
)


# Words that name the same measure in a report and a table: replaced on both sides before names
# are compared. Kept short on purpose: a synonym that is not one ties figures to the wrong row.
_SYNONYMS = (("满意率", "满意度"), ("受训", "培训"), ("参训", "培训"), ("知晓度", "知晓率"))


def _plain(words: str) -> str:
    """Words as names are compared: half width, no punctuation, synonyms made one."""
    out = _PUNCT_RE.sub("", halfwidth(words))
    for word, same in _SYNONYMS:
        if word in out:
            out = out.replace(word, same)
    return out


# What a measure word counts, for a figure named only by the verb before it ("累计培训820人"
# for the row 培训人数): the figure's unit must count the same thing.
_MEASURE_COUNTS = {
    "人次数": "人次",
    "人次": "人次",
    "人数": "人",
    "次数": "次",
    "场次": "次",
    "期数": "次",
    "场数": "次",
    "个数": "个",
    "户数": "户",
    "项数": "项",
    "份数": "份",
}


def name_head(name: str) -> tuple[str, str] | None:
    """A short name's verb and what its measure word counts: 培训人数 → ("培训", "人"), or None.

    Only names whose core would be shorter than three characters once the measure word is
    dropped have one (培训人数, 参训人次, 发放份数): a longer name is matched in full.
    """
    s = _plain(_PAREN_RE.sub("", halfwidth(name)))
    for suffix, counts in _MEASURE_COUNTS.items():
        if s.endswith(suffix):
            head = s[: -len(suffix)]
            return (head, counts) if len(head) == 2 else None
    return None


@lru_cache(maxsize=4096)
def name_core(name: str) -> str:
    """An indicator name reduced to what it counts: 组织志愿服务活动次数 → 志愿服务活动.

    Brackets ("（是否）"), punctuation, a leading verb and a trailing measure word are dropped;
    what remains keeps at least three characters (信息数量 stays whole: "信息" alone would tie
    every sentence about information to it).
    """
    s = _plain(_PAREN_RE.sub("", halfwidth(name)))
    for verb in _LEAD_VERBS:
        if s.startswith(verb) and len(s) - len(verb) >= 3:
            s = s[len(verb) :]
            break
    for suffix in _MEASURE_SUFFIXES:
        if s.endswith(suffix) and len(s) - len(suffix) >= 3:
            s = s[: -len(suffix)]
            break
    return s


def _bigrams(s: str) -> set[str]:
    return {s[i : i + 2] for i in range(len(s) - 1)}


def coverage(core: str, words: str) -> tuple[float, float]:
    """How much of ``core`` the ``words`` contain: (share of its characters, share of its pairs)."""
    if not core:
        return 0.0, 0.0
    if core in words:
        return 1.0, 1.0
    chars = sum(1 for ch in core if ch in words) / len(core)
    pairs = _bigrams(core)
    found = _bigrams(words)
    pair_share = (len(pairs & found) / len(pairs)) if pairs else chars
    return chars, pair_share


def names(core: str, words: str, threshold: float = DEFAULT_NAME_MATCH) -> float:
    """A match score in (0, 2] when ``words`` name the indicator whose core is ``core``, else 0."""
    return _score(core, _plain(words), threshold)


def _score(core: str, words: str, threshold: float) -> float:
    chars, pairs = coverage(core, words)
    if chars >= threshold and pairs >= _BIGRAM_MATCH:
        return chars + pairs
    return 0.0


def same_name(a: str, b: str, threshold: float = DEFAULT_NAME_MATCH) -> bool:
    """True when two names say the same thing (each core covers the other)."""
    ca, cb = name_core(a), name_core(b)
    if not ca or not cb:
        return False
    return ca == cb or (names(ca, cb, threshold) > 0 and names(cb, ca, threshold) > 0)


def best_match(words: str, indicators: list[Indicator], threshold: float) -> tuple[float, list[Indicator]]:
    """The indicator rows ``words`` name best, with the score (ties kept: one name in two goals)."""
    plain = _plain(words)
    scored = [(_score(name_core(ind.name), plain, threshold), ind) for ind in indicators]
    top = max((s for s, _ in scored), default=0.0)
    if top <= 0:
        return 0.0, []
    return top, [ind for s, ind in scored if s >= top - 0.05]


# --- roles ------------------------------------------------------------------------------------

# "计划新建…1000亩，配套…20公里": a plan word makes the rest of the sentence targets, until a word
# of results; "目标值7500人次" / "20公里的目标" mark only the figure they stand next to.
_PLAN_MARK = re.compile(r"计划|预期|预计|力争|设定")
_ACTUAL_MARK = re.compile(r"实际|实现|完成(?!目标|任务|计划)|已|累计|共计")
_TARGET_BEFORE = re.compile(r"(?:目标值?|指标值|目标任务)(?:为|是|:|达到|设定为)?\s*$")
_TARGET_AFTER = re.compile(r"^\s*(?:的)?(?:目标|计划)")
_FILLER = re.compile(
    r"完成|实现|未达到|达到|目标值|目标|计划|预期|指标值|年初|共计|累计|全年|合计|其中|实际|"
    r"[约共已为是了的较比并和及与占超过全年度本]|\d+年度?|\s"
)


_ROLE_WINDOW = 16  # characters next to a figure searched for 目标值 / 的目标


class _Roles:
    """The plan and result words of one sentence, found once: a figure's role is the role of the
    last such word ending before it (one pass per sentence, not one per figure)."""

    def __init__(self, sentence: str) -> None:
        marks = [(m.end(), m.start(), ROLE_TARGET) for m in _PLAN_MARK.finditer(sentence)]
        marks += [(m.end(), m.start(), ROLE_ACTUAL) for m in _ACTUAL_MARK.finditer(sentence)]
        marks.sort()
        self.sentence = sentence
        self.ends = [end for end, _, _ in marks]
        self.best: list[tuple[int, str]] = []  # the latest-starting mark among the first i + 1
        for _, start, role in marks:
            mark = (start, role)
            self.best.append(max(self.best[-1], mark) if self.best else mark)

    def role(self, at: int, end: int, clause_end: int, default: str) -> str:
        s = self.sentence
        after = s[end : min(clause_end, end + _ROLE_WINDOW)]
        if _TARGET_AFTER.match(after) or _TARGET_BEFORE.search(s[max(0, at - _ROLE_WINDOW) : at]):
            return ROLE_TARGET
        i = bisect.bisect_right(self.ends, at)
        return self.best[i - 1][1] if i else default


class _Matcher:
    """Indicator names prepared once per reading (core, its characters and pairs), with the
    answers for words already seen: naming is the costly step of reading a figure."""

    def __init__(self, indicators: list[Indicator], threshold: float) -> None:
        self.threshold = threshold
        self.rows = []
        self.heads: list[tuple[Indicator, str, str]] = []
        for ind in indicators:
            core = name_core(ind.name)
            if core:
                self.rows.append((ind, core, _bigrams(core)))
            head = name_head(ind.name)
            if head:
                self.heads.append((ind, *head))
        self.seen: dict[str, tuple[float, list[Indicator]]] = {}

    def by_target(self, value: Value) -> list[Indicator]:
        """The rows whose target is this figure on one scale and counting the same thing."""
        out = []
        for ind, _, _ in self.rows:
            target = ind.target
            if target.kind != nt.NUMBER or not target.unit or not nt.same_unit(target, value):
                continue
            pair = nt.on_one_scale(target, value)
            if pair is not None and abs(pair[0] - pair[1]) <= 1e-9 * max(1.0, abs(pair[0])):
                out.append(ind)
        return out

    def by_head(self, prefix: str, value: Value) -> list[Indicator]:
        """The one row a bare verb right before the figure names ("累计培训820人" → 培训人数),
        when the figure counts what the row's measure word counts; none when two rows would."""
        if not self.heads:
            return []
        plain = _HEAD_FILLER.sub("", _plain(prefix))
        q = value.quantity
        unit = q.unit if q is not None else ""
        found = [ind for ind, head, counts in self.heads if plain.endswith(head) and _counts(unit, counts)]
        return found if len({ind.name for ind in found}) == 1 else []

    def best(self, words: str) -> tuple[float, list[Indicator]]:
        plain = _plain(words)
        hit = self.seen.get(plain)
        if hit is not None:
            return hit
        chars_in = set(plain)
        found = _bigrams(plain)
        scored = []
        for ind, core, pairs in self.rows:
            if core in plain:
                scored.append((2.0, ind))
                continue
            chars = sum(1 for ch in core if ch in chars_in) / len(core)
            if chars < self.threshold:
                continue
            pair_share = (len(pairs & found) / len(pairs)) if pairs else chars
            if pair_share >= _BIGRAM_MATCH:
                scored.append((chars + pair_share, ind))
        top = max((sc for sc, _ in scored), default=0.0)
        out = (top, [ind for sc, ind in scored if sc >= top - 0.05]) if top > 0 else (0.0, [])
        if len(self.seen) < 20_000:
            self.seen[plain] = out
        return out


class _Cap:
    """How many more figures a paragraph may give (MAX_FIGURES_PER_PARAGRAPH)."""

    def __init__(self, left: int) -> None:
        self.left = left
        self.hit = False

    def take(self, text: str) -> list[tuple[int, int, Value]]:
        if self.left <= 0:
            self.hit = True
            return []
        figures = find_figures(text, limit=self.left + 1)
        if len(figures) > self.left:
            figures = figures[: self.left]
            self.hit = True
        self.left -= len(figures)
        return figures


# A change against another year or against the target is no figure of the row: "较上年增加120人",
# "同比增长15%", "比上年多培训30人", "超额完成320人次", "增幅12%". "提高到95%" states a level.
_DELTA_RE = re.compile(
    r"(?:(?:较|比|同比|环比|相比|对比)(?:[0-9]{4}年度?)?[^,;。\d]{0,10}?"
    r"(?:增加|增长|提高|提升|减少|下降|降低|上升|扩大|缩小|增|减|多|少)[^\d,;。到至]{0,4}"
    r"|增幅|降幅|增长率|增速|超额完成|超额|超出目标|超出|多出"
    # a value of another year: "由上年的9000人", "去年同期为120场"
    r"|(?:上年|去年|上一年|上年度)(?:同期)?(?:的|为|是)?)"
    r"(?:了|为|达|达到|约|近)?\s*$"
)
_DELTA_WINDOW = 16
# A breakdown of the figure before it: 其中, 含, 包括 open the clause.
_PART_RE = re.compile(r"^\s*[,;:]?\s*(?:其中|含|包括|包含)")
_HEAD_FILLER = re.compile(r"(?:人数|人员|人次|共计|累计|合计|共|了|达|为|计)+$")


def _counts(unit: str, counts: str) -> bool:
    if counts == "人":
        return unit in ("人", "名", "位")
    if counts == "次":
        return unit in ("次", "场", "期", "场次")
    return unit == counts


def is_delta(words: str) -> bool:
    """True when the words before a figure make it a change, not a count ("较上年增加")."""
    return _DELTA_RE.search(halfwidth(words[-_DELTA_WINDOW:])) is not None


def _bare(prefix: str) -> bool:
    """True when the words before a figure name nothing ("完成目标值", "，共", "")."""
    return len(_FILLER.sub("", _PUNCT_RE.sub("", halfwidth(prefix)))) <= 1


# --- budget words -----------------------------------------------------------------------------

# A budget word counts only where it ends right before the figure ("部门决算支出188.44万元",
# "年初预算为202.98万元"): "工资福利支出120万元" or "培训经费预算20万元" are parts, not the budget.
_FILL = r"(?:为|是|共|共计|合计|总计|总额|金额|资金|数|:|\s)*$"
_BUDGET_KINDS: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (kind, re.compile(rf"(?:{words}){_FILL}"))
    for kind, words in (
        ("basic", "基本支出"),
        ("project", "项目支出"),
        ("adjusted", "调整后预算|调减后预算|调增后预算|追加后预算|全年预算|调整后"),
        ("adjustment", "调减|调增|追加预算|追加|追减|调整数|调整金额|调减了|调增了"),
        ("planned", "年初预算|预算总额|预算金额|预算数|预算资金|总预算|部门预算|整体预算|支出预算"),
        (
            "executed",
            "决算支出|本年支出|全年支出|支出总额|总支出|实际支出|支出合计|累计支出|已支出|执行数|"
            "执行金额|全年执行|实际使用|使用金额|决算数|部门决算",
        ),
    )
)
_CUT_WORDS = re.compile(r"调减|追减|减少|压减")
_RAISE_WORDS = re.compile(r"调增|追加|增加")


def _budget_kind(prefix: str, value: Value) -> str | None:
    if value.unit == "%":
        return "rate" if re.search(rf"执行率{_FILL}", prefix) else None
    if nt.to_wan(value) is None or "执行率" in prefix:
        return None
    for kind, pattern in _BUDGET_KINDS:
        if pattern.search(prefix):
            return kind
    return None


# --- reading ----------------------------------------------------------------------------------


def _ref_value(ind: Indicator) -> Value | None:
    t, a = ind.target, ind.actual
    numbers = [v for v in (t, a) if v.kind == nt.NUMBER]
    with_unit = [v for v in numbers if v.unit]
    return (with_unit or numbers or [None])[0]


def _sources(filing: Filing) -> list[Source]:
    out = [Source(p.index, f"报告正文第{p.index}段", p.text, (3, p.index), p.loc) for p in filing.narrative]
    result = filing.closing.get("overall_result", "")
    if result.strip():
        out.append(Source(0, "自评表“年度总体目标 实际完成情况”", result, (2, 0, 0)))
    return out


def read_narrative(
    filing: Filing,
    name_match: float = DEFAULT_NAME_MATCH,
    max_figures: int = MAX_FIGURES_PER_PARAGRAPH,
    max_total: int = MAX_FIGURES_PER_NARRATIVE,
) -> Reading:
    """Read the figures the report text states, the goals it sets and the budget figures it gives.

    ``name_match`` is the share of an indicator name's characters (its core, see
    :func:`name_core`) the words before a figure must contain for the figure to be tied to it.
    At most ``max_figures`` figures are read per paragraph and ``max_total`` in all; a paragraph
    cut short is listed in :attr:`Reading.capped`. The text is read in one pass: the work grows
    with the length of the text, not with the square of its figures.
    """
    reading = Reading(sections=sections(filing))
    matcher = _Matcher(filing.indicators, name_match)
    goal_offsets = dict(goal_paragraphs(filing))
    sources = _sources(filing)
    goal_text = filing.closing.get("overall_goal", "")
    if goal_text.strip():
        sources.append(Source(0, "自评表“年度总体目标 预期目标”", goal_text, (2, 0, 0)))
    left = max_total
    for source in sources:
        if left <= 0:
            reading.capped.append((source, 0))
            continue
        cap = _Cap(min(max_figures, left))
        if source.place == (2, 0, 0) and source.label.endswith("预期目标”"):
            _read_goals(reading, source, 0, matcher, cap)
        elif source.index in goal_offsets and source.place[0] == 3:
            _read_goals(reading, source, goal_offsets[source.index], matcher, cap)
        else:
            _read_results(reading, source, matcher, cap)
            _read_budget(reading, source, _Cap(min(max_figures, left)))
        read = min(max_figures, left) - cap.left
        left -= read
        if cap.hit:
            reading.capped.append((source, read))
    return reading


def _head_matches(head: str, indicators: list[Indicator], threshold: float) -> list[Indicator]:
    """The rows a lead-in names ("普及救护培训人数", "①信息数量完成情况"), if any."""
    head = _HEAD_TAIL.sub("", _ENUM_RE.sub("", halfwidth(head)).strip())
    return [ind for ind in indicators if same_name(head, ind.name, threshold)]


def _lead_matches(text: str, indicators: list[Indicator], threshold: float) -> list[Indicator]:
    """The rows the paragraph's lead-in ("普及救护培训人数：", "为区内…力量。") names, if any."""
    m = _LEAD_RE.match(_ENUM_RE.sub(lambda e: " " * len(e.group()), halfwidth(text[:_LEAD_CHARS])))
    return _head_matches(m.group("head"), indicators, threshold) if m else []


def _read_results(reading: Reading, source: Source, matcher: _Matcher, cap: _Cap) -> None:
    # The lead-in names the row the paragraph is about; a "名称：" inside it ("（1）数量指标。
    # ①农村公路养护里程：年度目标120公里…") names the row of what follows, until the next one.
    indicators = [row[0] for row in matcher.rows]
    threshold = matcher.threshold
    lead = _lead_matches(source.text, indicators, threshold)
    for s_start, s_end in _spans(source.text, _SENTENCE_END):
        if cap.hit:
            return
        previous: Statement | None = None
        sentence = halfwidth(source.text[s_start:s_end])
        roles: _Roles | None = None
        for c_start, c_end in _spans(sentence, _CLAUSE_END):
            if cap.hit:
                return
            figures = cap.take(sentence[c_start:c_end])
            if not figures and sentence[c_end - 1] == ":" and (c_start or s_start):
                lead = _head_matches(sentence[c_start : c_end - 1], indicators, threshold)
                continue
            if figures and roles is None:
                roles = _Roles(sentence)
            cursor = c_start
            for f_start, f_end, value in figures:
                a, b = c_start + f_start, c_start + f_end
                prefix = sentence[max(cursor, a - _PREFIX_WINDOW) : a]
                cursor = b
                if is_delta(sentence[c_start:a]):
                    continue
                assert roles is not None
                role = roles.role(a, b, c_end, ROLE_ACTUAL)
                figure = Figure(source, s_start + a, s_start + b, value, role, prefix.strip())
                clause = sentence[c_start:c_end]
                reading.results.append((figure, clause[:f_start] + " " + clause[f_end:]))
                statement = _attribute(figure, prefix, matcher, lead, previous)
                if statement is not None:
                    reading.statements.append(statement)
                    previous = statement


def _attribute(
    figure: Figure,
    prefix: str,
    matcher: _Matcher,
    lead: list[Indicator],
    previous: Statement | None,
    goal: bool = False,
) -> Statement | None:
    score, named = matcher.best(prefix)
    # Under a lead-in naming a row, only words naming another row in full take a figure away.
    if named and (not lead or score >= 2.0):
        agreeing = [i for i in named if (r := _ref_value(i)) is None or nt.same_unit(r, figure.value)]
        return Statement(figure, tuple(i.key for i in (agreeing or named)), HOW_CLAUSE, goal)
    if _PART_RE.match(halfwidth(prefix)):
        return None  # "其中脱贫劳动力1020人次": a part of the figure before, no row's own figure
    if not lead and (by_head := matcher.by_head(prefix, figure.value)):
        return Statement(figure, tuple(i.key for i in by_head), HOW_CLAUSE, goal)
    if _bare(prefix) and previous is not None:
        how = HOW_HEADING if previous.how == HOW_HEADING else HOW_INHERITED
        return Statement(figure, previous.keys, how, goal)
    if lead:
        return Statement(figure, tuple(i.key for i in lead), HOW_HEADING, goal)
    return None


def _read_goals(reading: Reading, source: Source, offset: int, matcher: _Matcher, cap: _Cap) -> None:
    """Goals of the goal section. A sentence may set several goals, one per comma-separated part
    ("培训3000人次，建设示范基地5个，发放资料5000份"): each part that states a figure closes a goal,
    with the figureless parts before it ("开展“红筷行动”，为不少于7所…"); parts joined by "、"
    are one goal ("博爱校医室1个、心理活动室2个")."""
    text = source.text
    for s_start, s_end in _spans(text, _SENTENCE_END):
        if s_end <= offset:
            continue
        if cap.hit:
            return
        s_start = max(s_start, offset)
        sentence = halfwidth(text[s_start:s_end])
        goal = GoalStatement(source, s_start, s_end)
        keys: list[str] = []
        previous: Statement | None = None
        for c_start, c_end in _spans(sentence, _CLAUSE_END):
            if cap.hit:
                break
            clause = sentence[c_start:c_end]
            figures = cap.take(clause)
            # The clause's words without its figures, built in one pass: a clause naming a row
            # counts for its goal even when its figure is in another unit, or elsewhere.
            pieces, last = [], 0
            for f_start, f_end, _ in figures:
                pieces += [clause[last:f_start], " "]
                last = f_end
            keys += [i.key for i in matcher.best("".join([*pieces, clause[last:]]))[1]]
            cursor = c_start
            for f_start, f_end, value in figures:
                a, b = c_start + f_start, c_start + f_end
                prefix = sentence[max(cursor, a - _PREFIX_WINDOW) : a]
                cursor = b
                if is_delta(sentence[c_start:a]):
                    continue
                figure = Figure(source, s_start + a, s_start + b, value, ROLE_TARGET, prefix.strip())
                goal.figures.append(figure)
                statement = _attribute(figure, prefix, matcher, [], previous, goal=True)
                if statement is not None:
                    reading.statements.append(statement)
                    previous = statement
                    keys += statement.keys
                else:
                    # Not named, but exactly a row's target ("为45所学校约1.2万名学生…"): the goal
                    # has its indicator. Only for that; no conflict is read from it.
                    keys += [i.key for i in matcher.by_target(value)]
            if goal.figures and sentence[c_end - 1] in ",;":
                goal.end = s_start + c_end
                _close_goal(reading, goal, keys)
                goal, keys = GoalStatement(source, s_start + c_end, s_end), []
        _close_goal(reading, goal, keys)


def _close_goal(reading: Reading, goal: GoalStatement, keys: list[str]) -> None:
    if goal.figures:
        goal.keys = tuple(dict.fromkeys(keys))
        reading.goals.append(goal)


def _read_budget(reading: Reading, source: Source, cap: _Cap) -> None:
    found: list[BudgetFigure] = []
    text = source.text
    for c_start, c_end in _spans(text, ",;:。()!?"):
        if cap.hit:
            break
        clause = halfwidth(text[c_start:c_end])
        if "=" in clause or "/" in clause:  # a formula: the formula checks read it
            continue
        cursor = 0
        for f_start, f_end, value in cap.take(clause):
            prefix = clause[cursor:f_start]
            cursor = f_end
            kind = _budget_kind(prefix, value)
            if kind is None:
                continue
            amount = value.number if kind == "rate" else nt.to_wan(value)
            if amount is None:
                continue
            signed = True
            if kind == "adjustment":
                if _CUT_WORDS.search(prefix):
                    amount = -amount
                signed = bool(_CUT_WORDS.search(prefix) or _RAISE_WORDS.search(prefix))
            figure = Figure(source, c_start + f_start, c_start + f_end, value, ROLE_ACTUAL, prefix)
            found.append(BudgetFigure(figure, kind, amount, signed))
    # A paragraph giving one amount may be about a sub-item ("其中培训经费预算20万元"); one giving
    # two kinds (预算数 and 执行数, or the rate) is about the whole budget.
    if len({f.kind for f in found}) >= 2:
        reading.budget.extend(found)
