"""The contract page's "Threshold billing and auto-recharge" card: set up, change and turn off
the spend threshold (bill unbilled usage once it reaches an amount) and the prepaid balance
threshold (auto-recharge). Each form builds the v2 edit's add_/update_ body and applies it
through contract_edit, as the API does, so validation, the edit history and the audit log are
the same; a service error shows beside the field it names.

Each form posts to its own URL and re-renders in place with the error inline (422); once
applied, the page reloads."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_http_methods

from billing_console.api import ApplicationError
from billing_console.roles import role_required
from contracts.console.forms_thresholds import PREPAID, SPEND
from contracts.console.history import credit_type
from contracts.console.page import detail_context
from contracts.console.thresholds_page import PARTIALS, threshold_forms
from contracts.console.views import (
    DEAL_ROLES,
    DETAIL,
    apply_edit,
    back,
    contract_for_page,
    form_field,
)

KINDS = {"spend": ("spend_threshold", SPEND), "recharge": ("recharge", PREPAID)}
DONE = {
    "spend": "Threshold billing saved.",
    "recharge": "Auto-recharge saved.",
}
OFF = {"spend": "Threshold billing turned off.", "recharge": "Auto-recharge turned off."}


@require_http_methods(["POST"])
@login_required
@role_required(*DEAL_ROLES)
def contract_threshold_set(request: HttpRequest, contract_id: str, kind: str) -> HttpResponse:
    """Set up (add_) or change (update_) one configuration from its form."""
    if kind not in KINDS:
        raise Http404("Unknown threshold kind.")
    name, _key = KINDS[kind]
    contract = contract_for_page(contract_id)
    form = threshold_forms(contract)[name](request.POST)
    if form.is_valid():
        try:
            apply_edit(request, contract, form.to_wire(), DONE[kind])
            return back(request, contract)
        except ApplicationError as err:
            form.add_error(form_field(err.message, form), err.message.split(": ", 1)[-1])
    bound = {f"{name}_form": form}
    if request.htmx:
        context = {"contract": contract, "credit_type": credit_type(contract), **bound}
        return render(request, f"{PARTIALS}#{name.replace('_', '-')}-form", context, status=422)
    return render(request, DETAIL, detail_context(contract, bound=bound), status=422)


@require_http_methods(["POST"])
@login_required
@role_required(*DEAL_ROLES)
def contract_threshold_off(request: HttpRequest, contract_id: str, kind: str) -> HttpResponse:
    """Turn one configuration off; it is kept as it was, to be turned on again."""
    if kind not in KINDS:
        raise Http404("Unknown threshold kind.")
    _name, key = KINDS[kind]
    contract = contract_for_page(contract_id)
    if (getattr(contract, key) or {}).get("is_enabled"):
        try:
            apply_edit(request, contract, {f"update_{key}": {"is_enabled": False}}, OFF[kind])
        except ApplicationError as err:  # e.g. the contract was archived meanwhile
            messages.error(request, err.message.split(": ", 1)[-1])
    return back(request, contract)
