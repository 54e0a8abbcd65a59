"""Spend trackers and reseller royalties: their fields as a create (`spend_trackers[]`,
`reseller_royalties[]`) and a v2 edit (`add_spend_trackers[]`, `archive_spend_trackers`,
`add_reseller_royalties[]`) take them, each honoured (naming the test that shows it) or refused
(billing_console/wire_fields.py). The same readers serve both (contracts/terms/spend_trackers.py,
contracts/terms/reseller_royalties.py)."""

from billing_console.wire_fields import honour

TRACKERS = "contracts.tests.test_spend_trackers::"
# Sent through the SDK by a create and a v2 edit, read back by v1 and v2 get and list as sent.
TRACKER_TRIP = TRACKERS + "test_trackers_read_back_from_create_and_edit_as_sent"
# What each specifier counts, to the cent, from the contract's invoices.
ACCUMULATED = TRACKERS + "test_accumulated_spend_counts_commit_purchases_of_the_period_to_the_cent"
ROYALTIES = "contracts.tests.test_reseller_royalties::"
ROYALTY_TRIP = ROYALTIES + "test_royalties_read_back_from_create_and_edit_as_sent"

SPEND_TRACKER = honour(
    TRACKER_TRIP, "alias", "credit_type_id", "applicable_spend_specifiers"
) + honour(
    ACCUMULATED,
    "reset_frequency",
    "applicable_spend_specifiers[].spend_type",
    "applicable_spend_specifiers[].sources",
    "applicable_spend_specifiers[].discounted",
)
# A commit's spend_tracker_attributes (commits[] and add_commits[]): kept, read back, counted.
COMMIT_ATTRIBUTES = honour(
    TRACKER_TRIP, "spend_tracker_attributes", "spend_tracker_attributes.counts_as_discounted"
)
RESELLER_ROYALTY = honour(
    ROYALTY_TRIP,
    "reseller_type",
    "fraction",
    "netsuite_reseller_id",
    "starting_at",
    "ending_before",
    "applicable_product_ids",
    "applicable_product_tags",
    "reseller_contract_value",
    "aws_options",
    "aws_options.aws_account_number",
    "aws_options.aws_offer_id",
    "aws_options.aws_payer_reference_id",
    "gcp_options",
    "gcp_options.gcp_account_id",
    "gcp_options.gcp_offer_id",
)

# -- on /v1/contracts/create and /v2/contracts/edit -------------------------------------------
ON_CREATE = (
    honour(TRACKER_TRIP, "spend_trackers")
    + honour(ROYALTY_TRIP, "reseller_royalties")
    + SPEND_TRACKER.under("spend_trackers[]")
    + RESELLER_ROYALTY.under("reseller_royalties[]")
)
ON_EDIT = (
    honour(TRACKER_TRIP, "add_spend_trackers", "archive_spend_trackers")
    + honour(ROYALTY_TRIP, "add_reseller_royalties")
    + SPEND_TRACKER.under("add_spend_trackers[]")
    + RESELLER_ROYALTY.under("add_reseller_royalties[]")
)
