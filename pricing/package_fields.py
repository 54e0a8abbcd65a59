"""Field readers shared by the package term readers: numbers, offsets, product and credit type
ids, roundings, and the temporary ids one package body gives its commits and subscriptions."""

from decimal import Decimal
from typing import Any

from billing_console.api import ApplicationError
from billing_console.lib.wire_values import number as json_number
from billing_console.wire import Reader
from pricing.models import Product, RateCard
from pricing.wire_input import credit_type_ref, find_by_public_id, product_ref

OFFSET_UNITS = ("DAYS", "WEEKS", "MONTHS", "YEARS")
RATE_TYPES = ("COMMIT_RATE", "LIST_RATE")
ROUNDING_RULES = ("HALF_UP", "FLOOR", "CEILING")


def put(out: dict[str, Any], key: str, value: Any) -> None:
    if value is not None and value != "" and value != []:
        out[key] = value


def read_number(
    reader: Reader, key: str, *, required: bool = False, minimum: Decimal | None = None,
    positive: bool = False, maximum: Decimal | None = None,
) -> int | float | None:  # fmt: skip
    """A JSON number as stored in terms: exact integers stay int."""
    value = reader.decimal(key, required=required, minimum=minimum, positive=positive)
    if value is not None and maximum is not None and value > maximum:
        raise reader.fail(key, f"must be at most {maximum}.")
    return json_number(value)


def read_integer(
    reader: Reader, key: str, *, required: bool = False, minimum: int = 0
) -> int | None:
    value = reader.decimal(key, required=required)
    if value is None:
        return None
    if value != value.to_integral_value():
        raise reader.fail(key, "must be an integer.")
    if value < minimum:
        raise reader.fail(key, f"must be at least {minimum}.")
    return int(value)


def read_offset(
    reader: Reader, key: str, *, required: bool = False, positive: bool = False
) -> dict[str, Any] | None:
    """{unit, value}: a duration or an offset from the contract start."""
    child = reader.child(key, required=required)
    if child is None:
        return None
    return {
        "unit": child.choice("unit", OFFSET_UNITS, required=True),
        "value": read_integer(child, "value", required=True, minimum=1 if positive else 0),
    }


def read_product_id(reader: Reader, key: str, *, required: bool = True) -> str | None:
    product = product_ref(reader, key, required=required)
    return str(product.public_id) if product else None


def read_credit_type_id(reader: Reader, key: str, *, required: bool = False) -> str | None:
    credit_type = credit_type_ref(reader, key, required=required)
    return str(credit_type.public_id) if credit_type else None


def read_product_ids(reader: Reader, key: str) -> list[str]:
    ids = reader.str_list(key)
    for index, value in enumerate(ids):
        if find_by_public_id(Product.objects.all(), value) is None:
            raise ApplicationError(
                f"{reader.path + '.' if reader.path else ''}{key}[{index}]: no product with id '{value}'."
            )
    return ids


def read_rounding(reader: Reader, key: str) -> dict[str, Any] | None:
    child = reader.child(key)
    if child is None:
        return None
    return {
        "decimal_places": read_integer(child, "decimal_places", required=True, minimum=-12),
        "rounding_method": child.choice("rounding_method", ROUNDING_RULES, required=True),
    }


class TermIds:
    """Remembers a package body's temporary ids so overrides and recurring commits can refer to
    commits and subscriptions of the same body."""

    def __init__(self, rate_card: RateCard | None) -> None:
        self.rate_card = rate_card
        self.commit_ids: set[str] = set()
        self.recurring_ids: set[str] = set()
        self.subscription_ids: set[str] = set()

    def temporary_id(self, reader: Reader, seen: set[str]) -> str | None:
        value = reader.str("temporary_id", max_length=200) or None
        if value is not None:
            if value in self.commit_ids | self.recurring_ids | self.subscription_ids:
                raise reader.fail("temporary_id", f"'{value}' is used twice.")
            seen.add(value)
        return value

    def applicability(self, reader: Reader, out: dict[str, Any]) -> None:
        put(out, "applicable_product_ids", read_product_ids(reader, "applicable_product_ids"))
        put(out, "applicable_product_tags", reader.str_list("applicable_product_tags"))
        specifiers = []
        for item in reader.children("specifiers"):
            spec: dict[str, Any] = {}
            put(spec, "product_id", read_product_id(item, "product_id", required=False))
            put(spec, "product_tags", item.str_list("product_tags"))
            for key in ("pricing_group_values", "presentation_group_values"):
                put(spec, key, item.str_map(key) or None)
            if not spec:
                raise ApplicationError(
                    f"{item.path}: needs product_id, product_tags, pricing_group_values or "
                    "presentation_group_values."
                )
            specifiers.append(spec)
        if specifiers and ("applicable_product_ids" in out or "applicable_product_tags" in out):
            raise reader.fail(
                "specifiers",
                "cannot be used with applicable_product_ids or applicable_product_tags.",
            )
        put(out, "specifiers", specifiers)
