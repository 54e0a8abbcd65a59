"""The console's forms for a contract's Salesforce opportunity and NetSuite sales order ids:
the create form with them, and the contract page's form that changes them."""

from django import forms

from contracts.console.forms import ContractCreateForm
from contracts.terms.external_ids import MAX_LENGTH

FIELDS = ("salesforce_opportunity_id", "netsuite_sales_order_id")


def _id_field(label: str) -> forms.CharField:
    return forms.CharField(label=label, max_length=MAX_LENGTH, required=False, strip=True)


class ExternalIdsForm(forms.Form):
    salesforce_opportunity_id = _id_field("Salesforce opportunity id")
    netsuite_sales_order_id = _id_field("NetSuite sales order id")


class ContractCreateIdsForm(ContractCreateForm):
    """The create form with the deal's ids (sent only when given)."""

    salesforce_opportunity_id = _id_field("Salesforce opportunity id")
    netsuite_sales_order_id = _id_field("NetSuite sales order id")

    def to_wire(self) -> tuple[str, dict]:
        customer_id, wire = super().to_wire()
        wire.update({key: value for key in FIELDS if (value := self.cleaned_data.get(key))})
        return customer_id, wire


def external_ids_form(contract, data=None) -> ExternalIdsForm:
    initial = {key: getattr(contract, key) for key in FIELDS}
    return ExternalIdsForm(data, initial=initial, auto_id="external-ids-%s")  # unique on the page
