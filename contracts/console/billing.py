"""The contract page's billing provider section: assign one of the customer's configurations,
or archive the assigned one (which stops billing through it at once). Finance and admins."""

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from billing_console.api import ApplicationError
from billing_console.roles import ADMIN, FINANCE, role_required
from contracts.models import Contract
from contracts.terms.billing_provider import contract_billing_configuration_set
from customers.billing_providers import (
    customer_billing_configuration_get,
    customer_billing_configurations_archive,
)

SECTION = "contracts/contract_detail.html#contract-billing"


def _section(request: HttpRequest, contract: Contract, error: str = "", status: int = 200):
    if not request.htmx and status == 200:
        return redirect("contracts:contract-detail", contract.public_id)
    contract.refresh_from_db()
    return render(request, SECTION, {"contract": contract, "billing_error": error}, status=status)


@require_POST
@login_required
@role_required(ADMIN, FINANCE)
def contract_billing_configuration_assign(request: HttpRequest, contract_id: str) -> HttpResponse:
    contract = get_object_or_404(Contract.objects.select_related("customer"), public_id=contract_id)
    try:
        configuration = customer_billing_configuration_get(
            customer=contract.customer,
            public_id=request.POST.get("configuration", ""),
            field="configuration",
        )
        contract_billing_configuration_set(
            contract=contract, configuration=configuration, field="configuration"
        )
    except ApplicationError as err:
        return _section(request, contract, err.message.split(": ", 1)[-1], 422)
    return _section(request, contract)


@require_POST
@login_required
@role_required(ADMIN, FINANCE)
def contract_billing_configuration_archive(request: HttpRequest, contract_id: str) -> HttpResponse:
    contract = get_object_or_404(Contract.objects.select_related("customer"), public_id=contract_id)
    current = contract.billing_provider_configuration
    if current is not None and current.archived_at is None:
        customer_billing_configurations_archive(
            customer=contract.customer, ids=[str(current.public_id)]
        )
    return _section(request, contract)
