"""Packages: contract templates (rate card + commits, credits, overrides, charges, schedule),
their terms validated against the shape /v1/contracts/create takes, with errors naming the path."""

from datetime import UTC
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from billing_console.api import ApplicationError
from billing_console.wire import Reader
from pricing.models import Package, Product, RateCard, RateType
from pricing.services import (
    BILLING_FREQUENCIES,
    clean_tiers,
    credit_type_ref,
    find_by_public_id,
    product_ref,
)
from pricing.wire import json_number

UNIQUENESS_KEY_REUSED = "uniqueness_key: '{key}' was already used for another package."


@transaction.atomic
def package_create(*, data: dict[str, Any]) -> Package:
    """A package (contract template) from a /v1/packages/create body. Terms are validated here
    (references resolved, amounts checked) and stored wire-shaped, as a contract create body
    would carry them, with offsets relative to the contract start instead of dates."""
    reader = Reader(data)
    unknown = sorted(set(data) - set(PACKAGE_FIELDS))
    if unknown:
        raise reader.fail(unknown[0], "is not a package field.")
    name = reader.str("name", required=True, max_length=200).strip()
    key = reader.str("uniqueness_key", max_length=128) or None
    if key and Package.objects.filter(uniqueness_key=key).exists():
        raise ApplicationError(UNIQUENESS_KEY_REUSED.format(key=key), "conflict")
    rate_card = _package_rate_card(reader)
    terms = package_terms_clean(reader, rate_card)
    try:
        with transaction.atomic():
            return Package.objects.create(
                name=name,
                rate_card=rate_card,
                aliases=_timed_aliases(reader),
                terms=terms,
                uniqueness_key=key,
            )
    except IntegrityError:  # a concurrent create with the same key won the race
        raise ApplicationError(UNIQUENESS_KEY_REUSED.format(key=key), "conflict") from None


@transaction.atomic
def package_archive(*, package: Package) -> Package:
    if package.archived_at is None:
        package.archived_at = timezone.now()
        package.save(update_fields=["archived_at"])
    return package


def _package_rate_card(reader: Reader) -> RateCard | None:
    if reader.has("rate_card_id") and reader.has("rate_card_alias"):
        raise reader.fail("rate_card_alias", "give rate_card_id or rate_card_alias, not both.")
    if reader.has("rate_card_alias"):
        alias = reader.str("rate_card_alias", required=True)
        if not any(
            a.get("name") == alias for card in RateCard.objects.active() for a in card.aliases or []
        ):
            raise reader.fail("rate_card_alias", f"no active rate card has the alias '{alias}'.")
        return None
    value = reader.str("rate_card_id")
    if not value:
        raise reader.fail("rate_card_id", "a package needs rate_card_id or rate_card_alias.")
    card = find_by_public_id(RateCard.objects.all(), value)
    if card is None:
        raise reader.fail("rate_card_id", f"no rate card with id '{value}'.")
    if card.archived_at is not None:
        raise reader.fail("rate_card_id", "the rate card is archived.")
    return card


def _timed_aliases(reader: Reader) -> list[dict[str, Any]]:
    out = []
    for item in reader.children("aliases"):
        alias: dict[str, Any] = {"name": item.str("name", required=True, max_length=200)}
        for key in ("starting_at", "ending_before"):
            moment = item.datetime(key)
            if moment is not None:
                alias[key] = moment.astimezone(UTC).isoformat().replace("+00:00", "Z")
        if "starting_at" in alias and "ending_before" in alias:
            if item.datetime("ending_before") <= item.datetime("starting_at"):  # type: ignore[operator]
                raise item.fail("ending_before", "must be after starting_at.")
        out.append(alias)
    return out


