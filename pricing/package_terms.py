"""Package terms: every field of a /v1/packages/create body but those the package row holds,
validated and normalised (commits, credits, scheduled charges, subscriptions, spend trackers,
threshold configurations, schedule), with errors naming the path."""

from decimal import Decimal
from typing import Any

from billing_console.wire import Reader
from pricing.models import RateCard
from pricing.package_fields import (
    RATE_TYPES,
    TermIds,
    put,
    read_credit_type_id,
    read_integer,
    read_number,
    read_offset,
    read_product_id,
    read_product_ids,
    read_rounding,
)
from pricing.package_overrides import override_terms
from pricing.package_recurring import recurring_terms
from pricing.wire_input import BILLING_FREQUENCIES, credit_type_ref, product_ref


class _TermsReader(TermIds):
    """Validates a package's terms; remembers temporary ids so overrides and recurring commits
    can refer to commits and subscriptions of the same body."""

    def commit(self, reader: Reader, *, credit: bool) -> dict[str, Any]:
        out: dict[str, Any] = {"product_id": read_product_id(reader, "product_id")}
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
                    "amount": read_number(item, "amount", required=True, minimum=Decimal(0)),
                    "starting_at_offset": read_offset(item, "starting_at_offset", required=True),
                    "duration": read_offset(item, "duration", required=True, positive=True),
                }
                for item in items
            ]
        }
        put(
            out["access_schedule"],
            "access_type",
            access.choice("access_type", ("SPEND", "QUANTITY")),
        )
        put(out["access_schedule"], "credit_type_id", read_credit_type_id(access, "credit_type_id"))
        if not credit:
            self._invoice_schedule(reader, out)
            put(
                out,
                "rollover_fraction",
                read_number(reader, "rollover_fraction", minimum=Decimal(0), maximum=Decimal(1)),
            )
        self.applicability(reader, out)
        put(out, "custom_fields", reader.str_map("custom_fields") or None)
        put(out, "description", reader.str("description"))
        put(out, "name", reader.str("name", max_length=200))
        put(out, "priority", read_number(reader, "priority"))
        put(out, "rate_type", reader.choice("rate_type", RATE_TYPES))
        if not credit:
            put(out, "temporary_id", self.temporary_id(reader, self.commit_ids))
        return out

    def _invoice_schedule(self, reader: Reader, out: dict[str, Any]) -> None:
        invoice = reader.child("invoice_schedule")
        if invoice is None:
            if out["type"] == "POSTPAID":
                raise reader.fail("invoice_schedule", "is required for a POSTPAID commit.")
            return
        items = invoice.children("schedule_items", required=True)
        schedule: dict[str, Any] = {"schedule_items": [self._charge_item(item) for item in items]}
        put(schedule, "credit_type_id", read_credit_type_id(invoice, "credit_type_id"))
        put(schedule, "do_not_invoice", invoice.bool("do_not_invoice"))
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
            "date_offset": read_offset(item, "date_offset", required=True),
            "quantity": read_number(item, "quantity", required=True, minimum=Decimal(0)),
            "unit_price": read_number(item, "unit_price", required=True, minimum=Decimal(0)),
        }

    def scheduled_charge(self, reader: Reader) -> dict[str, Any]:
        out: dict[str, Any] = {"product_id": read_product_id(reader, "product_id")}
        schedule = reader.child("schedule", required=True)
        assert schedule is not None
        items = schedule.children("schedule_items", required=True)
        if not items:
            raise schedule.fail("schedule_items", "needs at least one item.")
        out["schedule"] = {"schedule_items": [self._charge_item(item) for item in items]}
        put(out["schedule"], "credit_type_id", read_credit_type_id(schedule, "credit_type_id"))
        put(out, "name", reader.str("name", max_length=200))
        put(out, "custom_fields", reader.str_map("custom_fields") or None)
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
        put(
            out["proration"],
            "invoice_behavior",
            proration.choice(
                "invoice_behavior", ("BILL_IMMEDIATELY", "BILL_ON_NEXT_COLLECTION_DATE")
            ),
        )
        put(out["proration"], "is_prorated", proration.bool("is_prorated"))
        put(out["proration"], "rounding", read_rounding(proration, "rounding"))
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
        put(out, "quantity_management_mode", mode)
        quantity = read_number(
            reader, "initial_quantity", minimum=Decimal(0), required=mode != "SEAT_BASED"
        )
        put(out, "initial_quantity", quantity)
        seats = reader.child("seat_config", required=mode == "SEAT_BASED")
        if seats is not None:
            out["seat_config"] = {"seat_group_key": seats.str("seat_group_key", required=True)}
            put(
                out["seat_config"],
                "initial_unassigned_seats",
                read_number(seats, "initial_unassigned_seats", minimum=Decimal(0)),
            )
        billing = reader.child("billing_cycle_config")
        if billing is not None:
            out["billing_cycle_config"] = {}
            put(
                out["billing_cycle_config"],
                "invoice_placement",
                billing.choice("invoice_placement", ("ON_SCHEDULED_INVOICE", "ON_USAGE_INVOICE")),
            )
        put(out, "starting_at_offset", read_offset(reader, "starting_at_offset"))
        put(out, "duration", read_offset(reader, "duration", positive=True))
        put(out, "name", reader.str("name", max_length=200))
        put(out, "description", reader.str("description"))
        put(out, "custom_fields", reader.str_map("custom_fields") or None)
        put(out, "temporary_id", self.temporary_id(reader, self.subscription_ids))
        return out

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
            put(
                spec,
                "discounted",
                item.choice("discounted", ("ANY", "DISCOUNTED_ONLY", "UNDISCOUNTED_ONLY")),
            )
            specifiers.append(spec)
        return {
            "alias": reader.str("alias", required=True, max_length=200),
            "applicable_spend_specifiers": specifiers,
            "credit_type_id": read_credit_type_id(reader, "credit_type_id", required=True),
            "reset_frequency": reader.choice("reset_frequency", ("BILLING_PERIOD",), required=True),
        }


