"""User and role changes in the audit log, as people read them; no passwords, no sign-in noise."""

import pytest
from auditlog.context import set_actor
from auditlog.models import LogEntry
from django.contrib.auth.models import Group, User

from billing_console.roles import ADMIN, FINANCE, READ_ONLY
from billing_console.services import api_token_create
from people.services import person_deactivate, person_invite, person_set_role
from reports.audit_display import console_entries


def _entries(user: User) -> list[LogEntry]:
    return list(LogEntry.objects.get_for_object(user).order_by("pk"))


def _sentences(user: User) -> list[str]:
    return [e["sentence"] for e in console_entries(_entries(user))]


@pytest.fixture
def jane(alice) -> User:
    with set_actor(alice):
        return person_invite(email="jane@example.com", name="Jane Doe", role=FINANCE,
                             invited_by=alice).user  # fmt: skip


def test_a_role_change_is_one_entry_naming_the_person_and_both_roles(alice, jane):
    LogEntry.objects.all().delete()
    with set_actor(alice):
        person_set_role(user=jane, role=ADMIN)
    [entry] = _entries(jane)
    assert entry.actor == alice and entry.object_repr == "Jane Doe"
    assert entry.changes_dict == {"groups": ["Finance", "Admin"]}
    assert _sentences(jane) == ["User Jane Doe: role Finance → Admin"]


def test_an_invitation_records_the_user_and_the_role(jane):
    create, role = _entries(jane)
    assert create.action == LogEntry.Action.CREATE
    assert "password" not in create.changes_dict and "last_login" not in create.changes_dict
    assert create.changes_dict["email"] == ["None", "jane@example.com"]
    assert console_entries([role])[0]["sentence"] == "User Jane Doe: role — → Finance"


def test_deactivation_reads_as_a_status(alice, jane):
    LogEntry.objects.all().delete()
    with set_actor(alice):
        person_deactivate(user=jane, by=alice)
    assert _sentences(jane) == ["User Jane Doe: status active → deactivated"]


def test_passwords_and_sign_ins_are_not_audited(client, jane):
    LogEntry.objects.all().delete()
    jane.set_password("a-long-passphrase-9")
    jane.save()
    client.force_login(jane)  # moves last_login
    jane.refresh_from_db()
    assert jane.last_login is not None
    assert _entries(jane) == []
    assert "a-long-passphrase-9" not in str(list(LogEntry.objects.values()))


def test_group_changes_made_elsewhere_are_recorded_from_either_side(alice, jane):
    """The Django admin (or a shell) adds and removes groups one by one, or clears them."""
    LogEntry.objects.all().delete()
    read_only = Group.objects.get(name=READ_ONLY)
    with set_actor(alice):
        jane.groups.add(read_only)
        read_only.user_set.remove(jane)  # the group's side
        jane.groups.clear()
    lines = [e.changes_dict["groups"] for e in _entries(jane)]
    assert lines == [["Finance", "Finance, Read only"], ["Finance, Read only", "Finance"],
                     ["Finance", "None"]]  # fmt: skip
    assert all(e.actor == alice for e in _entries(jane))


def test_groups_are_audited_and_api_token_users_are_not(alice):
    LogEntry.objects.all().delete()
    Group.objects.create(name="auditors")
    token, _raw = api_token_create(name="ingest")
    assert LogEntry.objects.get_for_model(Group).get().changes_dict["name"] == ["None", "auditors"]
    assert not LogEntry.objects.get_for_object(token.user).exists()
    assert LogEntry.objects.get_for_object(token).exists()  # the token's own entry says it all
