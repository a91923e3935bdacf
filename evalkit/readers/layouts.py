"""The layout vocabulary (``layouts.yaml``): which header text names which column role.

The vocabulary is data, shipped with the package: adding a province's layout is an edit of
``layouts.yaml`` (its header words) plus a fixture, not of the interpreter. This module loads and
validates it once and answers the interpreter's questions: what role a header cell names, whether
a row is the indicator header, what a 指标性质 cell says.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

import yaml

INDICATOR_ROLES = (
    "ignore",
    "reason",
    "coefficient",
    "core",
    "comparator",
    "unit",
    "level1",
    "level2",
    "level3",
    "score",
    "weight",
    "adjusted_target",
    "actual",
    "target",
)
BUDGET_ROLES = (
    "ignore",
    "label",
    "max_points",
    "score",
    "rate",
    "executed",
    "adjusted",
    "adjustment",
    "planned",
)
# Roles that name no value of a row (the interpreter reads no number from them).
NO_VALUE_ROLES = {"ignore", "label"}

_SPACE = re.compile(r"\s+")
# A trailing note on a header or label: "(万元)", "(元)", "(分)", "(10分)", "(%)", "(A)", "(B/A)".
_TRAILING_NOTE = re.compile(r"(?:\((?:万元|元|分|%|[0-9.]+分|[A-Z/]+)\))+$")


@lru_cache(maxsize=16384)  # the same header and label texts recur in every filing
def key_of(text: str | None) -> str:
    """Text as compared with the vocabulary: NFKC, whitespace dropped."""
    return _SPACE.sub("", unicodedata.normalize("NFKC", text or ""))


@lru_cache(maxsize=16384)
def bare(key: str) -> str:
    """A key without its trailing unit or points note and colon ("自评总分(分):" → "自评总分")."""
    return _TRAILING_NOTE.sub("", key.rstrip(":")).rstrip(":")


@dataclass(frozen=True)
class _Patterns:
    contains: tuple[str, ...] = ()
    prefix: tuple[str, ...] = ()
    exact: frozenset[str] = frozenset()
    regex: tuple[re.Pattern[str], ...] = ()

    def match(self, key: str) -> bool:
        plain = bare(key)
        return (
            plain in self.exact
            or any(w in key for w in self.contains)
            or key.startswith(self.prefix)
            or any(p.search(key) for p in self.regex)
        )


@dataclass(frozen=True)
class Vocabulary:
    """The loaded ``layouts.yaml``."""

    indicator_columns: tuple[tuple[str, _Patterns], ...]
    indicator_header_sets: tuple[frozenset[str], ...]
    budget_columns: tuple[tuple[str, _Patterns], ...]
    comparators: dict[str, str]  # 指标性质 text (key) → ">=", ">", "<=", "<", "="
    qualitative_words: frozenset[str]
    quantitative_words: frozenset[str]
    total_labels: frozenset[str]
    placeholder_names: frozenset[str]
    component_prefixes: tuple[str, ...]
    unit_labels: dict[str, str]  # label key → unit field

    def indicator_role(self, text: str) -> str | None:
        """The indicator-table role a header cell names, or None."""
        return _role(self.indicator_columns, key_of(text))

    def budget_role(self, text: str) -> str | None:
        """The budget-block role a header cell names, or None."""
        return _role(self.budget_columns, key_of(text))

    def comparator(self, text: str) -> str | None:
        """The comparator a 指标性质 / 计算符号 cell states, or None (定量, 定性, blank, unknown)."""
        return self.comparators.get(key_of(text))

    def is_qualitative(self, text: str) -> bool:
        """True when a 指标性质 cell says the row is qualitative (定性)."""
        return key_of(text) in self.qualitative_words

    def is_quantitative(self, text: str) -> bool:
        """True when a 指标性质 cell says the row is quantitative (定量) or states a comparator."""
        key = key_of(text)
        return key in self.quantitative_words or key in self.comparators

    def is_nature_word(self, text: str) -> bool:
        """True when a 指标性质 cell holds a word the vocabulary knows (a comparator, 定量, 定性)."""
        key = key_of(text)
        return key in self.comparators or key in self.qualitative_words or key in self.quantitative_words

    def is_total_label(self, text: str) -> bool:
        """True for the label of a 总分 / 合计 row."""
        return bare(key_of(text)) in self.total_labels

    def is_placeholder(self, text: str) -> bool:
        """True for a template row's placeholder name (……, 指标1)."""
        return key_of(text) in self.placeholder_names

    def is_component(self, text: str) -> bool:
        """True for a breakdown row's name (其中…) under an indicator."""
        return key_of(text).startswith(self.component_prefixes) if self.component_prefixes else False

    def unit_field(self, text: str) -> str | None:
        """The unit field a key-value label names (单位名称 → name), or None."""
        return self.unit_labels.get(bare(key_of(text)))