def _threshold_configuration(reader: Reader, key: str) -> dict[str, Any] | None:
    child = reader.child(key)
    if child is None:
        return None
    commit = child.child("commit", required=True)
    assert commit is not None
    product_ref(commit, "product_id")
    read_product_ids(commit, "applicable_product_ids")
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
    put(
        out,
        "subscriptions",
        [terms.subscription(item) for item in reader.children("subscriptions")],
    )
    put(out, "commits", [terms.commit(item, credit=False) for item in reader.children("commits")])
    put(out, "credits", [terms.commit(item, credit=True) for item in reader.children("credits")])
    put(
        out,
        "recurring_commits",
        [
            recurring_terms(terms, item, credit=False)
            for item in reader.children("recurring_commits")
        ],
    )
    put(
        out,
        "recurring_credits",
        [
            recurring_terms(terms, item, credit=True)
            for item in reader.children("recurring_credits")
        ],
    )
    put(out, "overrides", [override_terms(terms, item) for item in reader.children("overrides")])
    put(
        out,
        "scheduled_charges",
        [terms.scheduled_charge(item) for item in reader.children("scheduled_charges")],
    )
    put(
        out,
        "spend_trackers",
        [terms.spend_tracker(item) for item in reader.children("spend_trackers")],
    )
    put(
        out,
        "rate_card_alias",
        reader.str("rate_card_alias") if reader.has("rate_card_alias") else None,
    )
    put(out, "contract_name", reader.str("contract_name", max_length=200))
    put(
        out,
        "billing_provider",
        reader.choice(
            "billing_provider",
            ("aws_marketplace", "azure_marketplace", "gcp_marketplace", "stripe", "netsuite"),
        ),
    )
    put(
        out,
        "delivery_method",
        reader.choice(
            "delivery_method", ("direct_to_billing_provider", "aws_sqs", "tackle", "aws_sns")
        ),
    )
    put(out, "duration", read_offset(reader, "duration", positive=True))
    put(
        out,
        "multiplier_override_prioritization",
        reader.choice("multiplier_override_prioritization", ("LOWEST_MULTIPLIER", "EXPLICIT")),
    )
    put(out, "net_payment_terms_days", read_integer(reader, "net_payment_terms_days"))
    put(
        out,
        "scheduled_charges_on_usage_invoices",
        reader.choice("scheduled_charges_on_usage_invoices", ("ALL",)),
    )
    for key in ("spend_threshold_configuration", "prepaid_balance_threshold_configuration"):
        put(out, key, _threshold_configuration(reader, key))
    schedule = reader.child("usage_statement_schedule")
    if schedule is not None:
        out["usage_statement_schedule"] = {
            "frequency": schedule.choice("frequency", BILLING_FREQUENCIES, required=True)
        }
        put(
            out["usage_statement_schedule"],
            "day",
            schedule.choice("day", ("FIRST_OF_MONTH", "CONTRACT_START", "CUSTOM_DATE")),
        )
        put(
            out["usage_statement_schedule"],
            "invoice_generation_starting_at_offset",
            read_offset(schedule, "invoice_generation_starting_at_offset"),
        )
    tiered = any(o["type"] == "TIERED" for o in out.get("overrides", []))
    if tiered and out.get("multiplier_override_prioritization") != "EXPLICIT":
        raise reader.fail(
            "multiplier_override_prioritization", "must be EXPLICIT when tiered overrides are used."
        )
    return out
