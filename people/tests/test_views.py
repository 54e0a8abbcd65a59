"""Settings → People: invite, role change, deactivate, the guards, and who may see it."""

import re

import pytest
from django.contrib.auth.models import Group, User
from django.core import mail

from billing_console.api import ApplicationError
from billing_console.roles import ADMIN, FINANCE, READ_ONLY
from people.services import person_deactivate, person_set_role

PAGE = "/settings/people/"


def _roles(user: User) -> list[str]:
    return sorted(user.groups.values_list("name", flat=True))


@pytest.fixture
def admin_client(client, alice):
    client.force_login(alice)
    return client


@pytest.mark.parametrize("persona", ["fiona", "dave", "bob", "charlie"])
def test_only_admins_see_or_change_people(client, persona, request, alice):
    client.force_login(request.getfixturevalue(persona))
    assert client.get(PAGE).status_code == 403
    assert client.post(f"{PAGE}invite", {"name": "X", "email": "x@example.com",
                                         "role": ADMIN}).status_code == 403  # fmt: skip
    assert client.post(f"{PAGE}{alice.pk}/role", {"role": READ_ONLY}).status_code == 403
    assert client.post(f"{PAGE}{alice.pk}/deactivate").status_code == 403
    assert _roles(alice) == [ADMIN] and User.objects.get(pk=alice.pk).is_active


def test_the_page_lists_people_but_not_api_token_users(admin_client, fiona, api_token):
    body = admin_client.get(PAGE).content.decode()
    assert "fiona@example.com" in body and "alice@example.com" in body
    assert "api-token-" not in body
    assert "People" in body  # the menu link


def test_invite_creates_a_user_with_a_working_set_password_link(admin_client, settings):
    settings.SITE_URL = "https://billing.example.com"
    response = admin_client.post(
        f"{PAGE}invite", {"name": "  Jane   Doe ", "email": "Jane@Example.com", "role": FINANCE}
    )
    assert response.status_code == 200
    jane = User.objects.get(username="jane@example.com")
    assert (jane.first_name, jane.last_name, jane.email) == ("Jane", "Doe", "jane@example.com")
    assert _roles(jane) == [FINANCE] and not jane.has_usable_password()
    body = response.content.decode()
    url = re.search(r'value="(https://billing\.example\.com/set-password/[^"]+)"', body).group(1)
    # the test email backend counts as set up: the link is emailed too
    assert len(mail.outbox) == 1 and url in mail.outbox[0].body
    assert mail.outbox[0].to == ["jane@example.com"]
    assert "Also emailed to jane@example.com" in body

    admin_client.logout()
    path = url.removeprefix("https://billing.example.com")
    form_page = admin_client.get(path, follow=True)
    assert "Choose a password" in form_page.content.decode()
    set_url = form_page.redirect_chain[-1][0]
    done = admin_client.post(
        set_url, {"new_password1": "a-long-passphrase-9", "new_password2": "a-long-passphrase-9"}
    )
    assert done.status_code == 302
    jane.refresh_from_db()
    assert jane.check_password("a-long-passphrase-9")
    assert admin_client.get("/customers/").status_code == 200  # signed in
    # the link worked once
    admin_client.logout()
    again = admin_client.get(path, follow=True).content.decode()
    assert "no longer works" in again


def test_invite_refuses_a_taken_email_and_a_missing_name(admin_client, fiona):
    response = admin_client.post(
        f"{PAGE}invite", {"name": "", "email": "FIONA@example.com", "role": "owner"}
    )
    assert response.status_code == 422
    body = response.content.decode()
    assert "fiona@example.com already has a user" in body
    assert "This field is required" in body and "Select a valid choice" in body
    assert User.objects.count() == 2


def test_without_email_set_up_the_link_is_only_shown(admin_client, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = ""
    response = admin_client.post(
        f"{PAGE}invite", {"name": "Jo", "email": "jo@example.com", "role": READ_ONLY}
    )
    assert response.status_code == 200 and mail.outbox == []
    assert "Email is not set up" in response.content.decode()


def test_change_role(admin_client, fiona):
    extra = Group.objects.create(name="beta-testers")
    fiona.groups.add(extra)
    response = admin_client.post(f"{PAGE}{fiona.pk}/role", {"role": ADMIN}, follow=True)
    assert response.status_code == 200
    assert _roles(fiona) == [ADMIN, "beta-testers"]  # other groups kept
    assert "Finance → Admin" in response.content.decode()
    bad = admin_client.post(f"{PAGE}{fiona.pk}/role", {"role": "owner"})
    assert bad.status_code == 422 and _roles(fiona) == [ADMIN, "beta-testers"]


def test_the_last_admin_keeps_the_role_and_stays_active(admin_client, alice, fiona):
    response = admin_client.post(f"{PAGE}{alice.pk}/role", {"role": READ_ONLY})
    assert response.status_code == 409
    assert "last active admin" in response.content.decode()
    assert _roles(alice) == [ADMIN]
    # with a second admin, alice may step down
    person_set_role(user=fiona, role=ADMIN)
    assert admin_client.post(f"{PAGE}{alice.pk}/role", {"role": READ_ONLY}).status_code == 302
    assert _roles(alice) == [READ_ONLY]


def test_the_last_admin_cannot_be_deactivated(client, alice, fiona):
    person_set_role(user=fiona, role=ADMIN)
    client.force_login(fiona)
    assert client.post(f"{PAGE}{alice.pk}/deactivate").status_code == 302  # two admins: fine
    # now fiona is the only active admin; an inactive admin does not count
    fiona_user = User.objects.get(pk=fiona.pk)
    with pytest.raises(ApplicationError, match="last active admin"):
        person_deactivate(user=fiona_user, by=alice)


def test_nobody_deactivates_themself(admin_client, alice):
    response = admin_client.post(f"{PAGE}{alice.pk}/deactivate")
    assert response.status_code == 409
    assert "cannot deactivate yourself" in response.content.decode()
    assert User.objects.get(pk=alice.pk).is_active


def test_deactivate_signs_out_and_blocks_then_reactivate(admin_client, client_factory, fiona):
    fiona_client = client_factory()
    fiona_client.force_login(fiona)
    assert fiona_client.get("/customers/").status_code == 200
    assert admin_client.post(f"{PAGE}{fiona.pk}/deactivate").status_code == 302
    assert not User.objects.get(pk=fiona.pk).is_active
    assert fiona_client.get("/customers/").status_code == 302  # the session no longer counts
    assert not fiona_client.login(username="fiona", password="password")
    body = admin_client.get(PAGE).content.decode()
    assert "deactivated" in body and "Reactivate" in body
    assert admin_client.post(f"{PAGE}{fiona.pk}/reactivate").status_code == 302
    assert fiona_client.login(username="fiona", password="password")


def test_a_deactivated_user_cannot_use_a_set_password_link(admin_client, fiona):
    response = admin_client.post(f"{PAGE}{fiona.pk}/link")
    url = re.search(r'value="https?://[^/]+(/set-password/[^"]+)"', response.content.decode())
    admin_client.post(f"{PAGE}{fiona.pk}/deactivate")
    admin_client.logout()
    page = admin_client.get(url.group(1), follow=True).content.decode()
    assert "no longer works" in page
    # and a new link is refused while deactivated
    admin_client.force_login(User.objects.get(username="alice"))
    assert admin_client.post(f"{PAGE}{fiona.pk}/link").status_code == 422


@pytest.fixture
def client_factory():
    from django.test import Client

    return Client
