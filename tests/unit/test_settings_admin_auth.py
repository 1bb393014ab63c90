"""When the control plane requires signed calls: `--admin-auth` and the admin address."""

from __future__ import annotations

import pytest

from tollway.settings import from_env, is_loopback


@pytest.mark.parametrize(
    ("host", "expected"),
    [
        ("127.0.0.1", True),
        ("127.8.0.1", True),
        ("::1", True),
        ("[::1]", True),
        ("localhost", True),
        ("0.0.0.0", False),
        ("::", False),
        ("192.168.1.10", False),
        ("gateway.example.com", False),
    ],
)
def test_is_loopback(host: str, expected: bool) -> None:
    assert is_loopback(host) is expected


@pytest.mark.parametrize(
    ("mode", "host", "required"),
    [
        ("auto", "127.0.0.1", False),
        ("auto", "0.0.0.0", True),
        ("on", "127.0.0.1", True),
        ("off", "0.0.0.0", False),
    ],
)
def test_admin_auth_required(mode: str, host: str, required: bool) -> None:
    settings = from_env({"TOLLWAY_ADMIN_AUTH": mode}, admin_host=host)
    assert settings.admin_auth_required is required


def test_an_unknown_mode_is_refused() -> None:
    with pytest.raises(ValueError, match="admin auth must be one of auto, on, off, not 'yes'"):
        from_env({}, admin_auth="yes")
