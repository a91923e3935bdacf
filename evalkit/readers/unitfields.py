"""The unit's own fields of a self-evaluation table: 单位名称, 主管部门, 填报日期, the declared
total and grade, the fiscal year — from key-value cells (单位名称 | 示例单位), inline labels
("单位名称：…  填报日期：…"), the title and the report text.

A mixin of the form builder (:mod:`evalkit.readers.form`); the labels are the vocabulary's
``unit_labels`` (``layouts.yaml``), what text says is :mod:`evalkit.readers.inference`'s.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from evalkit.model import KIND_DEPARTMENT, KIND_PROJECT, Loc, Paragraph
from evalkit.readers import inference
from evalkit.readers.budget import _KV_BUDGET
from evalkit.readers.grid import Cell, cell_key, distinct, is_number_text, one_line, read_number
from evalkit.readers.layouts import bare

_SPACE = re.compile(r"\s+")
_INLINE_LABELS = (
    "单位名称",
    "部门名称",
    "项目名称",
    "主管部门",
    "实施单位",
    "填报日期",
    "填表日期",
    "填报时间",
    "自评等级",
    "评价等级",
    "自评得分",
    "自评总分",
)
_INLINE = re.compile(
    r"(" + "|".join(_INLINE_LABELS) + r")\s*[:：]\s*(.*?)"
    r"(?=\s{2,}|\s*(?:" + "|".join(_INLINE_LABELS) + r")\s*[:：]|$)"
)
# Fields a key-value cell may still set among indicator rows (a grade beside the 总分 row…).
_KV_ANYWHERE = {"declared_total", "declared_grade", "filing_date"}


class UnitFields:
    """The unit-field half of the form builder (state lives on the builder)."""

    def remember(self, field: str, text: str, loc: Loc | None) -> None:
        text = text.strip()
        if text and field not in self.found:
            self.found[field] = (text, loc or Loc(self.source))

    def key_values(self, row: list[Cell]) -> bool:
        found = False
        in_table = self.state == "indicators"
        for i, cell in enumerate(row):
            key = bare(cell_key(cell.text))
            field = self.vocab.unit_field(cell.text)
            bfield = None if in_table else _KV_BUDGET.get(key)
            if field is None and bfield is None:
                continue
            if field == "ignore":
                found = True
                continue
            if in_table and field not in _KV_ANYWHERE:
                continue
            if self.state == "budget" and field in ("basic", "project"):
                continue  # a 基本支出 row of the budget block: read by its columns
            value = self.value_after(row, i)
            if bfield is not None:
                if value is None or not is_number_text(value.text):
                    continue
                label = _SPACE.sub("", cell.text)
                if bfield == "rate":
                    value_num = self.number(value, label, "百分数，如 92.84%")
                else:
                    value_num = self.amount(value, label)
                self.set_budget("stated_rate" if bfield == "rate" else bfield, value_num, value.loc)
                found = True
                continue
            found = True
            if value is None:
                continue
            if field in ("basic", "project"):
                label = _SPACE.sub("", cell.text)
                self.set_budget(field, self.amount(value, label), value.loc)
            elif field == "declared_total":
                num = self.number(value, "自评得分", "分数，如 95")
                if num is not None:
                    self.remember(field, str(num), value.loc)
            else:
                self.remember(field, value.text, value.loc)
        if not found and not in_table:
            found = self.inline_labels([c.text for c in row], row)
        elif not found:
            # among indicator rows only a cell that starts with 自评等级：… / 自评得分：…
            first_index = distinct([c.text for c in row])[0][0]
            text = row[first_index].text.strip()
            m = _INLINE.match(text)
            if m and self.vocab.unit_field(m.group(1)) in _KV_ANYWHERE:
                found = self.inline_text(text, row[first_index].loc)
        return found

    def value_after(self, row: list[Cell], i: int) -> Cell | None:
        """The value cell of a label cell: the next non-blank cell that repeats no label."""
        label = cell_key(row[i].text)
        for c in row[i + 1 :]:
            key = cell_key(c.text)
            if not key or key == label:
                continue
            plain = bare(key)
            if self.vocab.unit_field(c.text) is not None or plain in _KV_BUDGET:
                return None
            return c
        return None

    def inline_labels(self, texts: Sequence[str], row: list[Cell] | None = None) -> bool:
        found = False
        for i, text in enumerate(texts):
            loc = row[i].loc if row else Loc(self.source)
            found |= self.inline_text(text, loc)
        return found

    def inline_text(self, text: str, loc: Loc | None) -> bool:
        found = False
        for m in _INLINE.finditer(text):
            label, value = m.group(1), m.group(2).strip()
            field = self.vocab.unit_field(label)
            if field is None or field == "ignore" or not value:
                continue
            found = True
            if field == "declared_total":
                num, ok = read_number(value)
                if ok and num is not None:
                    self.remember(field, str(num), loc)
            else:
                self.remember(field, value, loc)
        return found

    def finish_unit(self, paragraphs: list[Paragraph]) -> None:
        unit = self.filing.unit
        found = self.found
        # the title: kind and year
        kind_loc: Loc | None = None
        title_text = "".join(cell_key(t) for t, _ in self.titles)
        for text, loc in self.titles:
            key = cell_key(text)
            if "项目支出" in key and "自评表" in title_text:
                unit.kind, kind_loc = KIND_PROJECT, loc
                break
            if "部门整体" in key or ("部门" in key and "自评表" in key and "项目" not in key):
                unit.kind, kind_loc = KIND_DEPARTMENT, loc
                break
        else:
            if "project_name" in found:
                unit.kind, kind_loc = KIND_PROJECT, found["project_name"][1]
            elif self.is_project_block:
                unit.kind = KIND_PROJECT
        if kind_loc is not None:
            unit.locs["kind"] = kind_loc
        # name
        if unit.kind == KIND_PROJECT and "project_name" in found:
            name = found["project_name"]
            if "name" in found and "implementer" not in found:
                found["implementer"] = found["name"]
        else:
            name = found.get("name") or found.get("project_name")
        if name:
            unit.name, unit.locs["name"] = one_line(name[0]), name[1]
        for field in ("department", "implementer", "filing_date"):
            if field in found:
                text, loc = found[field]
                setattr(unit, field, one_line(text))
                unit.locs[field] = loc
        if "filing_date" not in found:
            for p in paragraphs:
                m = re.search(r"(?:填报|填表)(?:日期|时间)\s*[:：]\s*(\S+)", p.text)
                if m:
                    unit.filing_date, unit.locs["filing_date"] = m.group(1), p.loc or Loc()
                    break
        # year: the title, a 年度 field, the report's opening
        year = inference.year_of(self.titles)
        if year is None and "year" in found:
            text, loc = found["year"]
            value = inference.year_in_field(text)
            year = (value, loc) if value else None
        if year is None:
            year = inference.year_in_narrative((p.text, p.loc or Loc(self.source)) for p in paragraphs[:5])
        if year:
            unit.year, unit.locs["year"] = year
        # declared total and grade: the table first, then the narrative
        if "declared_total" in found:
            text, loc = found["declared_total"]
            unit.declared_total, unit.locs["declared_total"] = float(text), loc
        if "declared_grade" in found:
            text, loc = found["declared_grade"]
            unit.declared_grade = inference.grade_word(text) or text.strip()
            unit.locs["declared_grade"] = loc
        for p in paragraphs:
            if unit.declared_grade is None and (grade := inference.declared_grade_in(p.text)):
                unit.declared_grade = grade
                unit.locs["declared_grade"] = p.loc or Loc(self.source)
            if unit.declared_total is None and (total := inference.declared_total_in(p.text)) is not None:
                unit.declared_total = total
                unit.locs["declared_total"] = p.loc or Loc(self.source)
