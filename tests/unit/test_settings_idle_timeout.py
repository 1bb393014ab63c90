"""The gateway's idle timeout is a setting (`--idle-timeout`, TOLLWAY_IDLE_TIMEOUT), handed
to the gateway listener and not to the control plane's."""

from __future__ import annotations

import pytest

from tollway.app import _config
from tollway.settings import from_env


def test_idle_timeout_default_and_environment() -> None:
    assert from_env({}).idle_timeout == 60.0
    assert from_env({"TOLLWAY_IDLE_TIMEOUT": "2.5"}).idle_timeout == 2.5
    assert from_env({"TOLLWAY_IDLE_TIMEOUT": "2.5"}, idle_timeout=7.0).idle_timeout == 7.0
    with pytest.raises(ValueError, match="TOLLWAY_IDLE_TIMEOUT must be a number, not 'soon'"):
        from_env({"TOLLWAY_IDLE_TIMEOUT": "soon"})


def test_the_listener_config_takes_it() -> None:
    assert _config(object(), "httptools", 2.5).timeout_keep_alive == 2.5
    assert _config(object(), "httptools").timeout_keep_alive == 60.0
