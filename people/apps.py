from django.apps import AppConfig


class PeopleConfig(AppConfig):
    """Settings → People: console users, their roles, invitations, and failed sign-ins."""

    name = "people"

    def ready(self) -> None:
        from people import audit

        audit.register()
