"""The console's top menu (templates/base.html): five groups of links, and which link and group
the page belongs to, found by the longest path prefix (so /settings/billing-providers/ is
"Billing providers", not "General")."""

from dataclasses import dataclass

from django import template
from django.urls import reverse

register = template.Library()

# group -> its links: (label, URL name, the paths it stands for, for admins only)
GROUPS = (
    ("Customers", (("Customers", "customers:customer-list", ("/customers/",), False),)),
    ("Catalog", (
        ("Products", "pricing:product-list", ("/products/",), False),
        ("Rate cards", "pricing:rate-card-list", ("/rate-cards/",), False),
        ("Packages", "contracts:package-list", ("/packages/",), False),
        ("Billable metrics", "usage:metric-list", ("/billable-metrics/",), False),
    )),
    ("Billing", (
        ("Contracts", "contracts:contract-list", ("/contracts/",), False),
        ("Invoices", "invoicing:invoice-list", ("/invoices/",), False),
        ("Alerts", "alerts:alert-list", ("/alerts/",), False),
    )),
    ("Insights", (
        ("Reports", "reports:report-list", ("/reports/", "/exports/"), False),
        ("Usage events", "usage:event-list", ("/events/",), False),
        ("Audit log", "reports:audit-list", ("/audit-log/",), False),
    )),
    ("Settings", (
        ("General", "settings", ("/settings/",), True),
        ("People", "people:people", ("/settings/people/",), True),
        ("Billing providers", "billing-provider-list", ("/settings/billing-providers/",), True),
        ("Salesforce", "crm:salesforce-settings", ("/settings/salesforce/",), True),
        ("Salesforce sync log", "crm:sync-log", ("/settings/salesforce/sync-log/",), False),
        ("Embeds", "embeds:frame-origins", ("/settings/embeds/",), True),
        ("Webhooks", "webhooks:endpoint-list", ("/webhooks/",), False),
        ("API docs", "api-docs", (), False),
        ("Your profile", "profile", ("/settings/profile/",), False),
    )),
)  # fmt: skip


@dataclass(frozen=True)
class NavLink:
    label: str
    url: str
    current: bool


@dataclass(frozen=True)
class NavGroup:
    label: str
    links: tuple[NavLink, ...]
    current: bool


def _current_url_name(path: str) -> str | None:
    best, best_length = None, 0
    for _group, links in GROUPS:
        for _label, url_name, prefixes, _admin in links:
            for prefix in prefixes:
                if path.startswith(prefix) and len(prefix) > best_length:
                    best, best_length = url_name, len(prefix)
    return best


@register.simple_tag(takes_context=True)
def console_nav(context) -> list[NavGroup]:
    """The groups the user may see, each link and group marked current or not."""
    request = context.get("request")
    current = _current_url_name(request.path if request else "")
    groups = []
    for group, links in GROUPS:
        shown = tuple(
            NavLink(label, reverse(url_name), url_name == current)
            for label, url_name, _prefixes, admin_only in links
            if context.get("is_admin") or not admin_only
        )
        if shown:
            groups.append(NavGroup(group, shown, any(link.current for link in shown)))
    return groups
