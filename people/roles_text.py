"""Console roles (billing_console.roles: Django groups) as people name them."""

from billing_console.roles import ADMIN, ALL_ROLES, DEAL_DESK, FINANCE, READ_ONLY

ROLE_LABELS = {ADMIN: "Admin", FINANCE: "Finance", DEAL_DESK: "Deal desk", READ_ONLY: "Read only"}
ROLE_CHOICES = [(role, ROLE_LABELS[role]) for role in ALL_ROLES]
ROLE_HELP = {
    ADMIN: "everything, including people, API tokens and billing providers",
    FINANCE: "what deal desk does, plus invoices, reports and how customers are billed",
    DEAL_DESK: "customers, contracts, pricing and alerts",
    READ_ONLY: "sees everything, changes nothing",
}


def role_label(name: str) -> str:
    """A role's label; a group that is not a console role keeps its own name."""
    return ROLE_LABELS.get(name, name)


def roles_text(names: list[str] | set[str] | tuple[str, ...]) -> str:
    """ "Admin" or "Finance, Read only" (console roles first, in their order); "" for none."""
    order = {role: i for i, role in enumerate(ALL_ROLES)}
    ordered = sorted(names, key=lambda n: (order.get(n, len(order)), n))
    return ", ".join(role_label(n) for n in ordered)