# Package terms: every field of /v1/packages/create but name, aliases, uniqueness_key and the
# rate card, which live in columns.
PACKAGE_FIELDS = (
    "name", "aliases", "billing_provider", "commits", "contract_name", "credits", "delivery_method",
    "duration", "multiplier_override_prioritization", "net_payment_terms_days", "overrides",
    "prepaid_balance_threshold_configuration", "rate_card_alias", "rate_card_id", "recurring_commits",
    "recurring_credits", "scheduled_charges", "scheduled_charges_on_usage_invoices",
    "spend_threshold_configuration", "spend_trackers", "subscriptions", "uniqueness_key",
    "usage_statement_schedule",
)  # fmt: skip
OFFSET_UNITS = ("DAYS", "WEEKS", "MONTHS", "YEARS")
RATE_TYPES = ("COMMIT_RATE", "LIST_RATE")
ROUNDING_RULES = ("HALF_UP", "FLOOR", "CEILING")


def _put(out: dict[str, Any], key: str, value: Any) -> None:
    if value is not None and value != "" and value != []:
        out[key] = value


def _number(
    reader: Reader, key: str, *, required: bool = False, minimum: Decimal | None = None,
    positive: bool = False, maximum: Decimal | None = None,
) -> int | float | None:  # fmt: skip
    """A JSON number as stored in terms: exact integers stay int."""
    value = reader.decimal(key, required=required, minimum=minimum, positive=positive)
    if value is not None and maximum is not None and value > maximum:
        raise reader.fail(key, f"must be at most {maximum}.")
    return json_number(value)


def _integer(reader: Reader, key: str, *, required: bool = False, minimum: int = 0) -> int | None:
    value = reader.decimal(key, required=required)
    if value is None:
        return None
    if value != value.to_integral_value():
        raise reader.fail(key, "must be an integer.")
    if value < minimum:
        raise reader.fail(key, f"must be at least {minimum}.")
    return int(value)


def _offset(
    reader: Reader, key: str, *, required: bool = False, positive: bool = False
) -> dict[str, Any] | None:
    """{unit, value}: a duration or an offset from the contract start."""
    child = reader.child(key, required=required)
    if child is None:
        return None
    return {
        "unit": child.choice("unit", OFFSET_UNITS, required=True),
        "value": _integer(child, "value", required=True, minimum=1 if positive else 0),
    }


def _product_id(reader: Reader, key: str, *, required: bool = True) -> str | None:
    product = product_ref(reader, key, required=required)
    return str(product.public_id) if product else None


def _credit_type_id(reader: Reader, key: str, *, required: bool = False) -> str | None:
    credit_type = credit_type_ref(reader, key, required=required)
    return str(credit_type.public_id) if credit_type else None


