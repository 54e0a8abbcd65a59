"""A report's filters: validated once when the run is asked for, stored on it as JSON."""

from datetime import datetime
from typing import Any

from django.utils.dateparse import parse_datetime

from billing_console.api import ApplicationError
from billing_console.lib.periods import Period
from billing_console.wire import Reader
from customers.models import Customer
from invoicing.breakdowns import WINDOWS
from reports.datasets import DATASETS, Dataset, Filters
from reports.datasets.invoices import INVOICE_BREAKDOWNS, MAX_REPORT_WINDOWS
from reports.writers import rfc3339

WINDOW_SIZES = ("DAY", "HOUR")  # as invoicing.breakdowns.WINDOWS knows them


def dataset_get(name: str, field: str = "dataset") -> Dataset:
    dataset = DATASETS.get(name)
    if dataset is None:
        raise ApplicationError(f"{field}: must be one of {', '.join(DATASETS)}.")
    return dataset


def _customer(customer_id: str) -> Customer:
    import uuid

    try:
        key = uuid.UUID(customer_id)
    except ValueError:
        key = None
    customer = Customer.objects.filter(public_id=key).first() if key else None
    if customer is None:
        raise ApplicationError(f"customer_id: no customer with id '{customer_id}'.")
    return customer


def report_params_read(dataset_name: str, data: dict[str, Any]) -> tuple[Dataset, dict[str, Any]]:
    """The dataset and its filters as stored on a run; ApplicationError naming the bad field."""
    dataset = dataset_get(dataset_name)
    reader = Reader(data)
    starting_on = reader.datetime("starting_on")
    ending_before = reader.datetime("ending_before")
    if starting_on and ending_before and ending_before <= starting_on:
        raise ApplicationError("ending_before: must be after starting_on.")
    if dataset.requires_range and not (starting_on and ending_before):
        field = "ending_before" if starting_on else "starting_on"
        raise ApplicationError(f"{field}: is required for {dataset.label.lower()}.")
    params: dict[str, Any] = {}
    if starting_on:
        params["starting_on"] = rfc3339(starting_on)
    if ending_before:
        params["ending_before"] = rfc3339(ending_before)
    customer_id = reader.str("customer_id", max_length=64).strip()
    if customer_id:
        params["customer_id"] = str(_customer(customer_id).public_id)
    if dataset.name == INVOICE_BREAKDOWNS.name:  # DATASETS holds it widened (major_units)
        window_size = reader.choice("window_size", WINDOW_SIZES, default="DAY") or "DAY"
        assert starting_on is not None and ending_before is not None
        if Period(starting_on, ending_before).duration / WINDOWS[window_size] > MAX_REPORT_WINDOWS:
            raise ApplicationError(
                f"ending_before: at most {MAX_REPORT_WINDOWS} {window_size.lower()} windows."
            )
        params["window_size"] = window_size
    columns = reader.str_list("columns")
    if columns:
        params["columns"] = columns_read(dataset, columns)
    if reader.bool("include_void", default=False):
        if not dataset.voidable:
            raise ApplicationError(
                f"include_void: {dataset.label.lower()} hold no invoices; only invoice "
                "datasets can include void ones."
            )
        params["include_void"] = True
    return dataset, params


def columns_read(dataset: Dataset, names: list[str]) -> list[str]:
    """The chosen columns, in the dataset's order; an unknown one is refused by name."""
    known = [column.name for column in dataset.columns]
    unknown = [name for name in names if name not in known]
    if unknown:
        raise ApplicationError(f"columns: {dataset.label.lower()} have no column '{unknown[0]}'.")
    return [name for name in known if name in set(names)]


def column_indexes(dataset: Dataset, params: dict[str, Any]) -> list[int]:
    """Where the run's chosen columns sit in the dataset's rows (all of them when none chosen)."""
    chosen = params.get("columns")
    names = [column.name for column in dataset.columns]
    return [names.index(name) for name in chosen] if chosen else list(range(len(names)))


def _time(params: dict[str, Any], key: str) -> datetime | None:
    return parse_datetime(params[key]) if params.get(key) else None


def filters_from_params(params: dict[str, Any], **extra: Any) -> Filters:
    customer_pk = None
    if params.get("customer_id"):
        customer_pk = (
            Customer.objects.filter(public_id=params["customer_id"])
            .values_list("pk", flat=True)
            .first()
        )
        if customer_pk is None:  # the customer was there when the run was asked for
            raise ApplicationError("customer_id: the customer no longer exists.")
    return Filters(
        starting_on=_time(params, "starting_on"),
        ending_before=_time(params, "ending_before"),
        customer_pk=customer_pk,
        window_size=params.get("window_size", "DAY"),
        include_void=bool(params.get("include_void")),
        **extra,
    )
