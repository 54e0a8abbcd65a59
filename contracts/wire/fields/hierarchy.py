"""Account hierarchy fields of a commit or credit (`hierarchy_configuration.child_access`),
mounted wherever the SDK takes a contract's commit or credit: created, added or updated."""

from billing_console.wire_fields import honour

# Shares a parent's commits with its children, through a create and a v2 edit (add_*, update_*).
CHILD_ACCESS = "contracts.tests.test_hierarchy::test_child_access_reads_back_from_create_and_edit"
CHILD_ACCESS_FIELDS = honour(
    CHILD_ACCESS,
    "hierarchy_configuration",
    "hierarchy_configuration.child_access",
    "hierarchy_configuration.child_access.contract_ids",
    "hierarchy_configuration.child_access.type",
)
