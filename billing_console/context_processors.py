from django.conf import settings
from django.http import HttpRequest

from billing_console.roles import can_bill, can_write, is_admin


def console(request: HttpRequest) -> dict:
    user = getattr(request, "user", None)
    authenticated = bool(user and user.is_authenticated)
    return {
        "company_name": settings.COMPANY_NAME,
        "can_write": authenticated and can_write(user),
        "is_admin": authenticated and is_admin(user),
        "can_bill": authenticated and can_bill(user),
    }
