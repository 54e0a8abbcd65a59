"""Every field of the contract terms the SDK sends (commits, credits, overrides, charges,
recurring commits and credits, subscriptions, thresholds): honoured, naming the test that shows
it, or refused with a 400 naming it (billing_console/wire_fields.py). The endpoints' lists are
in contracts/wire_fields/__init__.py; contracts/tests/test_no_silent_drop.py checks them
against the SDK's request types.

A term's fragment is written once and mounted where the SDK takes it (`commits[]` of a create,
`add_commits[]` of an edit, ...): the same reader (contracts/terms.py, recurring.py, ...) reads
it in every place.
"""

from billing_console.wire_fields import Fields, honour, refuse
from contracts.wire.fields.hierarchy import CHILD_ACCESS, CHILD_ACCESS_FIELDS
from contracts.wire.fields.reporting_terms import COMMIT_ATTRIBUTES, TRACKER_TRIP

# -- the tests that show a field ----------------------------------------------------------------
API = "contracts.tests.test_api::"
CREATE = API + "test_create_reads_back_every_term_as_sent"
ROUND_TRIP = "contracts.tests.test_wire_round_trip::test_contract_create_reads_back_as_sent"
EDIT_ADDS = "contracts.tests.test_wire_round_trip::test_edit_adds_every_term_as_create_does"
TERMS_API = "contracts.tests.test_pricing_terms_api::"
COMMIT_SPECIFIC = TERMS_API + "test_commit_specific_override_reads_back_as_sent"  # create, edit
ACCESS_UNIT = TERMS_API + "test_access_schedule_credit_type_reads_back"  # create, edit, customer
RECURRING_UNIT = TERMS_API + "test_recurring_custom_unit_is_the_issued_commits_unit"  # both
BILLED = "invoicing.tests.test_pricing_terms::"
LITERAL = "invoicing.tests.test_literal_pricing::"
SUBS = "contracts.tests.test_subscriptions::"
THRESHOLDS = "invoicing.tests.test_thresholds::"
GATE = "invoicing.tests.test_stripe_payments::"
# Tests that send the field through both a create and a v2 edit: they stay named under add_*.
BOTH_WAYS = (COMMIT_SPECIFIC, ACCESS_UNIT, RECURRING_UNIT, CHILD_ACCESS, TRACKER_TRIP)

# -- why a field is refused (the 400 reads "<path>: <why>") -------------------------------------
HIERARCHY = "is not supported yet: a recurring item's commits are not shared with child contracts."
DISCOUNT_CAP = "is not supported yet: spend trackers are reported, but no cap stops a discount."
SCHEDULE_UNIT = "is not supported yet: schedules are in the contract's fiat credit type."
RECURRING_SCHEDULE = "is not supported yet: give the schedule as schedule_items."
DEPRECATED_AMOUNT = "is not supported: give the amount in access_schedule and invoice_schedule."
NOT_INVOICED_CHARGE = "is not supported yet: every scheduled charge is invoiced."
COMMIT_GATE = "is not supported yet: only threshold charges have a payment gate."
THRESHOLD_UNIT = "is not supported yet: thresholds are in the contract's fiat credit type."
PRECALCULATED_TAX = "is not supported yet: threshold invoices carry no precalculated tax."
TAX_TYPES = {
    "ANROK": "is not supported yet: use NONE or STRIPE.",
    "PRECALCULATED": "is not supported yet: use NONE or STRIPE.",
}
STRIPE_PAYMENT_TYPES = {
    "PAYMENT_INTENT": "is not supported yet: gated charges are collected by a Stripe invoice."
}
SPECIFIER_FREQUENCY = "is not supported on specifiers: an override matches products and values."
OVERWRITE_UNIT = "is not supported: an overwrite keeps the rate's credit type."