class _TermsReader:
    """Validates a package's terms; remembers temporary ids so overrides and recurring commits
    can refer to commits and subscriptions of the same body."""

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
        _put(out, "applicable_product_ids", _product_id_list(reader, "applicable_product_ids"))
        _put(out, "applicable_product_tags", reader.str_list("applicable_product_tags"))
        specifiers = []
        for item in reader.children("specifiers"):
            spec: dict[str, Any] = {}
            _put(spec, "product_id", _product_id(item, "product_id", required=False))
            _put(spec, "product_tags", item.str_list("product_tags"))
            for key in ("pricing_group_values", "presentation_group_values"):
                _put(spec, key, item.str_map(key) or None)
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
        _put(out, "specifiers", specifiers)

    def commit(self, reader: Reader, *, credit: bool) -> dict[str, Any]:
        out: dict[str, Any] = {"product_id": _product_id(reader, "product_id")}
        if not credit:
            out["type"] = reader.choice("type", ("PREPAID", "POSTPAID"), required=True)
        access = reader.child("access_schedule", required=True)
        assert access is not None
        items = access.children("schedule_items", required=True)
        if not items:
            raise access.fail("schedule_items", "needs at least one item.")
        out["access_schedule"] = {
            "schedule_items": [
                {
                    "amount": _number(item, "amount", required=True, minimum=Decimal(0)),
                    "starting_at_offset": _offset(item, "starting_at_offset", required=True),
                    "duration": _offset(item, "duration", required=True, positive=True),
                }
                for item in items
            ]
        }
        _put(
            out["access_schedule"],
            "access_type",
            access.choice("access_type", ("SPEND", "QUANTITY")),
        )
        _put(out["access_schedule"], "credit_type_id", _credit_type_id(access, "credit_type_id"))
        if not credit:
            self._invoice_schedule(reader, out)
            _put(
                out,
                "rollover_fraction",
                _number(reader, "rollover_fraction", minimum=Decimal(0), maximum=Decimal(1)),
            )
        self.applicability(reader, out)
        _put(out, "custom_fields", reader.str_map("custom_fields") or None)
        _put(out, "description", reader.str("description"))
        _put(out, "name", reader.str("name", max_length=200))
        _put(out, "priority", _number(reader, "priority"))
        _put(out, "rate_type", reader.choice("rate_type", RATE_TYPES))
        if not credit:
            _put(out, "temporary_id", self.temporary_id(reader, self.commit_ids))
        return out

    def _invoice_schedule(self, reader: Reader, out: dict[str, Any]) -> None:
        invoice = reader.child("invoice_schedule")
        if invoice is None:
            if out["type"] == "POSTPAID":
                raise reader.fail("invoice_schedule", "is required for a POSTPAID commit.")
            return
        items = invoice.children("schedule_items", required=True)
        schedule: dict[str, Any] = {"schedule_items": [self._charge_item(item) for item in items]}
        _put(schedule, "credit_type_id", _credit_type_id(invoice, "credit_type_id"))
        _put(schedule, "do_not_invoice", invoice.bool("do_not_invoice"))
        out["invoice_schedule"] = schedule
        if out["type"] == "POSTPAID":
            access_items = out["access_schedule"]["schedule_items"]
            if len(items) != 1 or len(access_items) != 1:
                raise reader.fail(
                    "invoice_schedule",
                    "a POSTPAID commit has exactly one access and one invoice schedule item.",
                )
            item = items[0]
            total = item.decimal("quantity") * item.decimal("unit_price")  # type: ignore[operator]
            if total != Decimal(str(access_items[0]["amount"])):
                raise reader.fail(
                    "invoice_schedule", "the total must match the access_schedule amount."
                )

    def _charge_item(self, item: Reader) -> dict[str, Any]:
        return {
            "date_offset": _offset(item, "date_offset", required=True),
            "quantity": _number(item, "quantity", required=True, minimum=Decimal(0)),
            "unit_price": _number(item, "unit_price", required=True, minimum=Decimal(0)),
        }

    def scheduled_charge(self, reader: Reader) -> dict[str, Any]:
        out: dict[str, Any] = {"product_id": _product_id(reader, "product_id")}
        schedule = reader.child("schedule", required=True)
        assert schedule is not None
        items = schedule.children("schedule_items", required=True)
        if not items:
            raise schedule.fail("schedule_items", "needs at least one item.")
        out["schedule"] = {"schedule_items": [self._charge_item(item) for item in items]}
        _put(out["schedule"], "credit_type_id", _credit_type_id(schedule, "credit_type_id"))
        _put(out, "name", reader.str("name", max_length=200))
        _put(out, "custom_fields", reader.str_map("custom_fields") or None)
        return out

    def subscription(self, reader: Reader) -> dict[str, Any]:
        out: dict[str, Any] = {
            "collection_schedule": reader.choice(
                "collection_schedule", ("ADVANCE", "ARREARS"), required=True
            )
        }
        proration = reader.child("proration", required=True)
        assert proration is not None
        out["proration"] = {}
        _put(
            out["proration"],
            "invoice_behavior",
            proration.choice(
                "invoice_behavior", ("BILL_IMMEDIATELY", "BILL_ON_NEXT_COLLECTION_DATE")
            ),
        )
        _put(out["proration"], "is_prorated", proration.bool("is_prorated"))
        _put(out["proration"], "rounding", _rounding(proration, "rounding"))
        rate = reader.child("subscription_rate", required=True)
        assert rate is not None
        frequency = rate.choice("billing_frequency", BILLING_FREQUENCIES, required=True)
        product = product_ref(rate, "product_id")
        if (
            self.rate_card is not None
            and not self.rate_card.rates.filter(
                product=product, billing_frequency=frequency
            ).exists()
        ):
            raise rate.fail(
                "product_id", f"the rate card has no {frequency} rate for this product."
            )
        out["subscription_rate"] = {
            "billing_frequency": frequency,
            "product_id": str(product.public_id),
        }  # type: ignore[union-attr]
        mode = reader.choice("quantity_management_mode", ("SEAT_BASED", "QUANTITY_ONLY"))
        _put(out, "quantity_management_mode", mode)
        quantity = _number(
            reader, "initial_quantity", minimum=Decimal(0), required=mode != "SEAT_BASED"
        )
        _put(out, "initial_quantity", quantity)
        seats = reader.child("seat_config", required=mode == "SEAT_BASED")
        if seats is not None:
            out["seat_config"] = {"seat_group_key": seats.str("seat_group_key", required=True)}
            _put(
                out["seat_config"],
                "initial_unassigned_seats",
                _number(seats, "initial_unassigned_seats", minimum=Decimal(0)),
            )
        billing = reader.child("billing_cycle_config")
        if billing is not None:
            out["billing_cycle_config"] = {}
            _put(
                out["billing_cycle_config"],
                "invoice_placement",
                billing.choice("invoice_placement", ("ON_SCHEDULED_INVOICE", "ON_USAGE_INVOICE")),
            )
        _put(out, "starting_at_offset", _offset(reader, "starting_at_offset"))
        _put(out, "duration", _offset(reader, "duration", positive=True))
        _put(out, "name", reader.str("name", max_length=200))
        _put(out, "description", reader.str("description"))
        _put(out, "custom_fields", reader.str_map("custom_fields") or None)
        _put(out, "temporary_id", self.temporary_id(reader, self.subscription_ids))
        return out

    def recurring(self, reader: Reader, *, credit: bool) -> dict[str, Any]:
        access = reader.child("access_amount", required=True)
        duration = reader.child("commit_duration", required=True)
        assert access is not None and duration is not None
        out: dict[str, Any] = {
            "product_id": _product_id(reader, "product_id"),
            "priority": _number(reader, "priority", required=True),
            "starting_at_offset": _offset(reader, "starting_at_offset", required=True),
            "access_amount": {
                "unit_price": _number(access, "unit_price", required=True, minimum=Decimal(0))
            },
            "commit_duration": {"value": _number(duration, "value", required=True, positive=True)},
        }
        _put(out["commit_duration"], "unit", duration.choice("unit", ("PERIODS",)))
        _put(
            out["access_amount"],
            "quantity",
            _number(
                access,
                "quantity",
                minimum=Decimal(0),
                required=not reader.has("subscription_config"),
            ),
        )
        _put(out["access_amount"], "credit_type_id", _credit_type_id(access, "credit_type_id"))
        _put(
            out["access_amount"], "access_type", access.choice("access_type", ("SPEND", "QUANTITY"))
        )
        if not credit:
            invoice = reader.child("invoice_amount")
            if invoice is not None:
                out["invoice_amount"] = {
                    "credit_type_id": _credit_type_id(invoice, "credit_type_id", required=True),
                    "quantity": _number(invoice, "quantity", required=True, minimum=Decimal(0)),
                    "unit_price": _number(invoice, "unit_price", required=True, minimum=Decimal(0)),
                }
        self.applicability(reader, out)
        _put(out, "description", reader.str("description"))
        _put(out, "name", reader.str("name", max_length=200))
        _put(out, "duration", _offset(reader, "duration", positive=True))
        _put(
            out,
            "proration",
            reader.choice("proration", ("NONE", "FIRST", "LAST", "FIRST_AND_LAST")),
        )
        rounding = reader.child("proration_rounding")
        if rounding is not None:
            out["proration_rounding"] = {}
            for key in ("access", "invoice") if not credit else ("access",):
                _put(out["proration_rounding"], key, _rounding(rounding, key))
        _put(out, "rate_type", reader.choice("rate_type", RATE_TYPES))
        _put(
            out,
            "recurrence_frequency",
            reader.choice("recurrence_frequency", (*BILLING_FREQUENCIES, "DAILY")),
        )
        _put(
            out,
            "rollover_fraction",
            _number(reader, "rollover_fraction", minimum=Decimal(0), maximum=Decimal(1)),
        )
        config = reader.child("subscription_config")
        if config is not None:
            subscription_id = config.str("subscription_id", required=True)
            if subscription_id not in self.subscription_ids:
                raise config.fail(
                    "subscription_id",
                    f"no subscription of this package has temporary_id '{subscription_id}'.",
                )
            seat = config.child("apply_seat_increase_config", required=True)
            assert seat is not None
            prorated = seat.bool("is_prorated")
            if prorated is None:
                raise seat.fail("is_prorated", "is required.")
            out["subscription_config"] = {
                "subscription_id": subscription_id,
                "apply_seat_increase_config": {"is_prorated": prorated},
            }
            _put(
                out["subscription_config"],
                "allocation",
                config.choice("allocation", ("INDIVIDUAL", "POOLED")),
            )
        _put(out, "temporary_id", self.temporary_id(reader, self.recurring_ids))
        return out

    def override(self, reader: Reader) -> dict[str, Any]:
        specifiers = reader.children("override_specifiers", required=True)
        if not specifiers:
            raise reader.fail("override_specifiers", "needs at least one specifier.")
        out: dict[str, Any] = {
            "override_specifiers": [self._override_specifier(item) for item in specifiers],
            "starting_at_offset": _offset(reader, "starting_at_offset", required=True),
        }
        kind = reader.choice("type", ("OVERWRITE", "MULTIPLIER", "TIERED"))
        kind = kind or (
            "OVERWRITE"
            if reader.has("overwrite_rate")
            else "TIERED"
            if reader.has("tiers")
            else "MULTIPLIER"
        )
        out["type"] = kind
        if kind == "MULTIPLIER":
            out["multiplier"] = _number(reader, "multiplier", required=True, minimum=Decimal(0))
        elif kind == "OVERWRITE":
            out["overwrite_rate"] = _overwrite_rate(reader)
        else:
            out["tiers"] = _override_tiers(reader)
        _put(out, "duration", _offset(reader, "duration", positive=True))
        _put(out, "entitled", reader.bool("entitled"))
        commit_specific = reader.bool("is_commit_specific")
        _put(out, "is_commit_specific", commit_specific)
        _put(out, "priority", _number(reader, "priority", positive=True))
        target = reader.choice("target", RATE_TYPES)
        if target and not commit_specific:
            raise reader.fail(
                "target", "only overrides with is_commit_specific true have a target."
            )
        _put(out, "target", target)
        return out

    def _override_specifier(self, item: Reader) -> dict[str, Any]:
        spec: dict[str, Any] = {}
        _put(spec, "product_id", _product_id(item, "product_id", required=False))
        _put(spec, "product_tags", item.str_list("product_tags"))
        for key in ("pricing_group_values", "presentation_group_values"):
            _put(spec, key, item.str_map(key) or None)
        _put(spec, "billing_frequency", item.choice("billing_frequency", BILLING_FREQUENCIES))
        if not spec:
            raise ApplicationError(
                f"{item.path}: needs product_id, product_tags, pricing_group_values or presentation_group_values."
            )
        known = {
            "commit_ids": self.commit_ids,
            "recurring_commit_ids": self.recurring_ids,
            "any_commit_or_credit_ids": self.commit_ids | self.recurring_ids,
        }
        for key, ids in known.items():
            values = item.str_list(key)
            missing = [v for v in values if v not in ids]
            if missing:
                raise item.fail(
                    key, f"'{missing[0]}' is not the temporary_id of a commit of this package."
                )
            _put(spec, key, values)
        return spec

    def spend_tracker(self, reader: Reader) -> dict[str, Any]:
        specifiers = []
        for item in reader.children("applicable_spend_specifiers", required=True):
            sources = item.str_list("sources")
            bad = [s for s in sources if s not in ("THRESHOLD_RECHARGE", "MANUAL")]
            if not sources or bad:
                raise item.fail("sources", "must list THRESHOLD_RECHARGE and/or MANUAL.")
            spec = {
                "sources": sources,
                "spend_type": item.choice("spend_type", ("COMMIT_PURCHASE",), required=True),
            }
            _put(
                spec,
                "discounted",
                item.choice("discounted", ("ANY", "DISCOUNTED_ONLY", "UNDISCOUNTED_ONLY")),
            )
            specifiers.append(spec)
        return {
            "alias": reader.str("alias", required=True, max_length=200),
            "applicable_spend_specifiers": specifiers,
            "credit_type_id": _credit_type_id(reader, "credit_type_id", required=True),
            "reset_frequency": reader.choice("reset_frequency", ("BILLING_PERIOD",), required=True),
        }


