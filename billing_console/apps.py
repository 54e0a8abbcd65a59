from django.apps import AppConfig


class BillingConsoleConfig(AppConfig):
    name = "billing_console"
    verbose_name = "Billing Console"

    def ready(self) -> None:
        from billing_console import schema  # noqa: F401  (registers the OpenAPI auth extension)
