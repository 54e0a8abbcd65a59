"""Settings read from the environment: the generated SECRET_KEY of `make run`, and the HTTPS
defaults with DEBUG off. Each case executes settings.py afresh with its own environment."""

import os
import runpy
import stat
from pathlib import Path

import pytest

from billing_console import settings as project_settings
from billing_console.env import local_secret

SETTINGS_PY = Path(project_settings.__file__)
VARIABLES = (
    "DEBUG", "SECRET_KEY", "SECRET_KEY_FILE", "SESSION_COOKIE_SECURE", "CSRF_COOKIE_SECURE",
    "SECURE_HSTS_SECONDS", "SECURE_SSL_REDIRECT", "SECURE_PROXY_SSL_HEADER", "TRUSTED_PROXY_COUNT",
)  # fmt: skip


def _settings(monkeypatch, tmp_path: Path, **env: str) -> dict:
    for name in VARIABLES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("VAR_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("STATIC_ROOT", str(tmp_path / "static"))
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return runpy.run_path(str(SETTINGS_PY))


def test_debug_without_a_key_generates_one_into_var_and_reuses_it(monkeypatch, tmp_path):
    first = _settings(monkeypatch, tmp_path, DEBUG="1")
    key_file = tmp_path / "var" / "secret_key"
    assert first["SECRET_KEY"] == key_file.read_text().strip()
    assert len(first["SECRET_KEY"]) >= 50
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert _settings(monkeypatch, tmp_path, DEBUG="1")["SECRET_KEY"] == first["SECRET_KEY"]
    other = _settings(monkeypatch, tmp_path / "elsewhere", DEBUG="1")["SECRET_KEY"]
    assert other != first["SECRET_KEY"]  # never a constant shared by installations


def test_an_explicit_key_wins_and_debug_off_never_generates_one(monkeypatch, tmp_path):
    assert _settings(monkeypatch, tmp_path, DEBUG="1", SECRET_KEY="mine")["SECRET_KEY"] == "mine"
    assert _settings(monkeypatch, tmp_path, DEBUG="0")["SECRET_KEY"] == ""
    assert not (tmp_path / "var" / "secret_key").exists()


def test_local_secret_refuses_an_empty_file(tmp_path):
    (tmp_path / "secret_key").write_text("\n")
    with pytest.raises(ValueError, match="empty"):
        local_secret(tmp_path / "secret_key")
    assert not [p for p in os.listdir(tmp_path) if p.startswith(".secret-")]


def test_debug_off_defaults_to_https_only_cookies_and_hsts(monkeypatch, tmp_path):
    values = _settings(monkeypatch, tmp_path, DEBUG="0", SECRET_KEY="k")
    assert values["SESSION_COOKIE_SECURE"] and values["CSRF_COOKIE_SECURE"]
    assert values["SECURE_HSTS_SECONDS"] == 31_536_000
    assert values["SECURE_SSL_REDIRECT"] is False and values["SECURE_PROXY_SSL_HEADER"] is None
    assert values["TRUSTED_PROXY_COUNT"] == 0


def test_debug_on_defaults_to_plain_http(monkeypatch, tmp_path):
    values = _settings(monkeypatch, tmp_path, DEBUG="1", SECRET_KEY="k")
    assert not values["SESSION_COOKIE_SECURE"] and not values["CSRF_COOKIE_SECURE"]
    assert values["SECURE_HSTS_SECONDS"] == 0


def test_https_settings_follow_the_environment(monkeypatch, tmp_path):
    values = _settings(
        monkeypatch, tmp_path, DEBUG="0", SECRET_KEY="k", SESSION_COOKIE_SECURE="0",
        SECURE_HSTS_SECONDS="300", SECURE_SSL_REDIRECT="1",
        SECURE_PROXY_SSL_HEADER="X-Forwarded-Proto", TRUSTED_PROXY_COUNT="2",
    )  # fmt: skip
    assert values["SESSION_COOKIE_SECURE"] is False and values["CSRF_COOKIE_SECURE"] is True
    assert values["SECURE_HSTS_SECONDS"] == 300 and values["SECURE_SSL_REDIRECT"] is True
    assert values["SECURE_PROXY_SSL_HEADER"] == ("HTTP_X_FORWARDED_PROTO", "https")
    assert values["TRUSTED_PROXY_COUNT"] == 2
