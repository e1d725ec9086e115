"""Settings from the environment: every list setting takes comma-separated text or a JSON list.

The real server started with these variables is tested in tests/app/test_serve_env.py.
"""

from __future__ import annotations

import typing

import pytest
from pydantic import ValidationError

from newsqa.settings import Settings

LIST_FIELDS = [
    name for name, info in Settings.model_fields.items() if typing.get_origin(info.annotation) is list
]


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    """The environment with no NEWSQA_* variable of the caller's shell."""
    import os

    for name in list(os.environ):
        if name.startswith("NEWSQA_"):
            monkeypatch.delenv(name)
    return monkeypatch


def test_the_list_settings_are_found() -> None:
    assert {"api_keys", "cors_origins", "trusted_proxies"} <= set(LIST_FIELDS)


@pytest.mark.parametrize("field", LIST_FIELDS)
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("10.0.0.1,10.0.0.2", ["10.0.0.1", "10.0.0.2"]),
        (" 10.0.0.1 , 10.0.0.2 ,", ["10.0.0.1", "10.0.0.2"]),
        ("10.0.0.1", ["10.0.0.1"]),
        ('["10.0.0.1", "10.0.0.2"]', ["10.0.0.1", "10.0.0.2"]),
        ('["10.0.0.1"]', ["10.0.0.1"]),
        ("[]", []),
        ("", []),
        ("  ", []),
    ],
)
def test_every_list_setting_reads_csv_or_json(
    env: pytest.MonkeyPatch, field: str, text: str, expected: list[str]
) -> None:
    env.setenv(f"NEWSQA_{field.upper()}", text)
    assert getattr(Settings(), field) == expected


def test_lists_given_in_code_pass_through() -> None:
    settings = Settings(api_keys=["k1", "k,2"], cors_origins=[])
    assert settings.api_keys == ["k1", "k,2"] and settings.cors_origins == []


@pytest.mark.parametrize("text", ['["secret-key-1", ', '["secret-key-1", 2]'])
def test_a_broken_list_names_the_setting_but_not_the_keys(env: pytest.MonkeyPatch, text: str) -> None:
    env.setenv("NEWSQA_API_KEYS", text)
    with pytest.raises(ValidationError) as error:
        Settings()
    assert "api_keys" in str(error.value) and "secret-key-1" not in str(error.value)


class TestTrustedProxies:
    def test_none_by_default(self, env: pytest.MonkeyPatch) -> None:
        assert Settings().trusted_proxies == []

    def test_addresses_and_networks_are_normalised(self, env: pytest.MonkeyPatch) -> None:
        env.setenv("NEWSQA_TRUSTED_PROXIES", "172.30.0.9/24, ::1, 10.0.0.7")
        assert Settings().trusted_proxies == ["172.30.0.0/24", "::1", "10.0.0.7"]

    @pytest.mark.parametrize(("text", "reason"), [("*", "every client"), ("10.0.0.1,proxy", "'proxy'")])
    def test_wildcards_and_names_are_refused(self, env: pytest.MonkeyPatch, text: str, reason: str) -> None:
        env.setenv("NEWSQA_TRUSTED_PROXIES", text)
        with pytest.raises(ValidationError, match="trusted_proxies") as error:
            Settings()
        assert reason in str(error.value)


@pytest.mark.parametrize(
    "field",
    [
        "rate_limit_per_minute",
        "read_rate_limit_per_minute",
        "write_rate_limit_per_minute",
        "auth_failures_per_minute",
    ],
)
def test_limits_are_not_negative(field: str) -> None:
    with pytest.raises(ValidationError, match=field):
        Settings(**{field: -1})
