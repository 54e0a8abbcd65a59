"""The contract page's per-row edits: a commit's or credit's name, priority and end; an override
replaced (removed and re-added in one edit); a recurring item's end and amounts; a
subscription's quantity or seats from a date, and its end. Each is an htmx form that re-renders
in place with the error inline (422) and, once applied, returns to the page."""

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_http_methods

from billing_console.api import ApplicationError
from billing_console.roles import role_required
from contracts.console.history import credit_type
from contracts.console.page import detail_context, item_form
from contracts.console.views import (
    DEAL_ROLES,
    DETAIL,
    apply_edit,
    back,
    contract_for_page,
    form_field,
)
from contracts.models import Contract

# kind → (the related manager of the contract that holds the row, the page partial)
KINDS = {
    "commit-edit": ("commits", "commit-edit-form"),
    "override-edit": ("overrides", "override-edit-form"),
    "recurring-edit": ("recurring_commits", "recurring-edit-form"),
    "quantity": ("subscriptions", "subscription-change-form"),
    "seats": ("subscriptions", "subscription-change-form"),
    "sub-end": ("subscriptions", "subscription-end-form"),
}
DONE = {
    "commit-edit": "Saved.",
    "override-edit": "The override was replaced.",
    "recurring-edit": "Saved; periods not issued yet use the new terms.",
    "quantity": "Quantity change scheduled.",
    "seats": "Seat change scheduled.",
    "sub-end": "Subscription end date saved.",
}


def _item(contract: Contract, kind: str, item_id: str):
    manager = getattr(contract, KINDS[kind][0])
    item = manager.filter(public_id=item_id, archived_at__isnull=True).first()
    if item is None:
        raise Http404("No such item on this contract.")
    return item


def _wire(kind: str, form, item) -> dict:
    if kind == "override-edit":  # no update_overrides on the wire: remove and re-add, atomically
        return {"remove_overrides": [{"id": str(item.public_id)}], "add_overrides": [form.to_wire()]}  # fmt: skip
    return form.to_wire()


def _item_view(request: HttpRequest, contract_id: str, item_id: str, kind: str) -> HttpResponse:
    contract = contract_for_page(contract_id)
    item = _item(contract, kind, item_id)
    form = item_form(kind, contract, item, request.POST)
    if form is None:  # e.g. a tiered override: the API edits it, the console cannot
        raise Http404("This item cannot be edited here.")
    if form.is_valid():
        wire = _wire(kind, form, item)
        if not wire:
            return back(request, contract)
        try:
            apply_edit(request, contract, wire, DONE[kind])
            return back(request, contract)
        except ApplicationError as err:
            form.add_error(form_field(err.message, form), err.message.split(": ", 1)[-1])
    if request.htmx:
        context = {
            "contract": contract,
            "credit_type": credit_type(contract),
            "item": item,
            "form": form,
            "form_kind": kind,
        }
        return render(request, f"{DETAIL}#{KINDS[kind][1]}", context, status=422)
    context = detail_context(contract, bound={f"{kind}-{item.public_id}": form})
    return render(request, DETAIL, context, status=422)


def _edit_view(kind: str):
    @require_http_methods(["POST"])
    @login_required
    @role_required(*DEAL_ROLES)
    def view(request: HttpRequest, contract_id: str, item_id: str) -> HttpResponse:
        return _item_view(request, contract_id, item_id, kind)

    view.__name__ = f"contract_{kind.replace('-', '_')}"
    return view


commit_edit = _edit_view("commit-edit")
override_edit = _edit_view("override-edit")
recurring_edit = _edit_view("recurring-edit")
subscription_quantity = _edit_view("quantity")
subscription_seats = _edit_view("seats")
subscription_end = _edit_view("sub-end")
