"""The honoured and refused fields of each contract endpoint (billing_console/wire_fields.py):
/v1/contracts/create, /v2/contracts/edit, /v1/contracts/customerCommits/create and
customerCredits/create. Their terms' fragments are in terms.py."""

from billing_console.wire_fields import honour, refuse
from contracts.wire.fields import reporting_terms, services_terms
from contracts.wire.fields.charge_updates import (
    CHARGE_BILLED,
    INVOICE_SCHEDULE_EDITS,
    SCHEDULED_CHARGE_UPDATE,
)
from contracts.wire.fields.hierarchy import CHILD_ACCESS_FIELDS
from contracts.wire.fields.terms import (
    ACCESS_UNIT,
    API,
    BALANCE,
    COMMIT,
    COMMIT_GATE,
    CREATE,
    CREDIT,
    EDIT_ADDS,
    INVOICE_SCHEDULE,
    OVERRIDE,
    PREPAID_THRESHOLD,
    RECURRING_COMMIT,
    RECURRING_CREDIT,
    ROUND_TRIP,
    SCHEDULED_CHARGE,
    SPEND_THRESHOLD,
    SUBS,
    SUBSCRIPTION,
    added,
)

TRIP = "contracts.tests.test_wire_round_trip::"
UPDATES = "contracts.tests.test_wire_round_trip_updates::test_edit_updates_read_back_as_sent"
CUSTOMER_TRIP = TRIP + "test_customer_commit_and_credit_read_back_as_sent"
HIERARCHY_TEST = "contracts.tests.test_hierarchy::"
CHILD = HIERARCHY_TEST + "test_child_contract_names_its_parent_and_the_parent_lists_it"
PROVIDER = (
    "contracts.tests.test_billing_provider::"
    "test_contract_created_with_a_configuration_and_reassigned_after_archive"
)
# A parent, a child whose statements go on its consolidated invoice and one billed apart.
HIERARCHY_BILLED = (
    "invoicing.tests.test_hierarchy_billing::"
    "test_parent_with_a_consolidated_and_a_separate_child_bills_to_the_cent"
)

# -- /v1/contracts/create -------------------------------------------------------------------------
CONTRACT_CREATE = (
    honour(
        CREATE,
        "commits",
        "credits",
        "customer_id",
        "ending_before",
        "name",
        "overrides",
        "rate_card_id",
        "recurring_commits",
        "recurring_credits",
        "scheduled_charges",
        "starting_at",
    )
    + honour(SUBS + "test_create_with_a_subscription_reads_back_as_sent", "subscriptions")
    + honour(
        ROUND_TRIP,
        "custom_fields",
        "multiplier_override_prioritization",
        "net_payment_terms_days",
        "prepaid_balance_threshold_configuration",
        "spend_threshold_configuration",
        "uniqueness_key",
        "usage_filter.starting_at",
    )
    + honour(
        "invoicing.tests.test_literal_pricing::"
        "test_weekly_statements_cut_at_seven_days_and_at_the_contract_end",
        "usage_statement_schedule",
        "usage_statement_schedule.frequency",
    )
    + honour(
        ROUND_TRIP,
        "usage_statement_schedule.day",
        refused_values={
            "CUSTOM_DATE": "is not supported yet: use FIRST_OF_MONTH or CONTRACT_START."
        },
    )
    + honour(
        "invoicing.tests.test_usage_filter::test_usage_is_routed_by_the_filter_in_force",
        "usage_filter",
        "usage_filter.group_key",
        "usage_filter.group_values",
    )
    + honour(
        PROVIDER,
        "billing_provider_configuration",
        "billing_provider_configuration.billing_provider",
        "billing_provider_configuration.billing_provider_configuration_id",
        "billing_provider_configuration.delivery_method",
    )
    + honour(
        CHILD,
        "hierarchy_configuration",
        "hierarchy_configuration.parent",
        "hierarchy_configuration.parent.contract_id",
        "hierarchy_configuration.parent.customer_id",
    )
    + honour(
        HIERARCHY_BILLED,
        "hierarchy_configuration.parent_behavior",
        "hierarchy_configuration.parent_behavior.invoice_consolidation_type",
        "hierarchy_configuration.payer",
        "hierarchy_configuration.usage_statement_behavior",
    )
    + honour(API + "test_contract_from_a_package_takes_its_rate_card_and_terms", "package_id")
    + honour(TRIP + "test_a_contract_names_its_package_by_alias", "package_alias")
    + honour(
        HIERARCHY_TEST + "test_renewal_ends_the_old_contract_where_the_new_one_starts",
        "transition",
        "transition.from_contract_id",
        "transition.type",
    )
    + honour(
        HIERARCHY_TEST + "test_renewal_with_trueup_remove_drops_the_old_contracts_later_true_up",
        "transition.future_invoice_behavior",
        "transition.future_invoice_behavior.trueup",
    )
    + COMMIT.under("commits[]")
    + CREDIT.under("credits[]")
    + OVERRIDE.under("overrides[]")
    + SCHEDULED_CHARGE.under("scheduled_charges[]")
    + RECURRING_COMMIT.under("recurring_commits[]")
    + RECURRING_CREDIT.under("recurring_credits[]")
    + SUBSCRIPTION.under("subscriptions[]")
    + SPEND_THRESHOLD.under("spend_threshold_configuration")
    + PREPAID_THRESHOLD.under("prepaid_balance_threshold_configuration")
    + services_terms.ON_CREATE  # discounts, professional services
    + reporting_terms.ON_CREATE  # spend trackers, reseller royalties
    + honour(
        ROUND_TRIP, "netsuite_sales_order_id", "salesforce_opportunity_id", "total_contract_value"
    )
    + refuse(
        "is not supported yet: this server sends invoices to no revenue system.",
        "revenue_system_configuration",
    )
    + refuse("is not supported yet: name the rate card by rate_card_id.", "rate_card_alias")
    + refuse(
        "is not supported yet: scheduled charges are invoiced apart from usage.",
        "scheduled_charges_on_usage_invoices",
    )
    + refuse(
        "is not supported yet: statements are anchored by day (FIRST_OF_MONTH or CONTRACT_START).",
        "usage_statement_schedule.billing_anchor_date",
    )
    + refuse(
        "is not supported yet: usage statements are generated from the contract's start.",
        "usage_statement_schedule.invoice_generation_starting_at",
    )
)

