"""Failed sign-ins are recorded and throttled (django-axes), shown to admins, and unlockable."""

import pytest
from axes.models import AccessAttempt, AccessFailureLog
from django.test import Client

PAGE = "/settings/people/"


@pytest.fixture(autouse=True)
def _axes_on(settings):
    settings.AXES_ENABLED = True  # off in the test settings for Client.login (settings_test)


def _sign_in(client: Client, username: str, password: str, ip: str = "203.0.113.7"):
    return client.post("/login/", {"username": username, "password": password}, REMOTE_ADDR=ip)


def test_the_sixth_try_is_locked_out_even_with_the_right_password(client, alice, fiona):
    for _ in range(4):
        response = _sign_in(client, "fiona", "wrong")
        assert response.status_code == 200 and "Please enter a correct" in response.text
    fifth = _sign_in(client, "fiona", "wrong")
    assert fifth.status_code == 429 and "Too many failed sign-ins" in fifth.text
    sixth = _sign_in(client, "fiona", "password")
    assert sixth.status_code == 429
    assert "Try again after" in sixth.text and "UTC" in sixth.text
    assert "_auth_user_id" not in client.session
    # another address, or another user name from this one, is not locked
    assert _sign_in(Client(), "fiona", "password", ip="198.51.100.2").status_code == 302
    assert _sign_in(Client(), "alice", "password").status_code == 302

    # admins see the failures and the lock, and unlock it
    admin = Client()
    admin.force_login(alice)
    body = admin.get(PAGE).text
    assert "Locked out now" in body and "203.0.113.7" in body and "Unlock" in body
    assert AccessFailureLog.objects.filter(username="fiona").count() == 6
    response = admin.post(f"{PAGE}unlock", {"username": "fiona", "ip_address": "203.0.113.7"})
    assert response.status_code == 302
    assert not AccessAttempt.objects.filter(username="fiona", ip_address="203.0.113.7").exists()
    assert _sign_in(client, "fiona", "password").status_code == 302


def test_a_successful_sign_in_clears_the_count(client, fiona):
    for _ in range(4):
        _sign_in(client, "fiona", "wrong")
    assert _sign_in(client, "fiona", "password").status_code == 302
    client.logout()
    for _ in range(4):
        assert _sign_in(client, "fiona", "wrong").status_code == 200  # counting from zero again
    assert _sign_in(client, "fiona", "password").status_code == 302


def test_the_lock_ends_after_the_cool_off(client, fiona, settings):
    from datetime import timedelta

    from django.utils import timezone

    for _ in range(5):
        _sign_in(client, "fiona", "wrong")
    assert _sign_in(client, "fiona", "password").status_code == 429
    past = timezone.now() - settings.AXES_COOLOFF_TIME - timedelta(seconds=1)
    AccessAttempt.objects.update(attempt_time=past)
    assert _sign_in(client, "fiona", "password").status_code == 302


def test_unknown_user_names_are_listed_too(client, alice):
    _sign_in(client, "mallory", "guess")
    admin = Client()
    admin.force_login(alice)
    body = admin.get(PAGE).text
    assert "mallory" in body and "no such user" in body


def test_api_tokens_and_test_logins_are_unaffected(client, api, fiona):
    for _ in range(6):
        _sign_in(client, "fiona", "wrong", ip="127.0.0.1")
    assert api.get("/v1/customers").status_code == 200  # bearer tokens never sign in
    other = Client()
    other.force_login(fiona)  # force_login skips authentication
    assert other.get("/customers/").status_code == 200
