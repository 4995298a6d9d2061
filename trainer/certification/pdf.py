"""A certificate as a one-page PDF (reportlab).

Chinese is set in reportlab's built-in CID font STSong-Light (Adobe's Song font the PDF
viewer supplies), so no font file is shipped or embedded; the code and the verification
address are set in Helvetica. The page holds the holder's name, the cohort, the scenarios
passed, the issue date, the code and the address where anyone can check it; never a score.
"""

from __future__ import annotations

import io
from typing import Any
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer

from trainer.certification.models import Certificate
from trainer.certification.services import display_code
from trainer.fieldwork.services import local_today

CJK_FONT = "STSong-Light"
_registered = False


def _font() -> str:
    global _registered
    if not _registered:
        pdfmetrics.registerFont(UnicodeCIDFont(CJK_FONT))
        _registered = True
    return CJK_FONT


def _style(name: str, size: float, *, font: str | None = None, space: float = 4,
           color: Any = colors.black) -> ParagraphStyle:
    return ParagraphStyle(name, fontName=font or _font(), fontSize=size, leading=size * 1.35,
                          alignment=TA_CENTER, spaceAfter=space, textColor=color,
                          wordWrap="CJK")


def render(certificate: Certificate, verify_url: str) -> bytes:
    """The certificate's PDF."""
    buffer = io.BytesIO()
    code = display_code(certificate.code)
    document = SimpleDocTemplate(
        buffer, pagesize=A4, leftMargin=22 * mm, rightMargin=22 * mm, topMargin=28 * mm,
        bottomMargin=22 * mm, title=f"培训合格证书 Certificate {code}",
        author="Census Enumerator Trainer", subject=f"{certificate.code} {verify_url}",
        creator="Census Enumerator Trainer")
    grey = colors.HexColor("#444444")
    title = _style("title", 26, space=2)
    subtitle = _style("subtitle", 13, font="Helvetica", space=18, color=grey)
    label = _style("label", 10.5, space=0, color=grey)
    label_en = _style("label_en", 9, font="Helvetica", space=3, color=grey)
    name = _style("name", 22, space=14)
    body = _style("body", 13, space=10)
    item = _style("item", 12, space=0)
    item_en = _style("item_en", 10, font="Helvetica", space=5, color=grey)
    latin = _style("latin", 11, font="Helvetica", space=4, color=grey)
    code_style = _style("code", 16, font="Helvetica-Bold", space=4)

    def labelled(zh: str, en: str) -> list[Any]:
        return [Paragraph(zh, label), Paragraph(en, label_en)]

    story: list[Any] = [
        Paragraph("普查员培训合格证书", title),
        Paragraph("Census Enumerator Training Certificate", subtitle),
        *labelled("兹证明", "This certifies that"),
        Paragraph(escape(certificate.holder_name), name),
        *labelled("已完成以下培训并达到合格标准", "has completed the training of"),
        Paragraph(escape(certificate.cohort_name), body),
        *labelled("通过的情景", "Scenarios passed"),
    ]
    for scenario in certificate.scenarios:
        story.append(Paragraph(escape(scenario.get("zh_CN") or scenario.get("id") or ""), item))
        if scenario.get("en"):
            story.append(Paragraph(escape(scenario["en"]), item_en))
    issued = local_today(certificate.issued_at)  # the Beijing calendar day
    story += [
        Spacer(1, 8 * mm),
        *labelled("发证日期", "Issued on"),
        Paragraph(f"{issued.year}年{issued.month}月{issued.day}日", body),
        Paragraph(issued.strftime("%Y-%m-%d"), latin),
        Spacer(1, 6 * mm),
        *labelled("验证码", "Verification code"),
        Paragraph(escape(code), code_style),
        *labelled("在以下网址验证", "Verify at"),
        Paragraph(escape(verify_url), latin),
    ]
    if certificate.revoked:
        story += [Spacer(1, 6 * mm),
                  Paragraph("此证书已被撤销", _style("revoked", 14, color=colors.red)),
                  Paragraph("This certificate has been revoked",
                            _style("revoked_en", 12, font="Helvetica", color=colors.red))]
    document.build(story)
    return buffer.getvalue()
