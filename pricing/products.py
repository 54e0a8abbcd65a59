"""Credit types and products (with their dated versions): the catalog's writes. Every function is
atomic, validates first and writes nothing on error; auditlog records each change."""

from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import transaction
from django.utils import timezone

from billing_console.api import ApplicationError
from billing_console.custom_fields import custom_fields_validate
from pricing import rating
from pricing.models import USD_CENTS_ID, CreditType, Product, ProductType, ProductVersion
from pricing.selectors import product_current, product_get, product_state_at
from usage.models import BillableMetric

BEGINNING = datetime(1970, 1, 1, tzinfo=UTC)
CONVERSION_OPERATIONS = ("MULTIPLY", "DIVIDE")
ROUNDING_METHODS = tuple(rating.ROUNDING)


# -- credit types -----------------------------------------------------------------------------


def credit_type_get_default() -> CreditType:
    """USD (cents), Metronome's default pricing unit."""
    credit_type, _ = CreditType.objects.get_or_create(
        public_id=USD_CENTS_ID,
        defaults={"name": "USD (cents)", "currency_code": "USD", "is_fiat": True},
    )
    return credit_type


@transaction.atomic
def credit_type_create(*, name: str, decimal_places: int = 2) -> CreditType:
    name = (name or "").strip()
    if not name:
        raise ApplicationError("name: a credit type needs a name.")
    if CreditType.objects.filter(name__iexact=name, archived_at__isnull=True).exists():
        raise ApplicationError(f"name: a credit type named '{name}' already exists.", "conflict")
    if not 0 <= decimal_places <= 12:
        raise ApplicationError("decimal_places: must be between 0 and 12.")
    return CreditType.objects.create(name=name, is_fiat=False, decimal_places=decimal_places)


@transaction.atomic
def credit_type_archive(*, credit_type: CreditType) -> CreditType:
    if credit_type.is_fiat:
        raise ApplicationError("id: fiat credit types cannot be archived.")
    if credit_type.archived_at is None:
        credit_type.archived_at = timezone.now()
        credit_type.save(update_fields=["archived_at"])
    return credit_type


# -- products ---------------------------------------------------------------------------------

PRODUCT_FIELDS = (
    "name", "billable_metric", "tags", "pricing_group_key", "presentation_group_key", "quantity_conversion",
    "quantity_rounding", "composite_product_ids", "composite_tags", "exclude_free_usage", "is_refundable",
    "netsuite_internal_item_id", "netsuite_overage_item_id",
)  # fmt: skip


def _str_list(field: str, value: Any) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, (list, tuple)) or not all(
        isinstance(v, str) and v.strip() for v in value
    ):
        raise ApplicationError(f"{field}: must be a list of non-empty strings.")
    return list(dict.fromkeys(value))


def _quantity_conversion(value: Any) -> dict[str, Any] | None:
    if not value:
        return None
    if not isinstance(value, dict):
        raise ApplicationError("quantity_conversion: must be an object.")
    try:
        factor = Decimal(str(value.get("conversion_factor")))
    except InvalidOperation:
        raise ApplicationError("quantity_conversion.conversion_factor: must be a number.") from None
    if not factor.is_finite() or factor <= 0:
        raise ApplicationError("quantity_conversion.conversion_factor: must be greater than 0.")
    operation = value.get("operation")
    if operation not in CONVERSION_OPERATIONS:
        raise ApplicationError("quantity_conversion.operation: must be MULTIPLY or DIVIDE.")
    out = {"conversion_factor": str(factor), "operation": operation}
    if value.get("name"):
        out["name"] = str(value["name"])
    return out


def _quantity_rounding(value: Any) -> dict[str, Any] | None:
    if not value:
        return None
    if not isinstance(value, dict):
        raise ApplicationError("quantity_rounding: must be an object.")
    places = value.get("decimal_places")
    if isinstance(places, float) and places.is_integer():
        places = int(places)  # the SDK types decimal_places as a float
    if not isinstance(places, int) or isinstance(places, bool) or not 0 <= places <= 12:
        raise ApplicationError("quantity_rounding.decimal_places: must be an integer from 0 to 12.")
    if value.get("rounding_method") not in ROUNDING_METHODS:
        raise ApplicationError(
            f"quantity_rounding.rounding_method: must be one of {', '.join(ROUNDING_METHODS)}."
        )
    return {"decimal_places": places, "rounding_method": value["rounding_method"]}


