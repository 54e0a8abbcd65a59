"""Invoice PDFs (weasyprint), rendered only from the invoice's own stored lines and snapshot,
so rendering the same invoice twice gives the same document."""

import os
from pathlib import Path

from django.conf import settings
from django.template.loader import render_to_string

from invoicing.models import Invoice

# fontTools stamps embedded font subsets with "now" unless SOURCE_DATE_EPOCH is set (the
# reproducible-builds convention); a fixed stamp keeps the PDF bytes a function of the invoice.
os.environ.setdefault("SOURCE_DATE_EPOCH", "0")


def render_invoice_pdf(invoice: Invoice) -> bytes:
    from weasyprint import HTML  # heavy import: only where PDFs are made

    logo = Path(settings.COMPANY_LOGO_PATH)
    html = render_to_string(
        "invoicing/pdf/invoice.html",
        {
            "invoice": invoice,
            "lines": list(invoice.lines.all()),
            "company_name": settings.COMPANY_NAME,
            "company_address": settings.COMPANY_ADDRESS.split("\n")
            if settings.COMPANY_ADDRESS
            else [],
            "logo_url": logo.as_uri() if logo.is_file() else None,
        },
    )
    # Fixed metadata keeps the bytes deterministic (no creation date from the clock).
    document = HTML(string=html, base_url=str(settings.BASE_DIR)).render()
    document.metadata.created = invoice.finalized_at.isoformat() if invoice.finalized_at else None
    document.metadata.modified = None
    return document.write_pdf()
