"""The honoured and refused fields of the catalog creates (billing_console/wire_fields.py):
/v1/contract-pricing/products/create, rate-cards/create and rate-cards/addRate."""

from billing_console.wire_fields import honour, refuse

API = "pricing.tests.test_api::"
TRIP = "pricing.tests.test_wire_round_trip::"
PRODUCT_TRIP = TRIP + "test_product_create_reads_back_as_sent"

PRODUCT_CREATE = (
    honour(
        API + "test_product_create_get_list_archive",
        "billable_metric_id",
        "name",
        "netsuite_internal_item_id",
        "pricing_group_key",
        "quantity_conversion",
        "quantity_conversion.conversion_factor",
        "quantity_conversion.operation",
        "quantity_rounding",
        "quantity_rounding.rounding_method",
        "tags",
        "type",
    )
    + honour(
        PRODUCT_TRIP,
        "composite_product_ids",
        "composite_tags",
        "custom_fields",
        # A composite is a percentage of the other lines' spend (invoicing/composite.py): a $0
        # product adds $0 to it, so leaving free products out bills the same either way.
        "exclude_free_usage",
        "is_refundable",
        "netsuite_overage_item_id",
        "presentation_group_key",
        "quantity_conversion.name",
        "quantity_rounding.decimal_places",
    )
    + refuse(
        "is not supported yet: a composite is computed over the other products' charges only.",
        "include_composite_spend",
    )
    + refuse(
        "is not supported yet: SQL billable metrics are broken down by the statement period.",
        "sql_breakdown_granularity",
    )
)

RATE_CARD_CREATE = honour(
    API + "test_rate_card_create_get_list_update_archive",
    "aliases",
    "aliases[].name",
    "aliases[].starting_at",
    "credit_type_conversions",
    "credit_type_conversions[].custom_credit_type_id",
    "credit_type_conversions[].fiat_per_custom_credit",
    "description",
    "name",
) + honour(
    TRIP + "test_rate_card_create_reads_back_as_sent",
    "aliases[].ending_before",
    "custom_fields",
    "fiat_credit_type_id",
)

RATE_ADD = (
    honour(
        API + "test_add_rate_returns_the_rate",
        "commit_rate",
        "commit_rate.price",
        "price",
        "product_id",
        "rate_card_id",
        "rate_type",
    )
    + honour(API + "test_rate_with_custom_credit_type_needs_a_conversion", "credit_type_id")
    + honour(
        TRIP + "test_add_rate_reads_back_as_sent",
        "billing_frequency",
        "commit_rate.rate_type",
        "commit_rate.tiers",
        "commit_rate.tiers[].price",
        "commit_rate.tiers[].size",
        "custom_rate",
        "ending_before",
        "entitled",
        "is_prorated",
        "pricing_group_values",
        "quantity",
        "starting_at",
        "tiers",
        "tiers[].price",
        "tiers[].size",
    )
)
