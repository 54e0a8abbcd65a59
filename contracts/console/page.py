"""What the contract page shows: commits and credits with their status and drawdown, overrides,
recurring items, subscriptions with their quantities, each row's edit forms, and the edit
history told in words. Reads only; every write goes through contract_edit (views, views_items)."""

from datetime import datetime

from django.utils import timezone
from django.utils.dateparse import parse_datetime

from billing_console.forms import own_ids
from contracts.console.charges_page import charge_rows
from contracts.console.commit_words import pays_for_words, product_names, rollover_words
from contracts.console.forms import TermsForm
from contracts.console.forms_commits import CommitForm
from contracts.console.forms_external_ids import external_ids_form
from contracts.console.forms_items import CommitEditForm, RecurringEditForm, RecurringForm
from contracts.console.forms_overrides import OverrideForm, override_initial
from contracts.console.forms_subscriptions import (
    QuantityForm,
    SeatsForm,
    SubscriptionEndForm,
    SubscriptionForm,
)
from contracts.console.forms_terms import ChargeForm
from contracts.console.hierarchy import hierarchy_context
from contracts.console.history import credit_type, edit_rows, override_scopes, per_period
from contracts.console.override_words import override_row_words
from contracts.console.reporting_page import reporting_terms_context
from contracts.console.services_page import PARTIALS as SERVICES_PARTIALS
from contracts.console.services_page import page_forms as services_forms
from contracts.console.services_page import services_terms_context
from contracts.console.thresholds_page import PARTIALS as THRESHOLDS_PARTIALS
from contracts.console.thresholds_page import threshold_forms, thresholds_context
from contracts.models import Contract
from contracts.selectors import commit_balance
from contracts.terms.subscription_read import quantity_schedule
from contracts.terms.subscriptions import state_at, subscription_timeline
from contracts.wire.write import ledger_entry_type
from pricing.models import Product

DETAIL = "contracts/contract_detail.html"
RECENT_EDITS = 5


def commit_status(commit, now: datetime) -> str:
    """upcoming, active, expired or voided — from the access schedule."""
    if commit.archived_at is not None:
        return "voided"
    segments = list(commit.segments.all())
    if not segments:
        return "active"
    if all(s.ending_before <= now for s in segments):
        return "expired"
    if all(s.starting_at > now for s in segments):
        return "upcoming"
    return "active"


def _products(*types: str, exclude: bool = False):
    qs = Product.objects.filter(archived_at__isnull=True)
    return qs.exclude(type__in=types) if exclude else qs.filter(type__in=types)


def page_forms(contract: Contract) -> dict:
    """The page's add forms (and the terms form) by name; each builder takes POST data or nothing."""
    unit = credit_type(contract)
    fixed = _products("FIXED", "PRO_SERVICE")
    subscriptions = contract.subscriptions.filter(
        archived_at__isnull=True, quantity_management_mode="SEAT_BASED"
    )
    terms = {"name": contract.name, "ending_before": contract.ending_before}
    builders = {
        "commit": lambda data=None: CommitForm(data, products=fixed, credit_type=unit),
        "override": lambda data=None: OverrideForm(
            data, products=_products("FIXED", "PRO_SERVICE", exclude=True), credit_type=unit
        ),
        "charge": lambda data=None: ChargeForm(data, products=fixed, credit_type=unit),
        "terms": lambda data=None: TermsForm(data, initial=terms),
        "recurring": lambda data=None: RecurringForm(
            data, products=fixed, subscriptions=subscriptions, credit_type=unit
        ),
        "subscription": lambda data=None: SubscriptionForm(
            data, products=_products("SUBSCRIPTION")
        ),
        "external_ids": lambda data=None: external_ids_form(contract, data),  # external_ids.py
    }
    # Several of these forms have a field of one name: ids per form ("commit-product").
    return {name: own_ids(name, build) for name, build in builders.items()}


