"""Real PDFs for the tests, written with fpdf2 (core fonts: Latin-1 text only)."""

from __future__ import annotations

from collections.abc import Sequence

HEADER = "The Example Gazette - Weekly edition"


def article_pdf(
    pages: Sequence[Sequence[str]],
    *,
    title: str | None = "Harbour expansion approved after two-year planning battle",
    info_title: str | None = None,
    running_header: bool = True,
    password: str | None = None,
) -> bytes:
    """One page per item of ``pages`` (a list of paragraphs), with a running header and "Page N of M" footer."""
    from fpdf import FPDF

    class Paper(FPDF):
        def header(self) -> None:
            if running_header:
                self.set_font("helvetica", size=8)
                self.cell(0, 6, HEADER, align="C")
                self.ln(10)

        def footer(self) -> None:
            if running_header:
                self.set_y(-15)
                self.set_font("helvetica", size=8)
                self.cell(0, 6, f"Page {self.page_no()} of {len(pages)}", align="C")

    pdf = Paper()
    pdf.set_auto_page_break(False)
    if info_title:
        pdf.set_title(info_title)
    if password:
        pdf.set_encryption(owner_password="owner-" + password, user_password=password)
    for n, paragraphs in enumerate(pages):
        pdf.add_page()
        if n == 0 and title:
            pdf.set_font("helvetica", style="B", size=16)
            pdf.multi_cell(0, 8, title)
            pdf.ln(4)
        pdf.set_font("helvetica", size=11)
        for paragraph in paragraphs:
            pdf.multi_cell(0, 6, paragraph)
            pdf.ln(3)
    return bytes(pdf.output())


def blank_pdf(n_pages: int = 1) -> bytes:
    """Pages with no text at all, as a scan without OCR would be."""
    from fpdf import FPDF

    pdf = FPDF()
    for _ in range(n_pages):
        pdf.add_page()
        pdf.rect(20, 20, 100, 60)
    return bytes(pdf.output())