def _product_id_list(reader: Reader, key: str) -> list[str]:
    ids = reader.str_list(key)
    for index, value in enumerate(ids):
        if find_by_public_id(Product.objects.all(), value) is None:
            raise ApplicationError(
                f"{reader.path + '.' if reader.path else ''}{key}[{index}]: no product with id '{value}'."
            )
    return ids


def _rounding(reader: Reader, key: str) -> dict[str, Any] | None:
    child = reader.child(key)
    if child is None:
        return None
    return {
        "decimal_places": _integer(child, "decimal_places", required=True, minimum=-12),
        "rounding_method": child.choice("rounding_method", ROUNDING_RULES, required=True),
    }


def _overwrite_rate(reader: Reader) -> dict[str, Any]:
    rate = reader.child("overwrite_rate", required=True)
    assert rate is not None
    rate_type = rate.choice("rate_type", tuple(RateType.values), required=True)
    out: dict[str, Any] = {"rate_type": rate_type}
    if rate_type == RateType.TIERED:
        out["tiers"] = [
            {k: json_number(Decimal(v)) for k, v in tier.items()}
            for tier in clean_tiers(f"{rate.path}.tiers", rate.list("tiers", required=True))
        ]
    elif rate_type in (RateType.FLAT, RateType.PERCENTAGE, RateType.SUBSCRIPTION):
        out["price"] = _number(rate, "price", required=True, minimum=Decimal(0))
    _put(out, "credit_type_id", _credit_type_id(rate, "credit_type_id"))
    _put(out, "is_prorated", rate.bool("is_prorated"))
    _put(out, "quantity", _number(rate, "quantity", minimum=Decimal(0)))
    custom = rate.raw("custom_rate")
    if custom is not None and not isinstance(custom, dict):
        raise rate.fail("custom_rate", "must be an object.")
    if rate_type == RateType.CUSTOM and custom is None:
        raise rate.fail("custom_rate", "a CUSTOM rate needs custom_rate.")
    _put(out, "custom_rate", custom)
    return out