# -- fragments ----------------------------------------------------------------------------------
SPECIFIERS = honour(
    ROUND_TRIP,
    "specifiers",
    "specifiers[].presentation_group_values",
    "specifiers[].product_id",
    "specifiers[].product_tags",
) + honour(
    LITERAL + "test_prepaid_commit_with_a_region_specifier_draws_only_that_regions_usage",
    "specifiers[].pricing_group_values",
)
ACCESS_SCHEDULE = (
    honour(
        CREATE,
        "access_schedule",
        "access_schedule.schedule_items",
        "access_schedule.schedule_items[].amount",
        "access_schedule.schedule_items[].ending_before",
        "access_schedule.schedule_items[].starting_at",
    )
    # SPEND is the only access built: QUANTITY is refused by the reader (test_pricing_terms_api).
    + honour(ROUND_TRIP, "access_schedule.access_type")
    + honour(ACCESS_UNIT, "access_schedule.credit_type_id")
)
# What commits and credits share on a contract and at customer level.
BALANCE = (
    ACCESS_SCHEDULE
    + SPECIFIERS
    + honour(CREATE, "name", "priority", "product_id", "applicable_product_tags")
    + honour(ROUND_TRIP, "applicable_product_ids", "custom_fields", "description")
    + honour(BILLED + "test_tiered_commit_rate_pays_by_tier_and_the_rest_is_at_list", "rate_type")
    + honour(ROUND_TRIP, "netsuite_sales_order_id")  # kept and read back (terms/external_ids.py)
)
INVOICE_SCHEDULE = (
    honour(
        CREATE,
        "invoice_schedule",
        "invoice_schedule.schedule_items",
        "invoice_schedule.schedule_items[].amount",
        "invoice_schedule.schedule_items[].timestamp",
    )
    + honour(
        ROUND_TRIP,
        "invoice_schedule.do_not_invoice",
        "invoice_schedule.schedule_items[].quantity",
        "invoice_schedule.schedule_items[].unit_price",
    )
    + refuse(SCHEDULE_UNIT, "invoice_schedule.credit_type_id")
    + refuse(RECURRING_SCHEDULE, "invoice_schedule.recurring_schedule")
)
ON_CONTRACT = (
    honour(
        "contracts.tests.test_ledger::test_rollover_moves_a_fraction_to_the_next_segment",
        "rollover_fraction",
    )
    + CHILD_ACCESS_FIELDS
)
COMMIT = (
    BALANCE
    + INVOICE_SCHEDULE
    + ON_CONTRACT
    + honour(CREATE, "type")
    + honour(COMMIT_SPECIFIC, "temporary_id")
    + refuse(DEPRECATED_AMOUNT, "amount")
    + COMMIT_ATTRIBUTES  # spend_tracker_attributes: stored, counted by spend trackers
)
CREDIT = BALANCE + ON_CONTRACT

OVERRIDE = (
    honour(
        CREATE,
        "multiplier",
        "override_specifiers",
        "override_specifiers[].pricing_group_values",
        "override_specifiers[].product_id",
        "type",
    )
    + honour(
        ROUND_TRIP,
        "applicable_product_tags",
        "entitled",
        "starting_at",
        "override_specifiers[].product_tags",
        "overwrite_rate.custom_rate",
        "overwrite_rate.is_prorated",
        "overwrite_rate.quantity",
        "priority",
        "product_id",
    )
    + honour(
        "invoicing.tests.test_rate_schedule::test_rate_schedule_applies_overrides_segment_by_segment",
        "ending_before",
        "overwrite_rate",
        "overwrite_rate.price",
        "overwrite_rate.rate_type",
    )
    + honour(
        "contracts.tests.test_wire_round_trip::test_a_tiered_overwrite_bills_its_tiers",
        "overwrite_rate.tiers",
        "overwrite_rate.tiers[].price",
        "overwrite_rate.tiers[].size",
    )
    + honour(COMMIT_SPECIFIC, "is_commit_specific", "target")
    + honour(
        BILLED + "test_commit_specific_override_applies_only_to_the_commits_it_names",
        "override_specifiers[].commit_ids",
    )
    + honour(
        BILLED + "test_recurring_commit_ids_name_the_commits_a_recurring_commit_issued",
        "override_specifiers[].recurring_commit_ids",
    )
    + honour(
        BILLED + "test_any_commit_or_credit_ids_names_a_credit",
        "override_specifiers[].any_commit_or_credit_ids",
    )
    + honour(
        BILLED + "test_override_on_presentation_group_values_prices_only_that_line",
        "override_specifiers[].presentation_group_values",
    )
    + honour(
        LITERAL + "test_tiered_override_applies_multipliers_by_quantity_to_a_flat_price",
        "tiers",
        "tiers[].multiplier",
        "tiers[].size",
    )
    + refuse(SPECIFIER_FREQUENCY, "override_specifiers[].billing_frequency")
    + refuse(OVERWRITE_UNIT, "overwrite_rate.credit_type_id")
)