def _role(columns: tuple[tuple[str, _Patterns], ...], key: str) -> str | None:
    if not key:
        return None
    for role, patterns in columns:
        if patterns.match(key):
            return role
    return None


def _patterns(spec: object, where: str) -> _Patterns:
    if not isinstance(spec, dict) or set(spec) - {"contains", "prefix", "exact", "regex"}:
        raise ValueError(f"layouts.yaml {where}: expected a mapping of contains/prefix/exact/regex")

    def words(name: str) -> list[str]:
        value = spec.get(name, [])
        if not isinstance(value, list) or not all(isinstance(w, str) and w for w in value):
            raise ValueError(f"layouts.yaml {where}.{name}: expected a list of words")
        return [key_of(w) for w in value]

    return _Patterns(
        contains=tuple(words("contains")),
        prefix=tuple(words("prefix")),
        exact=frozenset(bare(w) for w in words("exact")),
        regex=tuple(re.compile(p) for p in spec.get("regex", [])),
    )


def _columns(data: dict, name: str, known: tuple[str, ...]) -> tuple[tuple[str, _Patterns], ...]:
    section = data.get(name)
    if not isinstance(section, dict):
        raise ValueError(f"layouts.yaml: section {name} missing")
    unknown = set(section) - set(known)
    if unknown:
        raise ValueError(f"layouts.yaml {name}: unknown roles {sorted(unknown)}")
    return tuple((role, _patterns(spec, f"{name}.{role}")) for role, spec in section.items())


def parse_vocabulary(data: dict) -> Vocabulary:
    """Validate a vocabulary mapping (the content of ``layouts.yaml``)."""
    comparators: dict[str, str] = {}
    for symbol, words in data["comparators"].items():
        if symbol not in (">=", ">", "<=", "<", "="):
            raise ValueError(f"layouts.yaml comparators: unknown comparator {symbol!r}")
        comparators.update({key_of(w): symbol for w in words})
    nature = data.get("nature_words", {})
    unit_labels: dict[str, str] = {}
    for field, labels in data["unit_labels"].items():
        unit_labels.update({bare(key_of(label)): field for label in labels})
    sets = tuple(frozenset(s) for s in data["indicator_header_sets"])
    for s in sets:
        if s - set(INDICATOR_ROLES):
            raise ValueError(f"layouts.yaml indicator_header_sets: unknown roles {sorted(s)}")
    return Vocabulary(
        indicator_columns=_columns(data, "indicator_columns", INDICATOR_ROLES),
        indicator_header_sets=sets,
        budget_columns=_columns(data, "budget_columns", BUDGET_ROLES),
        comparators=comparators,
        qualitative_words=frozenset(key_of(w) for w in nature.get("qualitative", [])),
        quantitative_words=frozenset(key_of(w) for w in nature.get("quantitative", [])),
        total_labels=frozenset(bare(key_of(w)) for w in data["total_labels"]),
        placeholder_names=frozenset(key_of(w) for w in data["placeholder_names"]),
        component_prefixes=tuple(key_of(w) for w in data.get("component_prefixes", [])),
        unit_labels=unit_labels,
    )


@lru_cache(maxsize=1)
def vocabulary() -> Vocabulary:
    """The vocabulary shipped with evalkit (``evalkit/readers/layouts.yaml``), loaded once."""
    text = resources.files("evalkit.readers").joinpath("layouts.yaml").read_text(encoding="utf-8")
    return parse_vocabulary(yaml.safe_load(text))