# -- /v2/contracts/edit -------------------------------------------------------------------------
_COMMIT_UPDATE = (
    honour(
        UPDATES,
        "access_schedule",
        "access_schedule.add_schedule_items",
        "access_schedule.add_schedule_items[].amount",
        "access_schedule.add_schedule_items[].ending_before",
        "access_schedule.add_schedule_items[].starting_at",
        "access_schedule.remove_schedule_items",
        "access_schedule.remove_schedule_items[].id",
        "access_schedule.update_schedule_items",
        "access_schedule.update_schedule_items[].amount",
        "access_schedule.update_schedule_items[].ending_before",
        "access_schedule.update_schedule_items[].id",
        "access_schedule.update_schedule_items[].starting_at",
        "applicable_product_ids",
        "applicable_product_tags",
        "description",
        "name",
        "priority",
        "product_id",
        "rate_type",
    )
    + CHILD_ACCESS_FIELDS
    + honour(UPDATES, "netsuite_sales_order_id")  # null clears it
    + refuse(
        "is not supported yet: a rollover fraction is set when it is created.", "rollover_fraction"
    )
)
_INVOICE_UPDATE = honour(UPDATES, *INVOICE_SCHEDULE_EDITS)
_RECURRING_UPDATE = honour(
    UPDATES,
    "access_amount",
    "access_amount.quantity",
    "access_amount.unit_price",
    "ending_before",
    "proration_rounding",
    "proration_rounding.access",
    "proration_rounding.access.decimal_places",
    "proration_rounding.access.rounding_method",
    "rate_type",
)
_SUBSCRIPTION_UPDATE = (
    honour(
        UPDATES,
        "ending_before",
        "name",
        "proration_rounding",
        "proration_rounding.decimal_places",
        "proration_rounding.rounding_method",
        "quantity_management_mode_update",
        "quantity_management_mode_update.quantity_management_mode",
        "quantity_management_mode_update.seat_config",
        "quantity_management_mode_update.seat_config.seat_group_key",
        "seat_updates.add_unassigned_seats",
        "seat_updates.add_unassigned_seats[].quantity",
        "seat_updates.add_unassigned_seats[].starting_at",
        "seat_updates.remove_unassigned_seats",
        "seat_updates.remove_unassigned_seats[].quantity",
        "seat_updates.remove_unassigned_seats[].starting_at",
    )
    + honour(
        SUBS + "test_add_subscription_by_edit_and_set_then_delta_order",
        "quantity_updates",
        "quantity_updates[].quantity",
        "quantity_updates[].quantity_delta",
        "quantity_updates[].starting_at",
        "subscription_id",
    )
    + honour(
        SUBS + "test_seat_based_subscription_seats_history_and_individual_credits",
        "seat_updates",
        "seat_updates.add_seat_ids",
        "seat_updates.add_seat_ids[].seat_ids",
        "seat_updates.add_seat_ids[].starting_at",
        "seat_updates.remove_seat_ids",
        "seat_updates.remove_seat_ids[].seat_ids",
        "seat_updates.remove_seat_ids[].starting_at",
    )
)
_ADDED_LISTS = (
    "add_commits",
    "add_credits",
    "add_overrides",
    "add_scheduled_charges",
    "add_recurring_commits",
    "add_recurring_credits",
    "add_subscriptions",
    "add_spend_threshold_configuration",
    "add_prepaid_balance_threshold_configuration",
)
CONTRACT_EDIT = (
    honour(
        API + "test_edit_is_recorded_and_idempotent_by_uniqueness_key",
        "contract_id",
        "customer_id",
        "uniqueness_key",
        "update_contract_name",
        "archive_credits",
        "archive_credits[].id",
    )
    + honour(EDIT_ADDS, *_ADDED_LISTS)
    + added(COMMIT, "add_commits[]")
    + refuse(COMMIT_GATE, "add_commits[].payment_gate_config")
    + added(CREDIT, "add_credits[]")
    + added(OVERRIDE, "add_overrides[]")
    + added(SCHEDULED_CHARGE, "add_scheduled_charges[]")
    + added(RECURRING_COMMIT, "add_recurring_commits[]")
    + added(RECURRING_CREDIT, "add_recurring_credits[]")
    + added(SUBSCRIPTION, "add_subscriptions[]")
    + added(SPEND_THRESHOLD, "add_spend_threshold_configuration")
    + added(PREPAID_THRESHOLD, "add_prepaid_balance_threshold_configuration")
    + honour(
        UPDATES,
        "archive_commits",
        "archive_commits[].id",
        "archive_scheduled_charges",
        "archive_scheduled_charges[].id",
        "remove_overrides",
        "remove_overrides[].id",
        "update_commits",
        "update_commits[].commit_id",
        "update_credits",
        "update_credits[].credit_id",
        "update_recurring_commits",
        "update_recurring_commits[].recurring_commit_id",
        "update_recurring_commits[].invoice_amount",
        "update_recurring_commits[].invoice_amount.quantity",
        "update_recurring_commits[].invoice_amount.unit_price",
        "update_recurring_commits[].proration_rounding.invoice",
        "update_recurring_commits[].proration_rounding.invoice.decimal_places",
        "update_recurring_commits[].proration_rounding.invoice.rounding_method",
        "update_recurring_credits",
        "update_recurring_credits[].recurring_credit_id",
        "update_subscriptions",
        "update_contract_end_date",
        "update_net_payment_terms_days",
        "update_spend_threshold_configuration",
        "update_prepaid_balance_threshold_configuration",
    )
    + _COMMIT_UPDATE.under("update_commits[]")
    + _INVOICE_UPDATE.under("update_commits[]")
    + _COMMIT_UPDATE.under("update_credits[]")
    + _RECURRING_UPDATE.under("update_recurring_commits[]")
    + _RECURRING_UPDATE.under("update_recurring_credits[]")
    + _SUBSCRIPTION_UPDATE.under("update_subscriptions[]")
    + SPEND_THRESHOLD.naming(UPDATES).under("update_spend_threshold_configuration")
    + PREPAID_THRESHOLD.naming(UPDATES).under("update_prepaid_balance_threshold_configuration")
    + honour(
        API + "test_end_date_before_a_finalized_invoice_needs_the_flag",
        "allow_contract_ending_before_finalized_invoice",
    )
    + honour(
        PROVIDER,
        "add_billing_provider_configuration_update",
        "add_billing_provider_configuration_update.billing_provider_configuration",
        "add_billing_provider_configuration_update.billing_provider_configuration.billing_provider",
        "add_billing_provider_configuration_update.billing_provider_configuration"
        ".billing_provider_configuration_id",
        "add_billing_provider_configuration_update.billing_provider_configuration.delivery_method",
        "add_billing_provider_configuration_update.schedule",
        "add_billing_provider_configuration_update.schedule.effective_at",
    )
    + refuse(
        "is not supported yet: this server sends invoices to no revenue system.",
        "add_revenue_system_configuration_update",
    )
    + services_terms.ON_EDIT  # add_discounts, add_professional_services
    + reporting_terms.ON_EDIT  # add_ and archive_spend_trackers, add_reseller_royalties
    + honour(CHARGE_BILLED, "update_scheduled_charges")
    + SCHEDULED_CHARGE_UPDATE.under("update_scheduled_charges[]")
)

# -- /v1/contracts/customerCommits/create and customerCredits/create ----------------------------
_CUSTOMER_LEVEL = honour(
    API + "test_customer_level_commits_and_credits", "applicable_contract_ids", "customer_id"
) + honour(CUSTOMER_TRIP, "uniqueness_key", "salesforce_opportunity_id")
CUSTOMER_COMMIT_CREATE = (
    (BALANCE + INVOICE_SCHEDULE).naming(CUSTOMER_TRIP, keep=(ACCESS_UNIT,))
    + _CUSTOMER_LEVEL
    + honour(API + "test_customer_level_commits_and_credits", "invoice_contract_id", "type")
)
CUSTOMER_CREDIT_CREATE = BALANCE.naming(CUSTOMER_TRIP, keep=(ACCESS_UNIT,)) + _CUSTOMER_LEVEL
