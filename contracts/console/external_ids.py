"""The contract page's edit of its Salesforce opportunity and NetSuite sales order ids
(contracts/terms/external_ids.py); the create form takes them too (forms_external_ids.py)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_http_methods

from billing_console.api import ApplicationError
from billing_console.roles import role_required
from contracts.console.forms_external_ids import external_ids_form
from contracts.console.page import detail_context
from contracts.console.views import DEAL_ROLES, DETAIL, back, contract_for_page, form_field
from contracts.terms.external_ids import contract_external_ids_set


@require_http_methods(["POST"])
@login_required
@role_required(*DEAL_ROLES)
def contract_external_ids(request: HttpRequest, contract_id: str) -> HttpResponse:
    """Set the ids: valid → saved and back to the page; invalid → the form again (422)."""
    contract = contract_for_page(contract_id)
    form = external_ids_form(contract, request.POST)
    if form.is_valid():
        try:
            contract_external_ids_set(contract=contract, **form.cleaned_data)
        except ApplicationError as err:
            form.add_error(form_field(err.message, form), err.message.split(": ", 1)[-1])
        else:
            messages.success(request, "External ids saved.")
            return back(request, contract)
    template = f"{DETAIL}#external-ids-form" if request.htmx else DETAIL
    context = detail_context(contract, bound={"external_ids_form": form})
    return render(request, template, context, status=422)