# The add forms that wait in a closed <details>: the page's plain GET neither builds nor renders
# them (about a third of its time) and each is loaded when its details opens (?form=<partial>,
# contract_detail). By partial: (the template holding it, its form's name, its builders).
LAZY_FORMS = {
    "override-form": (DETAIL, "override", page_forms),
    "charge-form": (DETAIL, "charge", page_forms),
    "recurring-form": (DETAIL, "recurring", page_forms),
    "subscription-form": (DETAIL, "subscription", page_forms),
    "discount-form": (SERVICES_PARTIALS, "discount", services_forms),
    "pro-service-form": (SERVICES_PARTIALS, "pro_service", services_forms),
    "spend-threshold-form": (THRESHOLDS_PARTIALS, "spend_threshold", threshold_forms),
    "recharge-form": (THRESHOLDS_PARTIALS, "recharge", threshold_forms),
}
LAZY_NAMES = frozenset(name for _template, name, _builders in LAZY_FORMS.values())


def lazy_form(contract: Contract, partial: str) -> tuple[str, dict] | None:
    """The template ("...#override-form") and context of one add form, unbound, as the page
    would show it; None for a partial that is not one of LAZY_FORMS."""
    if partial not in LAZY_FORMS:
        return None
    template, name, builders = LAZY_FORMS[partial]
    form = builders(contract)[name]()
    context = {"contract": contract, "credit_type": credit_type(contract), f"{name}_form": form}
    return f"{template}#{partial}", context


def override_form(contract: Contract, override, data=None) -> OverrideForm | None:
    initial = override_initial(override)
    if initial is None:
        return None
    return OverrideForm(
        data,
        initial=initial,
        products=_products("FIXED", "PRO_SERVICE", exclude=True),
        credit_type=credit_type(contract),
        auto_id=f"override-{override.public_id}-%s",
    )


def item_form(kind: str, contract: Contract, item, data=None):
    """The edit form of one row: kind is commit-edit, override-edit, recurring-edit, quantity,
    seats or sub-end (also the prefix of its element id)."""
    if kind == "commit-edit":
        return CommitEditForm(data, commit=item)
    if kind == "override-edit":
        return override_form(contract, item, data)
    if kind == "recurring-edit":
        return RecurringEditForm(data, item=item, credit_type=credit_type(contract))
    if kind == "quantity":
        return QuantityForm(data, subscription=item)
    if kind == "seats":
        return SeatsForm(data, subscription=item)
    return SubscriptionEndForm(data, subscription=item)


def _form(bound: dict, kind: str, contract: Contract, item):
    return bound.get(f"{kind}-{item.public_id}") or item_form(kind, contract, item)


LEDGER_LABELS = {
    "SEGMENT_START": "Granted",
    "USAGE_DEDUCTION": "Drawn by usage",
    "EXPIRATION": "Expired",
    "ROLLOVER": "Rolled over",
    "MANUAL": "Manual entry",
    "TRUE_UP": "True-up",
    "SEAT_BASED_ADJUSTMENT": "Seat adjustment",
}


def _ledger(commit) -> list[dict]:
    """The drawdown history: each entry with a label, its API type and the invoice behind it."""
    rows = []
    for entry in commit.ledger.all():
        wire_type = ledger_entry_type(entry, commit.kind)
        label = LEDGER_LABELS[entry.type]
        if wire_type.endswith("_CANCELED"):
            label = "Given back (invoice voided)"
        rows.append({"entry": entry, "label": label, "wire_type": wire_type})
    return rows


def _commit_rows(contract: Contract, show_expired: bool, bound: dict) -> list[dict]:
    now = timezone.now()
    rows = []
    commits = contract.commits.select_related("product", "recurring_commit").prefetch_related(
        "segments", "ledger", "invoice_items"
    )
    names = product_names(commits)  # the products the commits pay for, by id
    for commit in commits:
        status = commit_status(commit, now)
        stuck = any(segment.error for segment in commit.segments.all())  # shown until closed
        if status == "expired" and not show_expired and not stuck:
            continue
        rows.append({
            "commit": commit,
            "status": status,
            "balance": commit_balance(commit),
            "ledger": _ledger(commit),
            "archive_kind": "credit" if commit.is_credit else "commit",
            "pays_for": pays_for_words(commit, names),
            "rollover": rollover_words(commit.rollover_fraction),
            "edit_form": _form(bound, "commit-edit", contract, commit) if status != "voided" else None,
        })  # fmt: skip
    return rows