SCHEDULED_CHARGE = (
    honour(
        CREATE,
        "name",
        "product_id",
        "schedule",
        "schedule.schedule_items",
        "schedule.schedule_items[].quantity",
        "schedule.schedule_items[].unit_price",
    )
    + honour(
        ROUND_TRIP,
        "custom_fields",
        "schedule.schedule_items[].amount",
        "schedule.schedule_items[].timestamp",
    )
    + honour(ROUND_TRIP, "netsuite_sales_order_id")
    + refuse(SCHEDULE_UNIT, "schedule.credit_type_id")
    + refuse(NOT_INVOICED_CHARGE, "schedule.do_not_invoice")
    + refuse(RECURRING_SCHEDULE, "schedule.recurring_schedule")
)

_SUBSCRIPTION_CONFIG = (
    "subscription_config",
    "subscription_config.allocation",
    "subscription_config.apply_seat_increase_config",
    "subscription_config.apply_seat_increase_config.is_prorated",
    "subscription_config.subscription_id",
)
_RECURRING = (
    honour(
        CREATE,
        "access_amount",
        "access_amount.quantity",
        "access_amount.unit_price",
        "commit_duration",
        "commit_duration.value",
        "ending_before",
        "name",
        "priority",
        "product_id",
        "proration",
        "rate_type",
        "recurrence_frequency",
        "starting_at",
    )
    + honour(
        ROUND_TRIP,
        "access_amount.access_type",
        "commit_duration.unit",
        "applicable_product_ids",
        "applicable_product_tags",
        "description",
        "proration_rounding",
        "proration_rounding.access",
        "proration_rounding.access.decimal_places",
        "proration_rounding.access.rounding_method",
        "rollover_fraction",
        "specifiers",
        "specifiers[].presentation_group_values",
        "specifiers[].pricing_group_values",
        "specifiers[].product_id",
        "specifiers[].product_tags",
    )
    + honour(RECURRING_UNIT, "access_amount.credit_type_id")
    + refuse(HIERARCHY, "hierarchy_configuration")
    + honour(ROUND_TRIP, "netsuite_sales_order_id")  # passed down to the commits it issues
)
RECURRING_COMMIT = (
    _RECURRING
    + honour(
        CREATE,
        "invoice_amount",
        "invoice_amount.credit_type_id",
        "invoice_amount.unit_price",
    )
    + honour(
        ROUND_TRIP,
        "invoice_amount.quantity",
        "proration_rounding.invoice",
        "proration_rounding.invoice.decimal_places",
        "proration_rounding.invoice.rounding_method",
    )
    + honour(COMMIT_SPECIFIC, "temporary_id")
    + honour(ROUND_TRIP, *_SUBSCRIPTION_CONFIG)
)
RECURRING_CREDIT = (
    _RECURRING
    + honour(ROUND_TRIP, "temporary_id")
    + honour(SUBS + "test_pooled_recurring_credit_scales_with_seats", *_SUBSCRIPTION_CONFIG)
)

SUBSCRIPTION = (
    honour(
        SUBS + "test_create_with_a_subscription_reads_back_as_sent",
        "collection_schedule",
        "description",
        "name",
        "proration",
        "proration.invoice_behavior",
        "proration.is_prorated",
        "subscription_rate",
        "subscription_rate.billing_frequency",
        "subscription_rate.product_id",
    )
    + honour(SUBS + "test_quantity_update_mid_month_and_history", "initial_quantity")
    + honour(
        SUBS + "test_seat_based_subscription_seats_history_and_individual_credits",
        "quantity_management_mode",
        "seat_config",
        "seat_config.initial_seat_ids",
        "seat_config.initial_unassigned_seats",
        "seat_config.seat_group_key",
    )
    + honour(SUBS + "test_pooled_recurring_credit_scales_with_seats", "temporary_id")
    + honour(
        ROUND_TRIP,
        "billing_cycle_config",
        "custom_fields",
        "billing_cycle_config.anchor_date",
        "billing_cycle_config.invoice_placement",
        "ending_before",
        "proration.rounding",
        "proration.rounding.decimal_places",
        "proration.rounding.rounding_method",
        "starting_at",
    )
)

