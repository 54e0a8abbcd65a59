"""NetSuite ids of invoice lines, and the custom fields passed through to Stripe line items.

Nothing is stored on the line: the ids are read when the invoice is rendered (wire, Stripe,
exports) from what the line bills, so they always agree with the product, commit and contract:

- `netsuite_item_id`: the product's NetSuite item, as of the line's start (products are
  versioned). Usage lines (USAGE, COMPOSITE) use the product's `netsuite_overage_item_id` when it
  has one (usage billed in arrears is NetSuite's "overage" item), else `netsuite_internal_item_id`.
- `commit_netsuite_item_id` and `commit_netsuite_sales_order_id`: on a line that draws from or
  bills a commit, the commit's product's NetSuite item and the commit's sales order.
- `netsuite_invoice_billing_start` / `_end` of professional-service lines are on the line itself
  (invoicing/scheduled_terms.py) and are only read here.

STRIPE_METADATA_CUSTOM_FIELDS lists `<entity>.<key>` entries (entity: product, commit, contract or
customer): each line whose entity has that custom field gets it as Stripe metadata under `key`.
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

USAGE_TYPES = frozenset({"USAGE", "COMPOSITE"})
PASS_THROUGH_ENTITIES = ("product", "commit", "contract", "customer")
BILLING_KEYS = ("netsuite_invoice_billing_start", "netsuite_invoice_billing_end")


@dataclass(frozen=True)
class LineRef:
    product_id: str | None  # public ids, as on the wire
    commit_id: str | None
    type: str  # LineType value (upper case)
    at: datetime | None  # the line's start: which product version applies
    product: Any = None  # the Product, when loaded: its prefetched versions save a query


@dataclass
class _Lookup:
    versions: dict[str, list[Any]]  # product public id -> versions by start
    commits: dict[str, Any]  # commit public id -> Commit (with product)


def _lookup(refs: Sequence[LineRef]) -> _Lookup:
    from contracts.models import Commit
    from pricing.models import ProductVersion

    commit_ids = {r.commit_id for r in refs if r.commit_id}
    commits: dict[str, Any] = {}
    if commit_ids:  # no query for an invoice that draws on no commit
        rows = Commit.objects.filter(public_id__in=commit_ids).select_related("product")
        commits = {str(c.public_id): c for c in rows}
    versions: dict[str, list[Any]] = {}
    for ref in refs:  # the invoice lists prefetch lines' product versions (invoicing.selectors)
        cache = getattr(ref.product, "_prefetched_objects_cache", {})
        if ref.product_id and "versions" in cache:
            versions[ref.product_id] = sorted(cache["versions"], key=lambda v: v.starting_at)
    product_ids = {r.product_id for r in refs if r.product_id}
    product_ids |= {str(c.product.public_id) for c in commits.values()}
    product_ids -= set(versions)
    versions.update({pid: [] for pid in product_ids})
    if product_ids:
        found = ProductVersion.objects.filter(product__public_id__in=product_ids)
        for version in found.select_related("product").order_by("starting_at"):
            versions[str(version.product.public_id)].append(version)
    return _Lookup(versions, commits)


def _version_at(versions: list[Any], at: datetime | None) -> Any | None:
    if not versions:
        return None
    current = versions[0]
    for version in versions:
        if at is not None and version.starting_at <= at:
            current = version
    return current


def _item_id(version: Any | None, line_type: str) -> str:
    if version is None:
        return ""
    if line_type in USAGE_TYPES and version.netsuite_overage_item_id:
        return version.netsuite_overage_item_id
    return version.netsuite_internal_item_id


def line_netsuite_ids(refs: Sequence[LineRef]) -> list[dict[str, str]]:
    """For each line, its NetSuite ids (only those it has). Two queries for the whole invoice."""
    if not refs:
        return []
    lookup = _lookup(refs)
    out: list[dict[str, str]] = []
    for ref in refs:
        ids: dict[str, str] = {}
        if ref.product_id:
            version = _version_at(lookup.versions.get(ref.product_id, []), ref.at)
            if item := _item_id(version, ref.type):
                ids["netsuite_item_id"] = item
        commit = lookup.commits.get(ref.commit_id or "")
        if commit is not None:
            versions = lookup.versions.get(str(commit.product.public_id), [])
            if item := _item_id(_version_at(versions, ref.at), ""):
                ids["commit_netsuite_item_id"] = item
            if commit.netsuite_sales_order_id:
                ids["commit_netsuite_sales_order_id"] = commit.netsuite_sales_order_id
        out.append(ids)
    return out


def line_ref(line: Any) -> LineRef:
    """A stored or draft line (invoicing.models.LineItem or a DraftLine)."""
    product = getattr(line, "product", None)
    commit_id = getattr(line, "commit_public_id", None)
    return LineRef(
        str(product.public_id) if product is not None else None,
        str(commit_id) if commit_id else None,
        str(line.type).upper(),
        getattr(line, "starting_at", None),
        product,
    )


def pass_through_keys() -> list[tuple[str, str]]:
    """(entity, key) of STRIPE_METADATA_CUSTOM_FIELDS; a malformed entry is a configuration
    error, not silently skipped."""
    out = []
    for entry in settings.STRIPE_METADATA_CUSTOM_FIELDS:
        entity, _, key = entry.partition(".")
        if entity not in PASS_THROUGH_ENTITIES or not key:
            raise ImproperlyConfigured(
                f"STRIPE_METADATA_CUSTOM_FIELDS: {entry!r} is not <entity>.<key> with entity one "
                f"of {', '.join(PASS_THROUGH_ENTITIES)}."
            )
        out.append((entity, key))
    return out


def custom_field_metadata(
    keys: Iterable[tuple[str, str]], *, product: Any, commit: Any, contract: Any, customer: Any
) -> dict[str, str]:
    """The configured custom fields this line's entities have, as Stripe metadata."""
    entities = {"product": product, "commit": commit, "contract": contract, "customer": customer}
    out: dict[str, str] = {}
    for entity, key in keys:
        values = getattr(entities[entity], "custom_fields", None) or {}
        if key in values and key not in out:
            out[key] = str(values[key])
    return out


def stripe_line_metadata(line: Any, invoice: Any) -> dict[str, str]:
    """What a Stripe invoice item carries besides our line id: the line's NetSuite ids and
    billing dates, and the configured custom fields (invoicing/providers/stripe_invoices.py)."""
    from contracts.models import Commit

    metadata = dict(line_netsuite_ids([line_ref(line)])[0])
    for key in BILLING_KEYS:
        if (line.explanation or {}).get(key):
            metadata[key] = str(line.explanation[key])
    keys = pass_through_keys()
    if keys:
        commit = None
        if line.commit_public_id and any(entity == "commit" for entity, _ in keys):
            commit = Commit.objects.filter(public_id=line.commit_public_id).first()
        custom = custom_field_metadata(
            keys, product=line.product, commit=commit, contract=invoice.contract,
            customer=invoice.customer,
        )  # fmt: skip
        metadata = {**custom, **metadata}  # our ids win over a custom field of the same name
    return metadata
