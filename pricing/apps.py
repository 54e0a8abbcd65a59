from django.apps import AppConfig


class PricingConfig(AppConfig):
    name = "pricing"

    def ready(self) -> None:
        from pricing import package_custom_fields

        package_custom_fields.register()  # custom fields on package items
