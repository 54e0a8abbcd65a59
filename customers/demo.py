"""Demo customers: an AI company's accounts, each marked as the demo's own.

The mark is a custom field, `demo_data: load_demo`, set at creation. Every other demo module
finds its customers with `customers()` (by that mark only), so that `load_demo` never writes
usage, contracts or invoices for a customer it did not create.
"""

from django.db.models import QuerySet

from billing_console.custom_fields import custom_field_key_add, custom_field_values_set
from customers.models import Customer, IngestAlias
from customers.services import customer_create

MARK_KEY, MARK_VALUE = "demo_data", "load_demo"
# For alerts that apply to every customer: scoped to the demo's own (alerts/demo.py) through
# the mark contracts/demo.py puts on their contracts (the wire's filter entities are Contract,
# Commit, ContractCredit and ContractCreditOrCommit: none is the customer).
MARK_FILTER = {"entity": "Contract", "key": MARK_KEY, "value": MARK_VALUE}

CUSTOMERS = (
    ("Acme Robotics", ["acme", "acme-robotics-prod"], {"region": "us", "tier": "enterprise", "account_owner": "jules@example.com"}),
    ("Globex Research", ["globex"], {"region": "eu", "tier": "enterprise", "account_owner": "sam@example.com"}),
    ("Initech AI", ["initech", "initech-staging"], {"region": "us", "tier": "growth", "account_owner": "jules@example.com"}),
    ("Umbrella Labs", ["umbrella"], {"region": "eu", "tier": "growth", "account_owner": "ari@example.com"}),
    ("Hooli Search", ["hooli"], {"region": "us", "tier": "enterprise", "account_owner": "sam@example.com"}),
    ("Pied Piper", ["piedpiper"], {"region": "us", "tier": "startup", "account_owner": "ari@example.com"}),
    ("Stark Analytics", ["stark"], {"region": "apac", "tier": "growth", "account_owner": "jules@example.com"}),
    ("Wayne Vision", ["wayne-vision"], {"region": "us", "tier": "startup", "account_owner": "ari@example.com"}),
)  # fmt: skip


def customers() -> QuerySet[Customer]:
    """The demo's own live customers, oldest first, with their aliases."""
    return (
        Customer.objects.active()
        .filter(**{f"custom_fields__{MARK_KEY}": MARK_VALUE})
        .prefetch_related("aliases")
        .order_by("pk")
    )


def _unmarked_original(name: str, aliases: list[str], fields: dict[str, str]) -> Customer | None:
    """A demo customer loaded before the mark existed: exactly the name, aliases and custom
    fields the demo gives it. Adopted once (marked); anything less exact is left alone."""
    for customer in Customer.objects.active().filter(name=name).prefetch_related("aliases"):
        if (
            customer.custom_fields == fields
            and [a.alias for a in customer.aliases.all()] == aliases
        ):
            return customer
    return None


def load(stdout) -> None:
    for key in ("region", "tier", "account_owner", MARK_KEY):
        custom_field_key_add(entity="customer", key=key, enforce_uniqueness=False)
    present = {alias.alias for demo in customers() for alias in demo.aliases.all()}
    created = adopted = 0
    for name, aliases, fields in CUSTOMERS:
        if aliases[0] in present:
            continue
        original = _unmarked_original(name, aliases, fields)
        if original is not None:
            custom_field_values_set(
                entity="customer", entity_id=str(original.public_id), values={MARK_KEY: MARK_VALUE}
            )
            adopted += 1
        elif IngestAlias.objects.filter(alias__in=aliases, active=True).exists():
            stdout.write(f"Customers demo: skipped {name}: one of {aliases} is another customer's.")
        else:
            customer_create(
                name=name, ingest_aliases=aliases, custom_fields={**fields, MARK_KEY: MARK_VALUE}
            )
            created += 1
    stdout.write(f"Customers demo: {created} new customers, {adopted} adopted from earlier demos.")
