"""Writes for Settings → People: invite, change role, deactivate, reactivate, set-password links.

Every write that could leave the installation without an admin refuses: nobody deactivates
themself, and the last active admin can neither lose the role nor be deactivated. The admins
are locked (select_for_update) for the check, so two admins demoting each other at once cannot
both succeed.
"""

from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth.models import Group, User
from django.contrib.auth.tokens import default_token_generator
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from billing_console.api import ApplicationError
from billing_console.roles import ADMIN, ALL_ROLES
from people.audit import roles_changing
from people.roles_text import role_label

EMAIL_TAKEN = "email: {email} already has a user."
NOT_A_ROLE = "role: must be one of " + ", ".join(ALL_ROLES) + "."
NOT_YOURSELF = "You cannot deactivate yourself."
LAST_ADMIN = "{name} is the last active admin: make someone else an admin first."
SMTP_BACKEND = "django.core.mail.backends.smtp.EmailBackend"


@dataclass(frozen=True)
class SetPasswordLink:
    user: User
    url: str
    emailed: bool
    email_error: str = ""


def person_name(user: User) -> str:
    return user.get_full_name() or user.email or user.username


def _split_name(name: str) -> tuple[str, str]:
    first, _, last = " ".join(name.split()).partition(" ")
    return first[:150], last[:150]


def set_password_url(user: User) -> str:
    """An absolute link with which `user` chooses a password (Django's password-reset token:
    it stops working once used, once the password changes, or after PASSWORD_RESET_TIMEOUT)."""
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    token = default_token_generator.make_token(user)
    path = reverse("people-set-password", args=[uid, token])
    return settings.SITE_URL.rstrip("/") + path


def email_configured() -> bool:
    """Email goes out only when set up: an SMTP host, or another backend named."""
    return settings.EMAIL_BACKEND != SMTP_BACKEND or bool(settings.EMAIL_HOST)


def _send_link(user: User, url: str, invited_by: User | None, first: bool) -> tuple[bool, str]:
    if not email_configured() or not user.email:
        return False, ""
    context = {"user": user, "url": url, "invited_by": invited_by, "first": first,
               "company_name": settings.COMPANY_NAME,
               "valid_days": round(settings.PASSWORD_RESET_TIMEOUT / 86400)}  # fmt: skip
    subject = render_to_string("people/email/set_password_subject.txt", context).strip()
    body = render_to_string("people/email/set_password.txt", context)
    try:
        send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [user.email])
    except Exception as err:
        return False, f"{type(err).__name__}: {err}"[:200]
    return True, ""


def _group(role: str) -> Group:
    if role not in ALL_ROLES:
        raise ApplicationError(NOT_A_ROLE)
    return Group.objects.get_or_create(name=role)[0]


def _active_admins():
    return User.objects.filter(Q(groups__name=ADMIN) | Q(is_superuser=True), is_active=True)


def _guard_last_admin(user: User) -> None:
    """Refuse when `user` is the only active admin (the admins locked for the check)."""
    locked = _active_admins().select_for_update(of=("self",))
    admins = set(locked.values_list("pk", flat=True))
    if admins == {user.pk}:
        raise ApplicationError(LAST_ADMIN.format(name=person_name(user)), code="last_admin")


@transaction.atomic
def person_invite(*, email: str, name: str, role: str, invited_by: User | None) -> SetPasswordLink:
    """A new console user, signing in with `email`, who chooses a password through the link."""
    email = email.strip().lower()
    group = _group(role)
    if User.objects.filter(Q(email__iexact=email) | Q(username__iexact=email)).exists():
        raise ApplicationError(EMAIL_TAKEN.format(email=email), code="email_taken")
    first, last = _split_name(name)
    user = User(username=email, email=email, first_name=first, last_name=last)
    user.set_unusable_password()
    user.save()
    with roles_changing(user):
        user.groups.add(group)
    url = set_password_url(user)
    emailed, error = _send_link(user, url, invited_by, first=True)
    return SetPasswordLink(user, url, emailed, error)


@transaction.atomic
def person_new_link(*, user: User, by: User | None) -> SetPasswordLink:
    """A fresh set-password link for `user` (a lost invitation, a forgotten password)."""
    if not user.is_active:
        raise ApplicationError(f"{person_name(user)} is deactivated: reactivate them first.")
    url = set_password_url(user)
    emailed, error = _send_link(user, url, by, first=not user.has_usable_password())
    return SetPasswordLink(user, url, emailed, error)


@transaction.atomic
def person_set_role(*, user: User, role: str) -> User:
    """`user` has exactly `role` among the console roles (other groups are kept)."""
    group = _group(role)
    if role != ADMIN and user.is_active and not user.is_superuser:
        _guard_last_admin(user)
    with roles_changing(user):
        user.groups.remove(*user.groups.filter(name__in=ALL_ROLES).exclude(pk=group.pk))
        user.groups.add(group)
    return user


@transaction.atomic
def person_deactivate(*, user: User, by: User) -> User:
    """`user` can no longer sign in; signed-in sessions end with their next request."""
    if user.pk == by.pk:
        raise ApplicationError(NOT_YOURSELF, code="self")
    if user.is_active:
        _guard_last_admin(user)
        user.is_active = False
        user.save(update_fields=["is_active"])
    return user


@transaction.atomic
def person_reactivate(*, user: User) -> User:
    if not user.is_active:
        user.is_active = True
        user.save(update_fields=["is_active"])
    return user


def role_of(user: User) -> str | None:
    """The user's console role (the first, if the admin site gave them several)."""
    names = {group.name for group in user.groups.all()}
    return next((role for role in ALL_ROLES if role in names), None)


def role_text_of(user: User) -> str:
    role = role_of(user)
    return role_label(role) if role else "No role"