# Threshold configurations: stored whole and read back as sent (ROUND_TRIP); the billing tests
# build them through contract_create too.


def _payment_gate(gated: str, stripe: str) -> Fields:
    """payment_gate_config of a threshold: `gated` shows a gate holding the charge until paid,
    `stripe` the Stripe invoice's metadata and tax."""
    return (
        honour(gated, "payment_gate_config", "payment_gate_config.payment_gate_type")
        + honour(
            stripe,
            "payment_gate_config.stripe_config",
            "payment_gate_config.stripe_config.invoice_metadata",
        )
        + honour(
            stripe,
            "payment_gate_config.stripe_config.payment_type",
            refused_values=STRIPE_PAYMENT_TYPES,
        )
        + honour(stripe, "payment_gate_config.tax_type", refused_values=TAX_TYPES)
        + refuse(PRECALCULATED_TAX, "payment_gate_config.precalculated_tax_config")
    )


_THRESHOLD = (
    honour(ROUND_TRIP, "commit.description", "commit.priority", "discount_configuration")
    + honour(ROUND_TRIP, "discount_configuration.payment_fraction")
    + refuse(DISCOUNT_CAP, "discount_configuration.cap")
)
SPEND_THRESHOLD = (
    _THRESHOLD
    # The Stripe side reads a spend charge's gate as a recharge's (stripe_invoices._payment_gate).
    + _payment_gate(THRESHOLDS + "test_gated_spend_threshold_draws_only_once_paid", ROUND_TRIP)
    + honour(
        THRESHOLDS + "test_spend_threshold_issues_one_invoice_and_zeroes_outstanding_spend",
        "commit",
        "commit.name",
        "commit.product_id",
        "is_enabled",
        "threshold_amount",
    )
)
PREPAID_THRESHOLD = (
    _THRESHOLD
    + _payment_gate(
        THRESHOLDS + "test_gated_recharge_is_unusable_until_paid",
        GATE + "test_the_payment_gate_adds_its_invoice_metadata_and_stripe_tax",
    )
    + honour(
        THRESHOLDS + "test_auto_recharge_tops_up_to_target_once",
        "commit",
        "commit.name",
        "commit.product_id",
        "is_enabled",
        "recharge_to_amount",
        "threshold_amount",
    )
    + honour(
        ROUND_TRIP,
        "commit.applicable_product_ids",
        "commit.applicable_product_tags",
        "commit.duration",
        "commit.duration.unit",
        "commit.duration.value",
        "commit.rate_type",
        "commit.rollover_fraction",
        "commit.specifiers",
        "commit.specifiers[].presentation_group_values",
        "commit.specifiers[].pricing_group_values",
        "commit.specifiers[].product_id",
        "commit.specifiers[].product_tags",
        "threshold_balance_specifiers",
        "threshold_balance_specifiers[].exclude",
        "threshold_balance_specifiers[].exclude[].custom_field_filters",
        "threshold_balance_specifiers[].exclude[].custom_field_filters[].entity",
        "threshold_balance_specifiers[].exclude[].custom_field_filters[].key",
        "threshold_balance_specifiers[].exclude[].custom_field_filters[].value",
    )
    + refuse(THRESHOLD_UNIT, "custom_credit_type_id")
)


def added(fields: Fields, prefix: str) -> Fields:
    """A create's fragment as a v2 edit takes it under `prefix` (add_commits[], ...): shown by
    EDIT_ADDS (the same terms added by an edit read back as the create's), except where the
    named test already sends it both ways."""
    return fields.naming(EDIT_ADDS, keep=BOTH_WAYS).under(prefix)
