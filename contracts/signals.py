"""Signals contracts sends. Invoicing sits above contracts and listens (connected in
InvoicingConfig.ready), so an edit never imports invoicing to keep its drafts in line."""

from django.dispatch import Signal

# Sent inside the edit's transaction, once per edit, with `contract` and `end_date_moved`
# (bool), after an edit changed what the contract's draft invoices bill: scheduled charge
# items, commit invoice schedules, or the end date (and what the end trimmed). Finalized
# invoices never change; drafts are recomputed, or voided when nothing is left on them.
contract_billing_changed = Signal()


def contract_billing_changed_send(contract: object, *, end_date_moved: bool) -> dict[str, list]:
    """Send contract_billing_changed; what the receivers did, merged (invoicing answers with
    the draft invoices it recomputed and voided: {"recomputed": [ids], "voided": [ids]})."""
    done: dict[str, list] = {}
    responses = contract_billing_changed.send(
        sender=type(contract), contract=contract, end_date_moved=end_date_moved
    )
    for _receiver, result in responses:
        for key, ids in (result or {}).items():
            done.setdefault(key, []).extend(ids)
    return done
