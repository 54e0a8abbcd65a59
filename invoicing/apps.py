from django.apps import AppConfig
from django.db.models.signals import post_save


class InvoicingConfig(AppConfig):
    name = "invoicing"

    def ready(self) -> None:
        from contracts.models import Contract, ContractEdit, LedgerEntry
        from contracts.signals import contract_billing_changed
        from invoicing import draft_refresh, receivers, refresh_triggers
        from invoicing.providers.sync import invoices_sync_enqueue
        from invoicing.signals import invoices_finalized
        from usage.signals import events_ingested

        invoices_finalized.connect(
            invoices_sync_enqueue, dispatch_uid="invoicing.providers.invoices_sync_enqueue"
        )
        contract_billing_changed.connect(
            draft_refresh.on_contract_billing_changed,
            dispatch_uid="invoicing.draft_refresh.on_contract_billing_changed",
        )
        events_ingested.connect(
            refresh_triggers.drafts_refresh_on_events_ingested,
            dispatch_uid="invoicing.drafts_refresh_on_events_ingested",
        )
        post_save.connect(
            refresh_triggers.drafts_refresh_on_contract_edit,
            sender=ContractEdit,
            dispatch_uid="invoicing.drafts_refresh_on_contract_edit",
        )
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