def _clean_product_fields(product_type: str, fields: dict[str, Any]) -> dict[str, Any]:
    out = dict(fields)
    if "name" in out:
        out["name"] = (out["name"] or "").strip()
        if not out["name"]:
            raise ApplicationError("name: a product needs a name.")
    for key in ("tags", "pricing_group_key", "presentation_group_key", "composite_tags"):
        if key in out:
            out[key] = _str_list(key, out[key])
    if "composite_product_ids" in out:
        ids = _str_list("composite_product_ids", out["composite_product_ids"])
        for index, public_id in enumerate(ids):
            product_get(public_id, field=f"composite_product_ids[{index}]")
        out["composite_product_ids"] = ids
    if "quantity_conversion" in out:
        out["quantity_conversion"] = _quantity_conversion(out["quantity_conversion"])
    if "quantity_rounding" in out:
        out["quantity_rounding"] = _quantity_rounding(out["quantity_rounding"])
    metric = out.get("billable_metric")
    if metric is not None and not isinstance(metric, BillableMetric):
        raise ApplicationError("billable_metric_id: unknown billable metric.")
    if product_type == ProductType.USAGE and "billable_metric" in out and metric is None:
        raise ApplicationError("billable_metric_id: a USAGE product needs a billable metric.")
    if product_type != ProductType.USAGE and metric is not None:
        raise ApplicationError("billable_metric_id: only USAGE products have a billable metric.")
    if product_type != ProductType.COMPOSITE and (
        out.get("composite_product_ids") or out.get("composite_tags")
    ):
        raise ApplicationError(
            "composite_product_ids: only COMPOSITE products reference other products."
        )
    if metric is not None and out.get("pricing_group_key"):
        known = {key for keys in (metric.group_keys or []) for key in keys}
        missing = [k for k in out["pricing_group_key"] if known and k not in known]
        if missing:
            raise ApplicationError(
                f"pricing_group_key: '{missing[0]}' is not a group key of the billable metric."
            )
    for key in ("netsuite_internal_item_id", "netsuite_overage_item_id"):
        if key in out:
            out[key] = out[key] or ""
    return out


@transaction.atomic
def product_create(
    *, name: str, type: str, custom_fields: dict[str, str] | None = None, created_by: str = "",
    **fields: Any,
) -> Product:  # fmt: skip
    if type not in ProductType.values:
        raise ApplicationError(f"type: must be one of {', '.join(ProductType.values)}.")
    unknown = set(fields) - set(PRODUCT_FIELDS)
    if unknown:
        raise TypeError(f"unknown product fields: {sorted(unknown)}")
    fields = {k: v for k, v in fields.items() if v is not None}
    fields.setdefault("billable_metric", None)
    cleaned = _clean_product_fields(type, {"name": name, **fields})
    custom_fields = custom_fields or {}
    custom_fields_validate(entity="product", values=custom_fields)
    product = Product.objects.create(
        type=type, name=cleaned["name"], tags=cleaned.get("tags", []), custom_fields=custom_fields
    )
    ProductVersion.objects.create(
        product=product, starting_at=BEGINNING, created_by=created_by, **cleaned
    )
    return product


@transaction.atomic
def product_update(
    *, product: Product, starting_at: datetime, created_by: str = "", **changes: Any
) -> Product:
    """A new version of the product from `starting_at`; earlier usage keeps the old definition."""
    product = Product.objects.select_for_update().get(pk=product.pk)
    if product.archived_at is not None:
        raise ApplicationError("product_id: the product is archived.")
    unknown = set(changes) - set(PRODUCT_FIELDS)
    if unknown:
        raise TypeError(f"unknown product fields: {sorted(unknown)}")
    if starting_at is None:
        raise ApplicationError("starting_at: is required.")
    cleaned = _clean_product_fields(product.type, changes)
    base = product_state_at(product, starting_at)
    state = {field: getattr(base, field) for field in PRODUCT_FIELDS}
    state.update(cleaned)
    ProductVersion.objects.update_or_create(
        product=product, starting_at=starting_at, defaults={**state, "created_by": created_by}
    )
    product._versions_cache = None
    latest = product_current(product)
    product.name, product.tags = latest.name, latest.tags
    product.save(update_fields=["name", "tags", "updated_at"])
    return product


@transaction.atomic
def product_archive(*, product: Product) -> Product:
    if product.archived_at is None:
        product.archived_at = timezone.now()
        product.save(update_fields=["archived_at", "updated_at"])
    return product
