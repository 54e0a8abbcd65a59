"""The pricing console (server-rendered Django + htmx): products and rate cards with their
in-place rate editor. One URL serves a page and its htmx fragment; every change goes through
pricing.services.

By concern: `product_views`/`product_forms`, `rate_card_views`/`rate_card_forms` (rate cards and
their rates); what they share in `view_helpers` and `form_fields`; the pages' reads in `queries`.

The package pages are contracts.console.package_views (their item forms are the contract page's
forms, and pricing imports no contracts code); the package's own fields (`package_forms`) and
offsets as words (`package_offsets`) stay here."""
