"""Settings of the HTTP edge: the hook token, open reads and CORS origins (file and env)."""

from __future__ import annotations

from pathlib import Path

import pytest

from soulbeat.config import ConfigError, load_settings


def test_defaults_are_closed() -> None:
    settings = load_settings(None, env={})
    assert (settings.hook_token, settings.api_read_open, settings.cors_origins) == (None, False, ())


def test_file_and_environment(tmp_path: Path) -> None:
    path = tmp_path / "soulbeat.toml"
    path.write_text('cors_origins = ["http://127.0.0.1:5173"]\nhook_token = "h"\n')
    settings = load_settings(path, env={"SOULBEAT_API_READ_OPEN": "yes"})
    assert settings.cors_origins == ("http://127.0.0.1:5173",)
    assert settings.hook_token == "h"
    assert settings.api_read_open is True
    env = {"SOULBEAT_CORS_ORIGINS": "http://a.test, https://b.test:8443"}
    assert load_settings(None, env=env).cors_origins == ("http://a.test", "https://b.test:8443")


@pytest.mark.parametrize("origin", ["127.0.0.1:5173", "http://a.test/", "http://a.test/path", "*"])
def test_an_origin_must_be_scheme_host_port(origin: str, tmp_path: Path) -> None:
    path = tmp_path / "soulbeat.toml"
    path.write_text(f'cors_origins = ["{origin}"]\n')
    with pytest.raises(ConfigError, match="cors_origins"):
        load_settings(path, env={})


def test_a_bad_boolean_names_the_variable() -> None:
    with pytest.raises(ConfigError, match="SOULBEAT_API_READ_OPEN"):
        load_settings(None, env={"SOULBEAT_API_READ_OPEN": "maybe"})
