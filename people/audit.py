"""People in the audit log: "User Jane Doe: role Finance → Admin", "status active → deactivated".

django-auditlog records users (name, email, active, staff) and groups, never password hashes
or `last_login` (which moves on every sign-in). Role changes are group memberships: auditlog's
own many-to-many entries ({"type": "m2m", "operation": "add", ...}) would not read as a change
of one user's role, so a receiver here records each membership change as an update of the user,
`groups: [roles before, roles after]`, with this request's actor as every entry. A change made
in the console in several steps (remove the old role, add the new) is one entry
(`roles_changing`).
"""

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from auditlog.models import LogEntry
from auditlog.registry import auditlog
from auditlog.signals import pre_log
from django.contrib.auth.models import Group, User
from django.db.models.signals import m2m_changed, pre_save

from people.roles_text import roles_text

USER_FIELDS = ["username", "first_name", "last_name", "email", "is_active", "is_staff",
               "is_superuser"]  # fmt: skip
# API tokens act through service users of their own (billing_console.services); the token's
# own entries say what happened.
SERVICE_USER_PREFIX = "api-token-"
NONE = "None"  # how auditlog records an empty value
_quiet: ContextVar[frozenset[int]] = ContextVar("people_roles_quiet", default=frozenset())


def register() -> None:
    auditlog.register(User, include_fields=USER_FIELDS)
    auditlog.register(Group, include_fields=["name"])
    memberships = User.groups.through
    m2m_changed.connect(_memberships_changed, sender=memberships, dispatch_uid="people-roles")
    pre_log.connect(_skip_service_users, sender=User, dispatch_uid="people-skip-service-users")
    pre_save.connect(_name_the_user, sender=LogEntry, dispatch_uid="people-name-user")


def role_names(user_pks: list[int]) -> dict[int, list[str]]:
    """Each user's group names."""
    names: dict[int, list[str]] = {pk: [] for pk in user_pks}
    rows = User.groups.through.objects.filter(user_id__in=user_pks)
    for user_pk, name in rows.values_list("user_id", "group__name"):
        names[user_pk].append(name)
    return names


def log_roles_change(user: User, before: list[str], after: list[str]) -> LogEntry | None:
    """One entry "role <before> → <after>" on `user`; none when nothing changed."""
    old, new = roles_text(before), roles_text(after)
    if old == new:
        return None
    return LogEntry.objects.log_create(
        user, action=LogEntry.Action.UPDATE, changes={"groups": [old or NONE, new or NONE]}
    )


@contextmanager
def roles_changing(user: User) -> Iterator[None]:
    """Change `user`'s groups inside: one audit entry for the whole change, when it ends."""
    before = role_names([user.pk])[user.pk]
    token = _quiet.set(_quiet.get() | {user.pk})
    try:
        yield
    finally:
        _quiet.reset(token)
    log_roles_change(user, before, role_names([user.pk])[user.pk])


def _affected(instance: Any, reverse: bool, pk_set: set[int] | None) -> list[int]:
    if not reverse:
        return [instance.pk]
    if pk_set is not None:
        return sorted(pk_set)
    return list(instance.user_set.values_list("pk", flat=True))  # clear(): every member


def _memberships_changed(
    sender: Any, instance: Any, action: str, reverse: bool, pk_set: set[int] | None, **_: Any
) -> None:
    """m2m_changed on user ↔ group, from either side: snapshot before, log after."""
    if action.startswith("pre_"):
        pks = [pk for pk in _affected(instance, reverse, pk_set) if pk not in _quiet.get()]
        instance._people_roles_before = role_names(pks) if pks else {}
        return
    before = getattr(instance, "_people_roles_before", None) or {}
    instance._people_roles_before = None
    if not before:
        return
    after = role_names(list(before))
    for user in User.objects.filter(pk__in=list(before)):
        if not user.username.startswith(SERVICE_USER_PREFIX):
            log_roles_change(user, before[user.pk], after[user.pk])


def _skip_service_users(sender: Any, instance: User, **_: Any) -> bool | None:
    """pre_log receiver: no entry for an API token's service user."""
    return False if instance.username.startswith(SERVICE_USER_PREFIX) else None


def _name_the_user(sender: Any, instance: LogEntry, **_: Any) -> None:
    """A user's entries name the person ("Jane Doe"), not the user name, when known."""
    if instance.pk is not None or instance.content_type.model_class() is not User:
        return
    user = User._base_manager.filter(pk=instance.object_pk).first()
    if user is not None and user.get_full_name():
        instance.object_repr = user.get_full_name()
