"""Console roles are Django groups. Read-only can look at everything and change nothing."""

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse

ADMIN = "admin"
FINANCE = "finance"
DEAL_DESK = "deal_desk"
READ_ONLY = "read_only"
ALL_ROLES = (ADMIN, FINANCE, DEAL_DESK, READ_ONLY)
WRITERS = frozenset({ADMIN, FINANCE, DEAL_DESK})


def user_roles(user: AbstractBaseUser | AnonymousUser) -> set[str]:
    if not user.is_authenticated:
        return set()
    if getattr(user, "_role_cache", None) is None:
        user._role_cache = set(user.groups.values_list("name", flat=True))  # type: ignore[union-attr]
    return user._role_cache  # type: ignore[union-attr]


def can_write(user: AbstractBaseUser | AnonymousUser, roles: frozenset[str] = WRITERS) -> bool:
    if not user.is_authenticated:
        return False
    if getattr(user, "is_superuser", False):
        return True
    return bool(user_roles(user) & roles)


def is_admin(user: AbstractBaseUser | AnonymousUser) -> bool:
    return can_write(user, frozenset({ADMIN}))


# Who sets how customers are billed (billing provider configurations of customers and
# contracts). Stripe accounts themselves, with their secrets, are admin only.
BILLING = frozenset({ADMIN, FINANCE})


def can_bill(user: AbstractBaseUser | AnonymousUser) -> bool:
    return can_write(user, BILLING)


def role_required(*roles: str) -> Callable:
    """Deny (403) a console write to users without one of `roles` (default: any writer)."""
    allowed = frozenset(roles) if roles else WRITERS

    def decorator(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if not can_write(request.user, allowed):
                raise PermissionDenied("Your role cannot make this change.")
            return view(request, *args, **kwargs)

        return wrapper

    return decorator