def _recurring_rows(contract: Contract, bound: dict) -> list[dict]:
    subscriptions = {str(s.public_id): s for s in contract.subscriptions.all()}
    rows = []
    for item in contract.recurring_commits.filter(archived_at__isnull=True).select_related(
        "product"
    ):
        config = item.subscription_config or {}
        rows.append({
            "item": item,
            "access": per_period(item.access_amount),
            "invoice": per_period(item.invoice_amount),
            "issued": item.issued.count(),
            "subscription": subscriptions.get(config.get("subscription_id", "")),
            "allocation": config.get("allocation", ""),
            "edit_form": _form(bound, "recurring-edit", contract, item),
        })  # fmt: skip
    return rows


def _subscription_rows(contract: Contract, bound: dict) -> list[dict]:
    now = timezone.now()
    rows = []
    subs = contract.subscriptions.filter(archived_at__isnull=True)
    for sub in subs.select_related("product", "contract").prefetch_related("quantity_changes"):
        state = state_at(subscription_timeline(sub), now)
        seat_based = sub.quantity_management_mode == "SEAT_BASED"
        schedule = [
            {**step, "starting_at": parse_datetime(step["starting_at"])}
            for step in quantity_schedule(sub, now)
        ]
        rows.append({
            "sub": sub,
            "quantity": state.quantity,
            "seats": list(state.assigned),
            "unassigned": state.unassigned,
            "schedule": schedule,
            "change_kind": "seats" if seat_based else "quantity",
            "change_form": _form(bound, "seats" if seat_based else "quantity", contract, sub),
            "end_form": _form(bound, "sub-end", contract, sub),
        })  # fmt: skip
    return rows


def _override_rows(contract: Contract, bound: dict) -> list[dict]:
    overrides = list(contract.overrides.filter(archived_at__isnull=True).select_related("product"))
    scopes, unit = override_scopes(overrides), credit_type(contract)
    return [
        {
            "override": o,
            "scope": scopes[o.pk],
            "terms": override_row_words(o, unit),  # ("20% off list", "× 0.8")  # noqa: RUF003
            "edit_form": _form(bound, "override-edit", contract, o),
        }
        for o in overrides
    ]


def detail_context(contract: Contract, *, show_expired: bool = False, bound: dict | None = None, lazy: bool = False) -> dict:  # fmt: skip
    """The contract page; `bound` holds a submitted form to show with its errors, by its name
    ("commit_form") or its row key ("commit-edit-<id>"). With `lazy`, the add forms of
    LAZY_FORMS are left out (bar a bound one): the template shows a placeholder that loads each."""
    bound = bound or {}
    edits = list(contract.edits.order_by("-created_at", "-pk")[: RECENT_EDITS + 1])
    return {
        "contract": contract,
        "credit_type": credit_type(contract),
        "commits": _commit_rows(contract, show_expired, bound),
        "show_expired": show_expired,
        "overrides": _override_rows(contract, bound),
        "charges": charge_rows(contract),  # by date, invoiced items marked
        "recurring": _recurring_rows(contract, bound),
        "subscriptions": _subscription_rows(contract, bound),
        "edits": edit_rows(contract, edits[:RECENT_EDITS]),
        "more_edits": len(edits) > RECENT_EDITS,
        "invoices": contract.invoices.select_related("credit_type").order_by("-period_start")[:24],
        **services_terms_context(contract, bound, lazy=lazy),  # discounts, professional services
        **reporting_terms_context(contract),  # spend trackers, reseller royalties
        **thresholds_context(contract, bound, lazy=lazy),  # threshold billing, auto-recharge
        "hierarchy": hierarchy_context(contract),
        **{
            f"{name}_form": bound.get(f"{name}_form") or build()
            for name, build in page_forms(contract).items()
            if not (lazy and name in LAZY_NAMES) or f"{name}_form" in bound
        },
    }
