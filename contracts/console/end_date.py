"""The contract page's name and end-date form, with its preview step.

A new end that trims anything (contracts/end_date.py: scheduled charges, discounts and commit
invoices not yet invoiced, commit and credit access after the end, the drafts that follow) is
first shown to the user in the page's preview slot, amounts in the contract's currency;
"Confirm" posts the same values back with the plan's fingerprint, and the edit is applied only
while the plan is still the one shown. The edit itself is the API's (contract_edit), so the
rule is the same.
"""

from decimal import Decimal

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.dateparse import parse_datetime
from django.views.decorators.http import require_http_methods
from django_htmx.http import reswap, retarget

from billing_console.api import ApplicationError
from billing_console.roles import role_required
from contracts.console.page import detail_context, page_forms
from contracts.console.views import (
    DEAL_ROLES,
    DETAIL,
    apply_edit,
    back,
    contract_for_page,
    form_field,
)
from contracts.end_date import end_date_preview
from contracts.end_date_plan import EndDatePlan
from contracts.models import Contract

FIELD, FLAG = "update_contract_end_date", "allow_contract_ending_before_finalized_invoice"
SLOT = "#end-date-preview"  # the page's full-width slot under its header


def _plan(contract: Contract, wire: dict) -> EndDatePlan | None:
    """What the form's new end would trim (None when the end does not change)."""
    if FIELD not in wire:
        return None
    end = parse_datetime(wire[FIELD]) if wire[FIELD] else None
    return end_date_preview(contract, end, allow=bool(wire.get(FLAG)), field=FIELD, flag=FLAG)


def preview_context(contract: Contract, plan: EndDatePlan) -> dict:
    """The preview's rows and totals (amounts in the credit type's unit, shown with |money)."""
    cuts = [c for c in plan.access if c.new_end is not None]
    charges = sum((r.amount for r in plan.charges), Decimal(0))
    invoice_items = sum((r.amount for r in plan.invoice_items), Decimal(0))
    discounts = sum((r.amount for r in plan.discounts), Decimal(0))  # reductions, positive
    return {
        "plan": plan,
        "previous_end": contract.ending_before,
        "charges_total": charges,
        "invoice_items_total": invoice_items,
        "discounts_total": discounts,
        # What the removed items would have billed, net of the discounts removed with them.
        "not_invoiced": charges + invoice_items - discounts,
        "access_removed": [c for c in plan.access if c.new_end is None],
        "access_cut": cuts,
        "voided": [d for d in plan.drafts if d.effect == "voided"],
        "changed": [d for d in plan.drafts if d.effect != "voided"],
    }


def _preview(request: HttpRequest, contract: Contract, form, plan: EndDatePlan, stale: bool):
    context = detail_context(contract, bound={"terms_form": form})
    context["preview"] = {**preview_context(contract, plan), "stale": stale}
    if not request.htmx:
        return render(request, DETAIL, context)
    response = render(request, f"{DETAIL}#end-date-preview", context)
    return reswap(retarget(response, SLOT), "outerHTML")  # shown under the header, full width


@require_http_methods(["POST"])
@login_required
@role_required(*DEAL_ROLES)
def contract_update_terms(request: HttpRequest, contract_id: str) -> HttpResponse:
    """POST of the name and end-date form (and of its preview's Confirm)."""
    contract = contract_for_page(contract_id)
    form = page_forms(contract)["terms"](request.POST)
    if form.is_valid():
        wire = form.to_wire(contract)
        if not wire:
            return back(request, contract)
        try:
            plan = _plan(contract, wire)
            confirmed = request.POST.get("confirm")
            if plan is not None and plan.shows and confirmed != plan.fingerprint():
                return _preview(request, contract, form, plan, stale=confirmed is not None)
            apply_edit(request, contract, wire, "Contract updated.")
            return back(request, contract)
        except ApplicationError as err:
            form.add_error(form_field(err.message, form), err.message.split(": ", 1)[-1])
    context = detail_context(contract, bound={"terms_form": form})
    if request.htmx and request.POST.get("confirm") is not None:  # refused at Confirm
        context["preview"] = {"errors": form.errors}
        response = render(request, f"{DETAIL}#end-date-preview", context, status=422)
        return reswap(retarget(response, SLOT), "outerHTML")
    template = f"{DETAIL}#terms-form" if request.htmx else DETAIL
    return render(request, template, context, status=422)
