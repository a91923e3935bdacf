"""The one YAML loader evalkit reads with: filings, reviewer decisions and profiles.

PyYAML's ``safe_load`` builds no objects, but it still expands anchors and aliases: a few
kilobytes of nested aliases (a "billion laughs") become gigabytes once anything walks the data.
:func:`load_yaml` counts the nodes the document would have with every alias expanded and refuses
past a budget, refuses ``.nan`` / ``.inf`` (and numbers too large for a float), and reports every
problem as :class:`YamlRefused` with the line and column, quoting at most 200 characters.
"""

from __future__ import annotations

import math
from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, SequenceNode

#: Aliases a document may use at all (a hand-written profile uses a few; a bomb uses many).
MAX_ALIASES = 100
#: Nodes the document may have with every alias expanded (a 2,000-indicator filing has ~50,000).
MAX_EXPANDED_NODES = 500_000
#: Nesting depth (a filing nests 5 deep; Python's own recursion would fail near 1,000).
MAX_DEPTH = 50


class YamlRefused(ValueError):
    """A YAML text was refused: ``message`` in Chinese, ``where`` as ``第3行第5列`` (may be empty)."""

    def __init__(self, message: str, where: str = "") -> None:
        self.message = message
        self.where = where
        super().__init__(f"{where}：{message}" if where else message)


def _where(mark: Any) -> str:
    return f"第{mark.line + 1}行第{mark.column + 1}列" if mark is not None else ""


_Base: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml's parser when installed


class _Loader(_Base):  # type: ignore[misc, valid-type]
    """SafeLoader whose floats must be finite."""

    def construct_yaml_float(self, node: Any) -> float:
        value = yaml.SafeLoader.construct_yaml_float(self, node)  # type: ignore[arg-type]
        if not math.isfinite(value):
            raise YamlRefused(
                f"数值 {str(node.value)[:200]!r} 不是有限数（NaN 或无穷大），请填写实际数值",
                _where(node.start_mark),
            )
        return value


_Loader.add_constructor("tag:yaml.org,2002:float", _Loader.construct_yaml_float)


def _check_aliases(root: Node) -> None:
    """Refuse a document nested deeper than :data:`MAX_DEPTH`. Count the aliases (a node met again) and the nodes with every alias expanded; refuse a
    document past :data:`MAX_ALIASES` or :data:`MAX_EXPANDED_NODES`, or with a recursive alias.

    The composed graph shares one node per anchor, so this walk is linear in the document."""
    sizes: dict[int, int] = {}
    active: set[int] = set()
    aliases = 0

    def size(node: Node, depth: int = 0) -> int:
        nonlocal aliases
        if depth > MAX_DEPTH:
            raise YamlRefused(f"YAML 嵌套超过 {MAX_DEPTH} 层，无法读取", _where(node.start_mark))
        key = id(node)
        if key in sizes:
            aliases += 1
            if aliases > MAX_ALIASES:
                raise YamlRefused(
                    f"YAML 别名（*引用）超过 {MAX_ALIASES} 个，疑似“别名炸弹”，已拒绝；请把引用的内容直接写出",
                    _where(node.start_mark),
                )
            return sizes[key]
        if key in active:
            raise YamlRefused("YAML 含自我引用的别名（递归结构），无法读取", _where(node.start_mark))
        active.add(key)
        total = 1
        if isinstance(node, SequenceNode):
            total += sum(size(child, depth + 1) for child in node.value)
        elif isinstance(node, MappingNode):
            total += sum(size(k, depth + 1) + size(v, depth + 1) for k, v in node.value)
        active.discard(key)
        sizes[key] = total
        if total > MAX_EXPANDED_NODES:
            raise YamlRefused(
                f"YAML 展开别名后超过 {MAX_EXPANDED_NODES:,} 个节点，疑似“别名炸弹”，已拒绝",
                _where(node.start_mark),
            )
        return total

    size(root)


def load_yaml(text: str) -> Any:
    """Parse one YAML document safely (see the module doc); raises :class:`YamlRefused`."""
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        _check_aliases(node)  # linear; the parse itself costs more
        return loader.construct_document(node)
    except YamlRefused:
        raise
    except yaml.MarkedYAMLError as exc:
        problem = str(exc.problem or exc.context or "")[:200]
        raise YamlRefused(f"YAML 语法错误：{problem}", _where(exc.problem_mark)) from None
    except yaml.YAMLError as exc:
        raise YamlRefused(f"YAML 无法读取：{str(exc)[:200]}") from None
    except RecursionError:
        raise YamlRefused("YAML 嵌套层次过深，无法读取") from None
    finally:
        loader.dispose()
