from django.apps import AppConfig


class PaymentsConfig(AppConfig):
    name = "payments"

    def ready(self) -> None:
        from invoicing.providers.stripe_webhooks import EVENT_HANDLERS
        from payments import checkout_events, invoice_events

        invoice_events.connect()
        EVENT_HANDLERS.update(checkout_events.HANDLERS)
