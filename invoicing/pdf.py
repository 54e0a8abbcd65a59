"""Invoice PDFs (weasyprint), rendered only from the invoice's own stored lines and snapshot,
so rendering the same invoice twice gives the same document."""

import os
from datetime import datetime, timedelta
from pathlib import Path

from django.conf import settings
from django.template.loader import render_to_string

from invoicing.models import Invoice

# fontTools stamps embedded font subsets with "now" unless SOURCE_DATE_EPOCH is set (the
# reproducible-builds convention); a fixed stamp keeps the PDF bytes a function of the invoice.
os.environ.setdefault("SOURCE_DATE_EPOCH", "0")


def _lines_of(text: str) -> list[str]:
    """Address lines: separated by newlines, or by a literal \\n as written in .env files."""
    return [line.strip() for line in text.replace("\\n", "\n").split("\n") if line.strip()]


def due_date(invoice: Invoice) -> datetime | None:
    """Issue date plus the contract's net payment terms (none set: due on issue)."""
    if invoice.is_draft:
        return None
    days = invoice.contract.net_payment_terms_days or 0
    return invoice.issued_at + timedelta(days=days)


def render_invoice_pdf(invoice: Invoice) -> bytes:
    from weasyprint import HTML  # heavy import: only where PDFs are made

    logo = Path(settings.COMPANY_LOGO_PATH)
    html = render_to_string(
        "invoicing/pdf/invoice.html",
        {
            "invoice": invoice,
            "lines": list(invoice.lines.all()),
            "company_name": settings.SELLER_NAME or settings.COMPANY_NAME,
            "company_address": _lines_of(settings.SELLER_ADDRESS or settings.COMPANY_ADDRESS),
            "due": due_date(invoice),
            "applied_total": invoice.total - invoice.subtotal,  # negative: commits, credits
            "logo_url": logo.as_uri() if logo.is_file() else None,
        },
    )
    # Fixed metadata keeps the bytes deterministic (no creation date from the clock).
    document = HTML(string=html, base_url=str(settings.BASE_DIR)).render()
    document.metadata.created = invoice.finalized_at.isoformat() if invoice.finalized_at else None
    document.metadata.modified = None
    return document.write_pdf()
