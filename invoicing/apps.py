from django.apps import AppConfig
from django.db.models.signals import post_save


class InvoicingConfig(AppConfig):
    name = "invoicing"

    def ready(self) -> None:
        from contracts.models import Contract, LedgerEntry
        from invoicing import receivers
        from usage.signals import events_ingested

        events_ingested.connect(
            receivers.thresholds_on_events_ingested,
            dispatch_uid="invoicing.thresholds_on_events_ingested",
        )
        post_save.connect(
            receivers.thresholds_on_contract_saved,
            sender=Contract,
            dispatch_uid="invoicing.thresholds_on_contract_saved",
        )
        post_save.connect(
            receivers.thresholds_on_ledger_entry_saved,
            sender=LedgerEntry,
            dispatch_uid="invoicing.thresholds_on_ledger_entry_saved",
        )