def _override_tiers(reader: Reader) -> list[dict[str, Any]]:
    items = reader.children("tiers", required=True)
    if not items:
        raise reader.fail("tiers", "needs at least one tier.")
    tiers = []
    for index, item in enumerate(items):
        tier: dict[str, Any] = {
            "multiplier": _number(item, "multiplier", required=True, minimum=Decimal(0))
        }
        size = _number(item, "size", positive=True)
        if size is None and index != len(items) - 1:
            raise item.fail("size", "is required on every tier but the last.")
        _put(tier, "size", size)
        tiers.append(tier)
    return tiers


def _threshold_configuration(reader: Reader, key: str) -> dict[str, Any] | None:
    child = reader.child(key)
    if child is None:
        return None
    commit = child.child("commit", required=True)
    assert commit is not None
    product_ref(commit, "product_id")
    _product_id_list(commit, "applicable_product_ids")
    if child.bool("is_enabled") is None:
        raise child.fail("is_enabled", "is required.")
    child.decimal("threshold_amount", required=True, minimum=Decimal(0))
    if key == "prepaid_balance_threshold_configuration":
        child.decimal("recharge_to_amount", required=True, minimum=Decimal(0))
        credit_type_ref(child, "custom_credit_type_id")
    child.child("payment_gate_config", required=True)
    return reader.raw(key)  # as sent, its text checked


