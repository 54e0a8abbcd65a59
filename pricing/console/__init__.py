"""The pricing console (server-rendered Django + htmx): products, rate cards with their in-place
rate editor, and packages. One URL serves a page and its htmx fragment; every change goes through
pricing.services (or pricing.packages).

By concern: `product_views`/`product_forms`, `rate_card_views`/`rate_card_forms` (rate cards and
their rates), `package_views`/`package_forms`; what they share in `view_helpers` and
`form_fields`; the pages' reads in `queries`."""
