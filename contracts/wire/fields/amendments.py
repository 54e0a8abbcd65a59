"""The honoured and refused fields of /v1/contracts/amend (contracts.terms.amendments).

An amendment's terms are a v2 edit's added terms under their v1 names (`commits` is
`add_commits`, ...), read by the same readers: each term field answers as the edit's does, and
names the test that shows it there. The amendment's own fields are below.
"""

from billing_console.wire_fields import Fields, Honoured, honour, refuse
from contracts.wire.fields import CONTRACT_EDIT

AMEND_TEST = "contracts.tests.test_amendments::"
BILLED = AMEND_TEST + "test_amendment_adds_a_commit_and_an_override_billed_on_the_next_draft"
# The amendment's term lists and the v2 edit's keys they are read as.
TERMS = {
    "commits": "add_commits",
    "credits": "add_credits",
    "overrides": "add_overrides",
    "scheduled_charges": "add_scheduled_charges",
    "discounts": "add_discounts",
    "professional_services": "add_professional_services",
    "reseller_royalties": "add_reseller_royalties",
}
NOT_ON_AMEND = ("add_commits[].payment_gate_config",)  # the edit has it, the amend has not


def _renamed(edit_key: str, key: str) -> Fields:
    def mine(path: str) -> bool:
        under = path == edit_key or path.startswith((f"{edit_key}[]", f"{edit_key}."))
        return under and not path.startswith(NOT_ON_AMEND)

    honoured: dict[str, Honoured] = {
        key + p[len(edit_key) :]: e for p, e in CONTRACT_EDIT.honoured.items() if mine(p)
    }
    refused = {key + p[len(edit_key) :]: w for p, w in CONTRACT_EDIT.refused.items() if mine(p)}
    return Fields(honoured, refused)


def _terms() -> Fields:
    fields = Fields()
    for key, edit_key in TERMS.items():
        fields = fields + _renamed(edit_key, key)
    return fields


CONTRACT_AMEND = (
    _terms()
    + honour(BILLED, "contract_id", "customer_id", "starting_at")
    + honour(
        AMEND_TEST + "test_amendment_reads_back_its_external_ids",
        "netsuite_sales_order_id",
        "salesforce_opportunity_id",
    )
    + refuse(
        "is not supported yet: an amendment's custom fields cannot be read back; "
        "set them on its terms.",
        "custom_fields",
    )
    + refuse(
        "is not supported yet: the contract's total value is set when it is created.",
        "total_contract_value",
    )
)
