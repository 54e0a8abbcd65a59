"""Reading a contract's wire terms: ids, windows, products, credit types and specifiers, with
errors naming the field path. Public names, for every module that reads contract terms."""

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db.models import Q

from billing_console.wire import Reader
from contracts.models import (
    Commit,
    Contract,
    RecurringCommit,
)
from pricing.models import Product


def product_from_wire(reader: Reader, key: str, *, required: bool = True) -> Product | None:
    public_id = reader.str(key, required=required, max_length=64)
    if not public_id:
        return None
    product = Product.objects.filter(public_id=uuid_from_wire(reader, key, public_id)).first()
    if product is None:
        raise reader.fail(key, f"no product with id {public_id}.")
    return product


def uuid_from_wire(reader: Reader, key: str, value: str) -> str:
    import uuid

    try:
        return str(uuid.UUID(value))
    except ValueError:
        raise reader.fail(key, f"'{value}' is not a valid id.") from None


def window_from_wire(
    reader: Reader,
    *,
    start_key: str = "starting_at",
    end_key: str = "ending_before",
    end_required: bool = False,
) -> tuple[datetime, datetime | None]:
    start = reader.datetime(start_key, required=True)
    end = reader.datetime(end_key, required=end_required)
    if end is not None and end <= start:
        raise reader.fail(end_key, f"must be after {start_key}.")
    return start, end


# --- commits and credits ---------------------------------------------------------------


def access_credit_type(access: Reader, contract: Contract | None) -> Any:
    """The custom pricing unit an access schedule's amounts are in, or None for the contract's
    fiat credit type. Refused: a fiat type other than the contract's, and QUANTITY access
    (drawing units rather than spend is not rated)."""
    from pricing.models import CreditType

    if access.has("access_type") and access.choice("access_type", ("SPEND", "QUANTITY")) != "SPEND":
        raise access.fail("access_type", "only SPEND access is supported.")
    public_id = access.str("credit_type_id", max_length=64)
    if not public_id:
        return None
    credit_type = CreditType.objects.filter(
        public_id=uuid_from_wire(access, "credit_type_id", public_id)
    ).first()
    if credit_type is None:
        raise access.fail("credit_type_id", f"no credit type with id {public_id}.")
    if not credit_type.is_fiat:
        return credit_type
    card = contract.rate_card if contract is not None else None
    fiat_id = card.fiat_credit_type_id if card is not None else None
    if (credit_type.currency_code == "USD" and fiat_id is None) or credit_type.pk == fiat_id:
        return None
    raise access.fail(
        "credit_type_id", "must be the contract's fiat credit type or a custom pricing unit."
    )


COMMIT_ID_KEYS = ("commit_ids", "recurring_commit_ids", "any_commit_or_credit_ids")
SPECIFIER_SCOPE = (
    "product_id",
    "product_tags",
    "pricing_group_values",
    "presentation_group_values",
)


@dataclass(frozen=True)
class CommitRefs:
    """What a commit-specific override's specifiers may name: the contract's commits, credits
    and recurring ones (and the customer's own commits), by id or by a temporary_id given to
    one of them in the same payload."""

    contract: Contract
    temporary_ids: dict[str, str] = field(default_factory=dict)


def specifiers_from_wire(
    reader: Reader, key: str, *, commits: CommitRefs | None = None
) -> list[dict[str, Any]]:
    """Commit and override specifiers; only a commit-specific override (`commits` given) names
    commits, and then together with a product, tags or group values, as Metronome documents."""
    out = []
    for item in reader.children(key):
        spec: dict[str, Any] = {}
        named = [k for k in COMMIT_ID_KEYS if item.has(k)]
        if named:
            if commits is None:
                raise item.fail(named[0], "only a commit-specific override names commits.")
            if not any(item.has(k) for k in SPECIFIER_SCOPE):
                raise item.fail(named[0], f"must be used with one of {', '.join(SPECIFIER_SCOPE)}.")
            if "any_commit_or_credit_ids" in named and len(named) > 1:
                raise item.fail(
                    "any_commit_or_credit_ids",
                    "is used instead of commit_ids and recurring_commit_ids, not with them.",
                )
            spec.update({k: _commit_ids(item, k, commits) for k in named})
        if item.has("billing_frequency"):
            raise item.fail("billing_frequency", "is not supported on specifiers.")
        if item.has("product_id"):
            spec["product_id"] = str(product_from_wire(item, "product_id").public_id)  # type: ignore[union-attr]
        for group in ("pricing_group_values", "presentation_group_values"):
            if item.has(group):
                spec[group] = item.str_map(group)
        if item.has("product_tags"):
            spec["product_tags"] = item.str_list("product_tags")
        out.append(spec)
    return out


def _commit_ids(item: Reader, key: str, refs: CommitRefs) -> list[str]:
    """The ids (temporary ids resolved) of the commits, credits or recurring ones `key` names;
    each must be one the contract can draw on."""
    ids = [uuid_from_wire(item, key, refs.temporary_ids.get(v, v)) for v in item.str_list(key)]
    contract = refs.contract
    commits = Commit.objects.filter(
        Q(contract=contract) | Q(contract__isnull=True, customer_id=contract.customer_id),
        public_id__in=ids,
    )
    recurring = RecurringCommit.objects.filter(contract=contract, public_id__in=ids)
    known: set[str] = set()
    if key != "recurring_commit_ids":
        known |= {str(i) for i in commits.values_list("public_id", flat=True)}
    if key != "commit_ids":
        known |= {str(i) for i in recurring.values_list("public_id", flat=True)}
    missing = [i for i in ids if i not in known]
    if missing:
        raise item.fail(key, f"no commit or credit {missing[0]} on this contract.")
    return ids


# --- overrides and scheduled charges -----------------------------------------------------
