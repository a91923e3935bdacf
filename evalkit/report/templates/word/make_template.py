"""Write ``复核报告模板.docx``, the Word template every evalkit review report starts from.

    python evalkit/report/templates/word/make_template.py

A bureau restyles the reports by opening the template in Word or WPS and changing its styles
(标题 Title, 标题 1 / 标题 2 Heading 1/2, 正文 Normal, 表格文字 Table Text), page margins, header
and footer; ``{单位名称}`` in the header is replaced by the unit's name. The layout follows the
official-document habit (GB/T 9704): A4, margins 37/35/28/26 mm, body 仿宋 三号, headings 黑体 and
楷体, title 小标宋 二号, page numbers “— 1 —” at the foot.

East Asian fonts are named in ``w:rFonts w:eastAsia``; the font table declares alternative names
(``w:altName``), so a machine without 仿宋_GB2312 or 方正小标宋简体 falls back to 仿宋 or 宋体.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

from docx import Document
from docx.enum.style import WD_STYLE_TYPE
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_LINE_SPACING
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm, Pt, RGBColor

HERE = Path(__file__).resolve().parent
TEMPLATE = HERE / "复核报告模板.docx"

BODY_FONT = "仿宋_GB2312"
TITLE_FONT = "方正小标宋简体"
HEADING1_FONT = "黑体"
HEADING2_FONT = "楷体_GB2312"
LATIN_FONT = "Times New Roman"
# Font name → the alternative Word and WPS look for when the first is not installed.
ALT_NAMES = {BODY_FONT: "仿宋", TITLE_FONT: "宋体", HEADING2_FONT: "楷体", HEADING1_FONT: "SimHei"}


def set_fonts(style_or_run, east_asia: str, size: float | None = None, bold: bool | None = None) -> None:
    """Set a style's (or run's) Latin and East Asian fonts, size and weight."""
    font = style_or_run.font
    font.name = LATIN_FONT
    if size is not None:
        font.size = Pt(size)
    if bold is not None:
        font.bold = bold
    font.color.rgb = RGBColor(0, 0, 0)
    rpr = style_or_run.element.get_or_add_rPr()
    fonts = rpr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = OxmlElement("w:rFonts")
        rpr.insert(0, fonts)
    for attr in ("w:asciiTheme", "w:hAnsiTheme", "w:eastAsiaTheme", "w:cstheme"):
        fonts.attrib.pop(qn(attr), None)
    fonts.set(qn("w:ascii"), LATIN_FONT)
    fonts.set(qn("w:hAnsi"), LATIN_FONT)
    fonts.set(qn("w:eastAsia"), east_asia)
    fonts.set(qn("w:hint"), "eastAsia")


def _paragraph_format(style, size: float, first_indent: bool = False, align=None, before=0, after=0) -> None:
    pf = style.paragraph_format
    pf.line_spacing_rule = WD_LINE_SPACING.EXACTLY
    pf.line_spacing = Pt(round(size * 1.75))
    pf.space_before = Pt(before)
    pf.space_after = Pt(after)
    if first_indent:
        pf.first_line_indent = Pt(size * 2)
    if align is not None:
        pf.alignment = align


def _page_field(paragraph) -> None:
    paragraph.add_run("— ")
    field = OxmlElement("w:fldSimple")
    field.set(qn("w:instr"), "PAGE")
    run = OxmlElement("w:r")
    text = OxmlElement("w:t")
    text.text = "1"
    run.append(text)
    field.append(run)
    paragraph._p.append(field)
    paragraph.add_run(" —")


def _font_table(document) -> None:
    # Declare the CJK fonts with their alternatives in word/fontTable.xml.
    part = next(p for p in document.part.package.parts if str(p.partname).endswith("fontTable.xml"))
    xml = part.blob.decode("utf-8")
    entries = "".join(
        f'<w:font w:name="{name}"><w:altName w:val="{alt}"/><w:charset w:val="86"/>'
        f'<w:family w:val="modern"/><w:pitch w:val="fixed"/></w:font>'
        for name, alt in ALT_NAMES.items()
    )
    xml = re.sub(r"</w:fonts>\s*$", entries + "</w:fonts>", xml)
    part._blob = xml.encode("utf-8")


# The styles a report uses (by the names Word shows in English; python-docx's are lower case for
# the built-in ones), kept with those they are based on, linked to or followed by.
USED_STYLES = (
    "Normal",
    "Title",
    "Heading 1",
    "Heading 2",
    "Table Grid",
    "Table Text",
    "Signature",
    "Header",
    "Footer",
)


def _prune_styles(document) -> None:
    # python-docx's default document defines 166 styles (350 KB of styles.xml, 440 KB more in
    # stylesWithEffects.xml, a Word 2010 copy): every report parses and writes them again, about
    # 15 ms of a unit's CPU. Word and WPS still offer every built-in style (latentStyles).
    styles = document.styles.element
    by_id = {s.get(qn("w:styleId")): s for s in styles.findall(qn("w:style"))}
    wanted = {n.lower() for n in USED_STYLES}
    keep = set()
    for sid, style in by_id.items():
        name = style.find(qn("w:name"))
        if (name is not None and name.get(qn("w:val"), "").lower() in wanted) or style.get(
            qn("w:default")
        ) in (
            "1",
            "true",
        ):
            keep.add(sid)
    todo = list(keep)
    while todo:
        style = by_id[todo.pop()]
        for tag in ("w:basedOn", "w:link", "w:next"):
            ref = style.find(qn(tag))
            target = None if ref is None else ref.get(qn("w:val"))
            if target in by_id and target not in keep:
                keep.add(target)
                todo.append(target)
    for sid, style in by_id.items():
        if sid not in keep:
            styles.remove(style)
    for rid, rel in list(document.part.rels.items()):
        if rel.reltype.endswith("/stylesWithEffects"):
            document.part.drop_rel(rid)


def build(path: Path = TEMPLATE) -> Path:
    """Write the template to ``path``."""
    doc = Document()
    section = doc.sections[0]
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.top_margin, section.bottom_margin = Mm(37), Mm(35)
    section.left_margin, section.right_margin = Mm(28), Mm(26)
    section.header_distance, section.footer_distance = Mm(15), Mm(20)

    styles = doc.styles
    normal = styles["Normal"]
    set_fonts(normal, BODY_FONT, 16)
    _paragraph_format(normal, 16, first_indent=True, align=WD_ALIGN_PARAGRAPH.JUSTIFY)

    title = styles["Title"]
    set_fonts(title, TITLE_FONT, 22, bold=False)
    _paragraph_format(title, 22, align=WD_ALIGN_PARAGRAPH.CENTER, after=16)
    title.paragraph_format.first_line_indent = Pt(0)
    ppr = title.element.get_or_add_pPr()
    for border in ppr.findall(qn("w:pBdr")):
        ppr.remove(border)

    for name, font, size in (("Heading 1", HEADING1_FONT, 16), ("Heading 2", HEADING2_FONT, 16)):
        h = styles[name]
        set_fonts(h, font, size, bold=False)
        _paragraph_format(h, size, before=6, after=0)
        h.paragraph_format.first_line_indent = Pt(32)
        h.paragraph_format.keep_with_next = True

    table_text = styles.add_style("Table Text", WD_STYLE_TYPE.PARAGRAPH)
    table_text.base_style = normal
    set_fonts(table_text, BODY_FONT, 10.5)
    _paragraph_format(table_text, 10.5)
    table_text.paragraph_format.line_spacing_rule = WD_LINE_SPACING.SINGLE
    table_text.paragraph_format.first_line_indent = Pt(0)
    table_text.paragraph_format.alignment = WD_ALIGN_PARAGRAPH.LEFT
    table_text.paragraph_format.space_before = Pt(2)
    table_text.paragraph_format.space_after = Pt(2)

    signature = styles.add_style("Signature", WD_STYLE_TYPE.PARAGRAPH)
    signature.base_style = normal
    signature.paragraph_format.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    signature.paragraph_format.first_line_indent = Pt(0)

    header = section.header.paragraphs[0]
    header.text = "{单位名称}"
    header.style = styles["Header"]
    set_fonts(styles["Header"], BODY_FONT, 10.5)
    header.alignment = WD_ALIGN_PARAGRAPH.CENTER
    footer = section.footer.paragraphs[0]
    footer.style = styles["Footer"]
    set_fonts(styles["Footer"], LATIN_FONT, 14)
    footer.alignment = WD_ALIGN_PARAGRAPH.CENTER
    _page_field(footer)

    doc.add_paragraph(
        "本文件是 evalkit 复核报告的模板：修改样式、页边距、页眉页脚即可改变所有生成的报告；"
        "生成报告时正文由程序写入，此段不会出现在报告中。",
        style=normal,
    )
    doc.core_properties.title = "绩效自评复核报告模板"
    doc.core_properties.author = "evalkit"
    _font_table(doc)
    _prune_styles(doc)
    doc.save(path)
    return path


if __name__ == "__main__":
    print(build(Path(sys.argv[1]) if len(sys.argv) > 1 else TEMPLATE))
