"""The customers dataset. The date range selects customers created in it."""

from django.db.models import QuerySet

from customers.models import Customer
from reports.datasets.base import Filters, changed, columns, queryset_dataset


def _customers(filters: Filters) -> QuerySet[Customer]:
    qs = Customer.objects.prefetch_related("aliases")
    if filters.starting_on is not None:
        qs = qs.filter(created_at__gte=filters.starting_on)
    if filters.ending_before is not None:
        qs = qs.filter(created_at__lt=filters.ending_before)
    if filters.customer_pk is not None:
        qs = qs.filter(pk=filters.customer_pk)
    if filters.incremental:
        qs = qs.filter(changed(filters, "created_at", "updated_at"))
    return qs


def _customer_row(customer: Customer, filters: Filters) -> tuple:
    return (
        str(customer.public_id), customer.name, customer.external_id,
        ";".join(alias.alias for alias in customer.aliases.all()), customer.custom_fields,
        customer.salesforce_account_id, customer.created_at, customer.updated_at,
        customer.archived_at,
    )  # fmt: skip


CUSTOMERS = queryset_dataset(
    name="customers",
    label="Customers",
    description="One row per customer: ingest aliases, custom fields, created and archived.",
    columns=columns(
        """
        customer_id name external_id ingest_aliases custom_fields:json salesforce_account_id
        created_at:datetime updated_at:datetime archived_at:datetime
        """
    ),
    queryset=_customers,
    row=_customer_row,
)
