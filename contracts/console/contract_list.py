"""The contracts list: each contract's status, the filters and search, and the count per status.

Status, at `now` (half-open terms: a contract is live from starting_at, inclusive, until
ending_before, exclusive), in this order of precedence, the same reading as the contracts data
export: archived (archived_at set) > upcoming (starts after now) > ended (ending_before <= now)
> ending soon (ends within ENDING_SOON days: ending_before <= now + 30 days) > active."""

import uuid
from datetime import datetime, timedelta
from typing import Any

from django import forms
from django.db.models import Count, Q, QuerySet

from contracts.models import Contract
from customers.models import Customer
from pricing.models import Package, RateCard

ENDING_SOON = timedelta(days=30)
STATUSES = (
    ("active", "Active"),
    ("upcoming", "Upcoming"),
    ("ending_soon", "Ending soon"),
    ("ended", "Ended"),
    ("archived", "Archived"),
)
ENDING_WITHIN = tuple((d, f"Ending within {d} days") for d in ("30", "60", "90"))


def days_left(contract: Any, now: datetime) -> int:
    """Whole days until the contract ends, a part day counted as one (ends in 0.2 days: 1)."""
    return -((now - contract.ending_before) // timedelta(days=1))


def contract_status(contract: Any, now: datetime) -> str:
    """One contract's status (see the module docstring), for an unsaved one too."""
    if contract.archived_at is not None:
        return "archived"
    if contract.starting_at > now:
        return "upcoming"
    end = contract.ending_before
    if end is not None and end <= now:
        return "ended"
    if end is not None and end <= now + ENDING_SOON:
        return "ending_soon"
    return "active"


def status_conditions(now: datetime) -> dict[str, Q]:
    """The same statuses as database conditions, mutually exclusive."""
    live = Q(archived_at__isnull=True)
    started = live & Q(starting_at__lte=now)
    return {
        "active": started
        & (Q(ending_before__isnull=True) | Q(ending_before__gt=now + ENDING_SOON)),
        "upcoming": live & Q(starting_at__gt=now),
        "ending_soon": started & Q(ending_before__gt=now, ending_before__lte=now + ENDING_SOON),
        "ended": started & Q(ending_before__lte=now),
        "archived": Q(archived_at__isnull=False),
    }


class ContractFilterForm(forms.Form):
    q = forms.CharField(required=False, max_length=200, label="Search contracts")
    status = forms.ChoiceField(required=False, choices=[("", "All statuses"), *STATUSES])
    customer = forms.ModelChoiceField(
        queryset=Customer.objects.none(), required=False, to_field_name="public_id",
        empty_label="All customers",
    )  # fmt: skip
    package = forms.ModelChoiceField(
        queryset=Package.objects.none(), required=False, to_field_name="public_id",
        empty_label="All packages",
    )  # fmt: skip
    rate_card = forms.ModelChoiceField(
        queryset=RateCard.objects.none(), required=False, to_field_name="public_id",
        empty_label="All rate cards", label="Rate card",
    )  # fmt: skip
    ending_within = forms.ChoiceField(
        required=False, choices=[("", "Any end date"), *ENDING_WITHIN], label="Ending within"
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, auto_id="contract-filter-%s", **kwargs)
        for name, field in self.fields.items():  # a filter bar: each control labelled by itself
            field.widget.attrs["aria-label"] = field.label or name.capitalize()
        self.fields["q"].widget.input_type = "search"
        self.fields["q"].widget.attrs["placeholder"] = "Search contract, customer or id"
        self.fields["customer"].queryset = Customer.objects.order_by("name")
        self.fields["package"].queryset = Package.objects.order_by("name")
        self.fields["rate_card"].queryset = RateCard.objects.order_by("name")

    def filter_values(self) -> dict[str, Any]:
        """The filters given. A value that is not an option (a stale link, an id of nothing)
        selects nothing, rather than everything or a server error; the form says why."""
        self.is_valid()
        values = {k: v for k, v in self.cleaned_data.items() if v not in ("", None)}
        if self.errors:
            values["invalid"] = True
        return values


def _search(qs: QuerySet[Contract], term: str) -> QuerySet[Contract]:
    term = term.strip()
    condition = Q(name__icontains=term) | Q(customer__name__icontains=term)
    try:
        condition |= Q(public_id=uuid.UUID(term))
    except ValueError:
        pass
    return qs.filter(condition)


def status_tabs(counts: dict[str, int]) -> list[tuple[str, str, int]]:
    """(value, label, count) per status, in the order the filter lists them, after all of them."""
    tabs = [(value, label, counts[value]) for value, label in STATUSES]
    return [("", "All", sum(count for _v, _l, count in tabs)), *tabs]


def contract_list_filtered(
    values: dict[str, Any], now: datetime
) -> tuple[QuerySet[Contract], dict[str, int]]:
    """The contracts the filters select (newest first) and, for the same filters but any
    status, how many contracts there are in each status (one query)."""
    qs = Contract.objects.select_related("customer", "rate_card", "package")
    if values.get("invalid"):
        qs = qs.none()
    for name in ("customer", "package", "rate_card"):
        if name in values:
            qs = qs.filter(**{name: values[name]})
    if values.get("q"):
        qs = _search(qs, values["q"])
    if values.get("ending_within"):
        horizon = now + timedelta(days=int(values["ending_within"]))
        qs = qs.filter(archived_at__isnull=True, ending_before__gt=now, ending_before__lte=horizon)
    conditions = status_conditions(now)
    counts = qs.aggregate(**{k: Count("pk", filter=q) for k, q in conditions.items()})
    if values.get("status"):
        qs = qs.filter(conditions[values["status"]])
    if values.get("ending_within") or values.get("status") == "ending_soon":
        return qs.order_by("ending_before", "pk"), counts  # what ends first, first
    return qs.order_by("-created_at", "-pk"), counts
