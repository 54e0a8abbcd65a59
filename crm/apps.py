from django.apps import AppConfig


class CrmConfig(AppConfig):
    name = "crm"
    verbose_name = "CRM sync"

    def ready(self) -> None:
        from crm import hooks

        hooks.connect()
