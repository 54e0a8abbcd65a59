"""Archiving one item of a scheduled charge from the contract page: the item leaves the
charge's invoice schedule (update_scheduled_charges remove_schedule_items, as the API does), so
the edit is recorded and a draft invoice holding it is recomputed. An item already on a
finalized invoice cannot be removed: the refusal is shown on the card (422). Archiving the
whole charge is the separate archive_scheduled_charges action (views.contract_archive_item)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_http_methods

from billing_console.api import ApplicationError
from billing_console.roles import role_required
from contracts.console.page import detail_context
from contracts.console.views import DEAL_ROLES, DETAIL, apply_edit, back, contract_for_page
from contracts.models import ScheduledChargeItem


@require_http_methods(["POST"])
@login_required
@role_required(*DEAL_ROLES)
def charge_item_archive(request: HttpRequest, contract_id: str, item_id: str) -> HttpResponse:
    contract = contract_for_page(contract_id)
    item = (
        ScheduledChargeItem.objects.filter(
            public_id=item_id, charge__contract=contract, charge__archived_at__isnull=True
        )
        .select_related("charge")
        .first()
    )
    if item is None:
        raise Http404("No such scheduled charge item on this contract.")
    wire = {
        "update_scheduled_charges": [
            {
                "scheduled_charge_id": str(item.charge.public_id),
                "invoice_schedule": {"remove_schedule_items": [{"id": str(item.public_id)}]},
            }
        ]
    }
    when = f"{item.timestamp:%b} {item.timestamp.day}, {item.timestamp.year}"
    try:
        apply_edit(request, contract, wire, f"The {when} item was archived.")
        return back(request, contract)
    except ApplicationError as err:
        error = err.message.split(": ", 1)[-1]
    context = {**detail_context(contract), "charge_error": error}
    if request.htmx:  # the card alone, with the refusal on it
        return render(request, f"{DETAIL}#charges-card", context, status=422)
    messages.error(request, error)
    return render(request, DETAIL, context, status=422)