def package_terms_clean(reader: Reader, rate_card: RateCard | None) -> dict[str, Any]:
    """The validated, normalised terms of a package body (see package_create)."""
    terms = _TermsReader(rate_card)
    out: dict[str, Any] = {}
    # Subscriptions and commits first: recurring commits and overrides refer to their ids.
    _put(
        out,
        "subscriptions",
        [terms.subscription(item) for item in reader.children("subscriptions")],
    )
    _put(out, "commits", [terms.commit(item, credit=False) for item in reader.children("commits")])
    _put(out, "credits", [terms.commit(item, credit=True) for item in reader.children("credits")])
    _put(
        out,
        "recurring_commits",
        [terms.recurring(item, credit=False) for item in reader.children("recurring_commits")],
    )
    _put(
        out,
        "recurring_credits",
        [terms.recurring(item, credit=True) for item in reader.children("recurring_credits")],
    )
    _put(out, "overrides", [terms.override(item) for item in reader.children("overrides")])
    _put(
        out,
        "scheduled_charges",
        [terms.scheduled_charge(item) for item in reader.children("scheduled_charges")],
    )
    _put(
        out,
        "spend_trackers",
        [terms.spend_tracker(item) for item in reader.children("spend_trackers")],
    )
    _put(
        out,
        "rate_card_alias",
        reader.str("rate_card_alias") if reader.has("rate_card_alias") else None,
    )
    _put(out, "contract_name", reader.str("contract_name", max_length=200))
    _put(
        out,
        "billing_provider",
        reader.choice(
            "billing_provider",
            ("aws_marketplace", "azure_marketplace", "gcp_marketplace", "stripe", "netsuite"),
        ),
    )
    _put(
        out,
        "delivery_method",
        reader.choice(
            "delivery_method", ("direct_to_billing_provider", "aws_sqs", "tackle", "aws_sns")
        ),
    )
    _put(out, "duration", _offset(reader, "duration", positive=True))
    _put(
        out,
        "multiplier_override_prioritization",
        reader.choice("multiplier_override_prioritization", ("LOWEST_MULTIPLIER", "EXPLICIT")),
    )
    _put(out, "net_payment_terms_days", _integer(reader, "net_payment_terms_days"))
    _put(
        out,
        "scheduled_charges_on_usage_invoices",
        reader.choice("scheduled_charges_on_usage_invoices", ("ALL",)),
    )
    for key in ("spend_threshold_configuration", "prepaid_balance_threshold_configuration"):
        _put(out, key, _threshold_configuration(reader, key))
    schedule = reader.child("usage_statement_schedule")
    if schedule is not None:
        out["usage_statement_schedule"] = {
            "frequency": schedule.choice("frequency", BILLING_FREQUENCIES, required=True)
        }
        _put(
            out["usage_statement_schedule"],
            "day",
            schedule.choice("day", ("FIRST_OF_MONTH", "CONTRACT_START", "CUSTOM_DATE")),
        )
        _put(
            out["usage_statement_schedule"],
            "invoice_generation_starting_at_offset",
            _offset(schedule, "invoice_generation_starting_at_offset"),
        )
    tiered = any(o["type"] == "TIERED" for o in out.get("overrides", []))
    if tiered and out.get("multiplier_override_prioritization") != "EXPLICIT":
        raise reader.fail(
            "multiplier_override_prioritization", "must be EXPLICIT when tiered overrides are used."
        )
    return out
