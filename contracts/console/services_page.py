"""What the contract page shows of its discounts and professional services, and their forms
(the views are in services_terms.py)."""

from billing_console.forms import own_ids
from contracts.console.forms_services import DiscountForm, ProServiceForm, ProServiceInvoiceForm
from contracts.console.history import credit_type
from contracts.models import Contract
from contracts.terms.discounts import contract_discounts
from contracts.terms.pro_services import contract_pro_services
from invoicing.pro_services import pro_services_billed
from invoicing.services import contract_credit_type, line_places
from pricing.models import Product

PARTIALS = "contracts/partials/services_terms.html"


def _products(kind: str):
    return Product.objects.filter(archived_at__isnull=True, type=kind).order_by("name")


def page_forms(contract: Contract) -> dict:
    unit = credit_type(contract)
    builders = {
        "discount": lambda data=None: DiscountForm(
            data, products=_products("FIXED"), credit_type=unit
        ),
        "pro_service": lambda data=None: ProServiceForm(
            data, products=_products("PRO_SERVICE"), credit_type=unit
        ),
    }
    # On the contract page with its other forms: ids per form ("discount-product").
    return {name: own_ids(name, build) for name, build in builders.items()}


def services_terms_context(contract: Contract, bound: dict, *, lazy: bool = False) -> dict:
    """The page's discounts (each item with the amount it takes off, negative) and professional
    services (with what was invoiced so far and each one's invoice form), and their add forms.
    `bound` holds a submitted form to show with its errors. With `lazy`, the add forms are left
    out bar a bound one: the page loads each when its <details> opens (page.LAZY_FORMS)."""
    unit = credit_type(contract)
    services = contract_pro_services(contract)
    billed = pro_services_billed(services, line_places(contract_credit_type(contract)))
    return {
        "discounts": [
            {"discount": d, "items": [{"item": i, "off": -i.amount} for i in d.items.all()]}
            for d in contract_discounts(contract)
        ],
        "pro_services": [
            {
                "service": s,
                "billed": billed[s.pk],
                "left": s.max_amount - billed[s.pk],
                "invoice_form": bound.get(f"pro-invoice-{s.public_id}")
                or ProServiceInvoiceForm(service=s, credit_type=unit),
            }
            for s in services
        ],
        **{
            f"{name}_form": bound.get(f"{name}_form") or build()
            for name, build in page_forms(contract).items()
            if not lazy or f"{name}_form" in bound
        },
    }
