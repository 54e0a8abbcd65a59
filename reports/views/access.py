"""Who may look: any console role (read-only included) or a superuser; a signed-in user with
no role (an outsider) may not read the audit log or take data out."""

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.core.exceptions import PermissionDenied

from billing_console.roles import user_roles

NO_ROLE = "Your account has no console role."


def require_viewer(user: AbstractBaseUser | AnonymousUser) -> None:
    if getattr(user, "is_superuser", False) or user_roles(user):
        return
    raise PermissionDenied(NO_ROLE)
