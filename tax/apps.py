from django.apps import AppConfig
from django.db.models.signals import post_save


class TaxConfig(AppConfig):
    name = "tax"

    def ready(self) -> None:
        from invoicing.models import Invoice
        from invoicing.signals import invoices_finalized
        from tax import receivers

        invoices_finalized.connect(
            receivers.tax_on_invoices_finalized, dispatch_uid="tax.tax_on_invoices_finalized"
        )
        post_save.connect(
            receivers.tax_on_invoice_saved, sender=Invoice, dispatch_uid="tax.tax_on_invoice_saved"
        )
